//! HTTP from the tests: a reqwest client and the few requests every test
//! makes.

use std::time::Duration;

use crate::service::Service;

/// The workspace's reqwest uses rustls without a built-in crypto provider
/// (*ring* is chosen to avoid building aws-lc-sys): installed once per process.
pub fn install_tls() {
    yoloo_api::client::install_crypto();
}

/// A client for the tests: 120 s timeout, redirects not followed (a 303 is
/// an answer to check).
pub fn client() -> reqwest::Client {
    install_tls();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .expect("an HTTP client")
}

/// POSTs `body` as `image/jpeg`.
pub async fn post_jpeg(
    c: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
) -> reqwest::Result<reqwest::Response> {
    c.post(url)
        .header("content-type", "image/jpeg")
        .body(body)
        .send()
        .await
}

/// POSTs a multipart form; the request itself must succeed.
pub async fn post_form(
    c: &reqwest::Client,
    url: &str,
    form: reqwest::multipart::Form,
) -> reqwest::Response {
    c.post(url)
        .multipart(form)
        .send()
        .await
        .expect("POST a form")
}

/// GETs `url` and returns the status; `what` names the request if it fails.
pub async fn get_status(c: &reqwest::Client, url: &str, what: &str) -> reqwest::StatusCode {
    match c.get(url).send().await {
        Ok(r) => r.status(),
        Err(e) => panic!("{what}: {e}"),
    }
}

/// DELETEs `url` and returns the status.
pub async fn delete_status(c: &reqwest::Client, url: &str) -> reqwest::StatusCode {
    match c.delete(url).send().await {
        Ok(r) => r.status(),
        Err(e) => panic!("DELETE {url}: {e}"),
    }
}

/// GETs `url` and returns its body as text, whatever the status.
pub async fn get_text(c: &reqwest::Client, url: &str) -> String {
    let r = c.get(url).send().await.expect("GET");
    r.text().await.expect("a text body")
}

/// GETs `url` and parses its JSON body, whatever the status.
pub async fn get_json(c: &reqwest::Client, url: &str) -> serde_json::Value {
    let r = c.get(url).send().await.expect("GET");
    r.json().await.expect("a JSON body")
}

/// The value of the Prometheus sample `name` (with its labels, e.g.
/// `yoloo_rejected_total{reason="overloaded"}`) in the exposition `text`;
/// 0 when absent.
pub fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0.0)
}

/// A multipart form with the viewer's `input_image` files.
pub fn viewer_form(files: &[(&str, Vec<u8>)]) -> reqwest::multipart::Form {
    let mut f = reqwest::multipart::Form::new();
    for (name, bytes) in files {
        let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string());
        f = f.part("input_image", part);
    }
    f
}

/// `POST /api/images` on a viewer with one file; asserts 201 and returns the record.
pub async fn upload_api(
    c: &reqwest::Client,
    v: &Service,
    name: &str,
    bytes: Vec<u8>,
) -> serde_json::Value {
    let r = c
        .post(v.url("/api/images"))
        .multipart(viewer_form(&[(name, bytes)]))
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    r.json().await.expect("json")
}
