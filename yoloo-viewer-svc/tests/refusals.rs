//! Requests the viewer refuses, each in the shape of its route: a query
//! string it cannot read (JSON for `/api/`, the HTML error page for pages),
//! a form posted from another site (403); and file names that would lie
//! about themselves once shown (bidi controls), cleaned before storing.

use reqwest::multipart::{Form, Part};
use serde_json::Value;
use yoloo_testkit::http::{client, get_json, upload_api, viewer_form};
use yoloo_testkit::image_bytes;
use yoloo_testkit::service::start_viewer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_errors_answer_in_the_routes_shape() {
    let dir = tempfile::tempdir().unwrap();
    let v = start_viewer(dir.path(), &[]);
    let c = client();
    for q in ["limit=abc", "limit=-1", "limit=0", "limit=101"] {
        let r = c
            .get(v.url(&format!("/api/images?{q}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{q}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{q}"
        );
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_parameter", "{q}: {body}");
    }
    let ok = get_json(&c, &v.url("/api/images?limit=100")).await;
    assert!(ok["images"].is_array(), "{ok}");
    let record = upload_api(&c, &v, "bus.jpg", image_bytes("bus.jpg")).await;
    let id = record["id"].as_str().unwrap();
    for path in [
        "/?n=-1".to_owned(),
        "/?n=x".to_owned(),
        format!("/images/{id}?n=-1"),
    ] {
        let r = c.get(v.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 400, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        let page = r.text().await.unwrap();
        assert!(page.contains("invalid_parameter"), "{path}: {page}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_form_posts_are_refused_and_plain_clients_pass() {
    let dir = tempfile::tempdir().unwrap();
    let v = start_viewer(dir.path(), &[]);
    let c = client();
    let bus = image_bytes("bus.jpg");
    let record = upload_api(&c, &v, "bus.jpg", bus.clone()).await;
    let id = record["id"].as_str().unwrap().to_owned();
    let count = |c: reqwest::Client, url: String| async move {
        let page: Value = get_json(&c, &url).await;
        page["images"].as_array().map_or(0, Vec::len)
    };
    let before = count(c.clone(), v.url("/api/images?limit=100")).await;

    let evil = [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("origin", "null"),
    ];
    for (header, value) in evil {
        for path in ["/upload".to_owned(), format!("/images/{id}/retry")] {
            let r = c
                .post(v.url(&path))
                .header(header, value)
                .multipart(viewer_form(&[("bus.jpg", bus.clone())]))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 403, "{path} with {header}: {value}");
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
            let page = r.text().await.unwrap();
            assert!(page.contains("cross_site_request"), "{page}");
        }
        // The API refuses it too, in JSON: a browser page can post a form there as well.
        let r = c
            .post(v.url("/api/images"))
            .header(header, value)
            .multipart(viewer_form(&[("bus.jpg", bus.clone())]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "cross_site_request", "{body}");
    }
    assert_eq!(
        count(c.clone(), v.url("/api/images?limit=100")).await,
        before,
        "a refused post stored something"
    );

    // Same origin (as a browser on the gallery sends it) and plain clients pass.
    let same = format!("http://{}", v.addr);
    let r = c
        .post(v.url("/upload"))
        .header("origin", &same)
        .multipart(viewer_form(&[("bus.jpg", bus.clone())]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "same origin");
    let r = c
        .post(v.url("/upload"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", &same)
        .multipart(viewer_form(&[("bus.jpg", bus.clone())]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "Sec-Fetch-Site: same-origin");
    let r = c
        .post(v.url(&format!("/images/{id}/retry")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "no Origin, no Sec-Fetch-Site");
    upload_api(&c, &v, "bus.jpg", bus).await;
    assert_eq!(count(c, v.url("/api/images?limit=100")).await, before + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_names_lose_bidi_and_control_characters_and_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let v = start_viewer(dir.path(), &[]);
    let c = client();
    let bus = image_bytes("bus.jpg");
    // U+202E (right-to-left override) makes "\u{202E}gpj.exe" read "exe.jpg".
    let r = upload_api(&c, &v, "\u{202E}gpj.exe", bus.clone()).await;
    assert_eq!(r["filename"], "gpj.exe", "{r}");
    let r = upload_api(
        &c,
        &v,
        "a\u{2066}b\u{200F}c\u{FEFF}d\u{200B}.jpg",
        bus.clone(),
    )
    .await;
    assert_eq!(r["filename"], "abcd.jpg", "{r}");
    let long = format!("{}.jpg", "x".repeat(500));
    let r = upload_api(&c, &v, &long, bus.clone()).await;
    assert_eq!(r["filename"].as_str().unwrap().chars().count(), 120, "{r}");

    // And on the page it is shown as stored.
    let form = Form::new().part("input_image", Part::bytes(bus).file_name("\u{202E}gpj.exe"));
    let r = c
        .post(v.url("/upload"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = c
        .get(v.url(r.headers()["location"].to_str().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("gpj.exe"), "{page}");
    assert!(!page.contains('\u{202E}'), "the page shows the override");
}
