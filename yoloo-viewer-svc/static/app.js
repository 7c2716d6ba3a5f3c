// Progressive enhancement: upload with a progress bar. Without JavaScript
// the form posts normally and the server redirects.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var pct = Math.round((e.loaded / e.total) * 100);
      bar.value = pct;
      status.textContent = pct < 100 ? "Uploading… " + pct + "%" : "Detecting objects…";
    });
    xhr.addEventListener("load", function () {
      if (xhr.status < 400 && xhr.responseURL) {
        window.location.assign(xhr.responseURL);
        return;
      }
      // An error page: show it in place.
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      document.title = doc.title;
      document.body.replaceWith(document.adoptNode(doc.body));
    });
    xhr.addEventListener("error", function () {
      status.textContent = "Upload failed: the connection was lost.";
      button.disabled = false;
      bar.hidden = true;
    });
    bar.hidden = false;
    bar.value = 0;
    button.disabled = true;
    status.textContent = "Uploading…";
    xhr.send(new FormData(form));
  });
})();
