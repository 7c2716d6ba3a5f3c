//! Sign-in for writes (`YOLOO_USERS_FILE`), against the real service: the
//! hash comes from the `hash-password` subcommand; anonymous writes get 401
//! (API) or a redirect to the sign-in page (pages); HTTP Basic and the
//! session cookie both work and the record says who uploaded; the cookie is
//! HttpOnly, SameSite=Lax and Secure behind an HTTPS proxy; a cookie signed
//! with another key is refused; the sixth wrong password in a minute gets
//! 429 with Retry-After, and an unknown user is answered like a wrong
//! password; a private gallery needs sign-in to browse; nothing secret is
//! logged.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;
use yoloo_testkit::http::{client, delete_status, get_status, get_text, viewer_form};
use yoloo_testkit::image_bytes;
use yoloo_testkit::service::{Service, start_viewer, workspace_bin};

const PASSWORD: &str = "correct horse battery staple";
const KEY_A: &str = "an-example-session-key-of-at-least-32-bytes-AAAA";
const KEY_B: &str = "an-example-session-key-of-at-least-32-bytes-BBBB";

/// `printf %s PASSWORD | yoloo-viewer-svc hash-password`.
fn hash_password(password: &str) -> String {
    let mut child = Command::new(workspace_bin("yoloo-viewer-svc"))
        .arg("hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run hash-password");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(password.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("hash-password");
    assert!(out.status.success());
    let hash = String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    hash
}

fn users_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("users");
    std::fs::write(
        &path,
        format!("# who may upload\nann:{}\n", hash_password(PASSWORD)),
    )
    .expect("users file");
    path
}

fn viewer(dir: &Path, users: &Path, key: &str, extra: &[(&'static str, String)]) -> Service {
    let mut env = vec![
        ("YOLOO_USERS_FILE", users.display().to_string()),
        ("YOLOO_SESSION_KEY", key.to_owned()),
    ];
    env.extend_from_slice(extra);
    start_viewer(dir, &env)
}

async fn upload(c: &reqwest::Client, v: &Service, auth: Option<(&str, &str)>) -> reqwest::Response {
    let mut req = c
        .post(v.url("/api/images"))
        .multipart(viewer_form(&[("bus.jpg", image_bytes("bus.jpg"))]));
    if let Some((u, p)) = auth {
        req = req.basic_auth(u, Some(p));
    }
    req.send().await.expect("upload")
}

/// Signs in through the form; returns the `Set-Cookie` header.
async fn sign_in(
    c: &reqwest::Client,
    v: &Service,
    user: &str,
    password: &str,
    https: bool,
) -> reqwest::Response {
    let mut req = c
        .post(v.url("/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("user", user)
                .append_pair("password", password)
                .append_pair("next", "/?flash=processed")
                .finish(),
        );
    if https {
        req = req.header("x-forwarded-proto", "https");
    }
    req.send().await.expect("sign in")
}

/// `name=value` of a `Set-Cookie` header.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .expect("pair")
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_guards_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let users = users_file(dir.path());
    let data = dir.path().join("a");
    let v = viewer(&data, &users, KEY_A, &[]);
    let c = client();

    // Anonymous: the gallery is public, writes are not.
    let page = get_text(&c, &v.url("/")).await;
    assert!(page.contains("id=\"sign-in-link\"") && !page.contains("id=\"upload-form\""));
    let r = upload(&c, &v, None).await;
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap_or("")
            .starts_with("Basic")
    );
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unauthorized");
    let r = c
        .post(v.url("/upload"))
        .multipart(viewer_form(&[("bus.jpg", image_bytes("bus.jpg"))]))
        .send()
        .await
        .expect("form");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/sign-in?next=%2F");

    // HTTP Basic: recorded with its uploader.
    let r = upload(&c, &v, Some(("ann", PASSWORD))).await;
    assert_eq!(r.status(), 201);
    let rec: Value = r.json().await.expect("record");
    assert_eq!(rec["uploaded_by"], "ann");
    let id = rec["id"].as_str().expect("id").to_owned();
    let detail = get_text(&c, &v.url(&format!("/images/{id}"))).await;
    assert!(detail.contains("id=\"uploaded-by\">ann<"));
    assert!(
        !detail.contains("id=\"delete-button\""),
        "offered to anonymous"
    );

    // Anonymous delete: 401 on the API; the pages send to the sign-in page.
    assert_eq!(
        delete_status(&c, &v.url(&format!("/api/images/{id}"))).await,
        401
    );
    let r = c
        .get(v.url(&format!("/images/{id}/delete")))
        .send()
        .await
        .expect("confirm");
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        format!("/sign-in?next=%2Fimages%2F{id}%2Fdelete")
    );
    let r = c
        .post(v.url(&format!("/images/{id}/delete")))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap_or("")
            .starts_with("/sign-in")
    );
    assert_eq!(
        get_status(&c, &v.url(&format!("/api/images/{id}")), "still there").await,
        200
    );

    // The sign-in form: a cookie, then writes through the pages.
    assert!(
        get_text(&c, &v.url("/sign-in"))
            .await
            .contains("id=\"sign-in-form\"")
    );
    let r = sign_in(&c, &v, "ann", PASSWORD, false).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/?flash=processed");
    let set = r.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(set.contains(attr), "{attr} missing: {set}");
    }
    assert!(!set.contains("Secure"), "{set}");
    let secure = sign_in(&c, &v, "ann", PASSWORD, true).await;
    assert!(
        secure.headers()["set-cookie"]
            .to_str()
            .unwrap_or("")
            .contains("Secure")
    );
    let cookie = cookie_pair(&set);
    let page = c
        .get(v.url("/"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("page");
    let page = page.text().await.expect("text");
    assert!(
        page.contains("Signed in as <strong>ann</strong>") && page.contains("id=\"upload-form\"")
    );
    let r = c
        .post(v.url("/upload"))
        .header("cookie", &cookie)
        .multipart(viewer_form(&[("bus.jpg", image_bytes("bus.jpg"))]))
        .send()
        .await
        .expect("form upload");
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let second = loc
        .trim_start_matches("/images/")
        .split('?')
        .next()
        .expect("id")
        .to_owned();
    let rec: Value = c
        .get(v.url(&format!("/api/images/{second}")))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(rec["uploaded_by"], "ann");
    let r = c
        .post(v.url(&format!("/images/{second}/delete")))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.headers()["location"], "/?flash=deleted");
    let r = c
        .delete(v.url(&format!("/api/images/{id}")))
        .basic_auth("ann", Some(PASSWORD))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 204);

    // A cookie signed with another key is worth nothing.
    let data_b = dir.path().join("b");
    let other = viewer(&data_b, &users, KEY_B, &[]);
    let r = c
        .post(other.url("/upload"))
        .header("cookie", &cookie)
        .multipart(viewer_form(&[("bus.jpg", image_bytes("bus.jpg"))]))
        .send()
        .await
        .expect("form");
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap_or("")
            .starts_with("/sign-in")
    );
    let page = c
        .get(other.url("/"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("page");
    assert!(
        page.text()
            .await
            .expect("text")
            .contains("id=\"sign-in-link\"")
    );
    let tampered = cookie.replacen("ann", "bob", 1);
    let page = c
        .get(v.url("/"))
        .header("cookie", &tampered)
        .send()
        .await
        .expect("page");
    assert!(
        page.text()
            .await
            .expect("text")
            .contains("id=\"sign-in-link\"")
    );
    other.stop();

    // Wrong passwords: an unknown user is answered the same way; the sixth
    // within a minute gets 429 with Retry-After (and so does a right one then).
    let wrong = sign_in(&c, &v, "ann", "wrong", false).await;
    assert_eq!(wrong.status(), 401);
    let wrong = wrong.text().await.expect("text");
    let unknown = sign_in(&c, &v, "nobody", "wrong", false).await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(unknown.text().await.expect("text"), wrong);
    assert_eq!(upload(&c, &v, Some(("ann", "wrong"))).await.status(), 401);
    assert_eq!(
        upload(&c, &v, Some(("nobody", PASSWORD))).await.status(),
        401
    );
    assert_eq!(sign_in(&c, &v, "ann", "wrong", false).await.status(), 401);
    let r = sign_in(&c, &v, "ann", "wrong", false).await;
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("retry-after")
        .parse()
        .expect("secs");
    assert!((1..=60).contains(&wait), "{wait}");
    let r = upload(&c, &v, Some(("ann", PASSWORD))).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "too_many_attempts");
    // The session still works: it is no password attempt.
    let page = c
        .get(v.url("/"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("page");
    assert!(page.text().await.expect("text").contains("Signed in as"));

    // Nothing secret in the logs.
    let log = v.log_text();
    let value = cookie.split_once('=').expect("pair").1;
    for secret in [PASSWORD, KEY_A, value, "$argon2id$"] {
        assert!(!log.contains(secret), "the log shows a secret: {secret}");
    }
    assert!(log.contains("sign-in is on"), "{log}");
    v.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_gallery_needs_sign_in_to_browse() {
    let dir = tempfile::tempdir().expect("tempdir");
    let users = users_file(dir.path());
    let v = viewer(
        &dir.path().join("data"),
        &users,
        KEY_A,
        &[("YOLOO_PUBLIC_GALLERY", "false".into())],
    );
    let c = client();
    let r = c.get(v.url("/")).send().await.expect("gallery");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/sign-in?next=%2F");
    assert_eq!(get_status(&c, &v.url("/api/images"), "list").await, 401);
    assert_eq!(get_status(&c, &v.url("/api/classes"), "classes").await, 401);
    let rec: Value = upload(&c, &v, Some(("ann", PASSWORD)))
        .await
        .json()
        .await
        .expect("record");
    let media = rec["thumbnail_url"].as_str().expect("url");
    assert_eq!(get_status(&c, &v.url(media), "media").await, 401);
    let r = c
        .get(v.url("/api/images"))
        .basic_auth("ann", Some(PASSWORD))
        .send()
        .await
        .expect("list");
    assert_eq!(r.status(), 200);
    let set = sign_in(&c, &v, "ann", PASSWORD, false).await.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    let r = c
        .get(v.url(media))
        .header("cookie", cookie_pair(&set))
        .send()
        .await
        .expect("media");
    assert_eq!(r.status(), 200);
    // Health probes stay open.
    assert_eq!(get_status(&c, &v.url("/readyz"), "readyz").await, 200);
    v.stop();
}
