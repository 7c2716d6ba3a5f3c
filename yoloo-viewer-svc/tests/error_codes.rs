//! One set of error codes: the same bad upload gets the same code (and so
//! the same status) from both services — the detector's JSON API, raw and
//! multipart, and the viewer's JSON API and upload page.

use reqwest::multipart::{Form, Part};
use serde_json::Value;
use yoloo_testkit::http::{client, viewer_form};
use yoloo_testkit::image_bytes;
use yoloo_testkit::service::{Service, start_detector, start_viewer};

const MAX_BYTES: usize = 1024 * 1024;

/// The code in a JSON error body, after checking its status.
async fn json_code(r: reqwest::Response, status: u16, what: &str) -> String {
    assert_eq!(r.status(), status, "{what}");
    let body: Value = r.json().await.expect("a JSON error body");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{what}: {body}"
    );
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The four ways to send `bytes` as an upload, and the code each got.
async fn codes(
    c: &reqwest::Client,
    detector: &Service,
    viewer: &Service,
    name: &str,
    bytes: &[u8],
    status: u16,
) -> [String; 4] {
    let raw = c
        .post(detector.url("/v1/detect"))
        .header("content-type", "image/jpeg")
        .body(bytes.to_vec())
        .send()
        .await
        .expect("detector, raw");
    let form = Form::new().part(
        "image",
        Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
    );
    let multipart = c
        .post(detector.url("/v1/detect"))
        .multipart(form)
        .send()
        .await
        .expect("detector, multipart");
    let api = c
        .post(viewer.url("/api/images"))
        .multipart(viewer_form(&[(name, bytes.to_vec())]))
        .send()
        .await
        .expect("viewer, API");
    let page = c
        .post(viewer.url("/upload"))
        .multipart(viewer_form(&[(name, bytes.to_vec())]))
        .send()
        .await
        .expect("viewer, page");
    assert_eq!(page.status(), status, "viewer page, {name}");
    let page = page.text().await.expect("an error page");
    let page_code = page
        .split("data-code=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    [
        json_code(raw, status, &format!("detector raw, {name}")).await,
        json_code(multipart, status, &format!("detector multipart, {name}")).await,
        json_code(api, status, &format!("viewer API, {name}")).await,
        page_code,
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_services_give_the_same_code_for_the_same_bad_upload() {
    let limit = MAX_BYTES.to_string();
    let detector = start_detector(&["--max-body-bytes", &limit], &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let viewer = start_viewer(dir.path(), &[("YOLOO_MAX_BODY_BYTES", limit.clone())]);
    let c = client();

    let bus = image_bytes("bus.jpg");
    let mut oversized = bus.clone();
    oversized.resize(MAX_BYTES + 1, 0);
    // An icon: an image format both recognise and neither takes.
    let ico = [0u8, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0].to_vec();
    let cases: [(&str, Vec<u8>, u16, &str); 5] = [
        (
            "truncated.jpg",
            bus[..bus.len() / 3].to_vec(),
            422,
            "undecodable_image",
        ),
        ("empty.jpg", Vec::new(), 400, "missing_image"),
        ("big.jpg", oversized, 413, "payload_too_large"),
        (
            "notes.txt",
            b"hello, not an image".to_vec(),
            415,
            "unsupported_media_type",
        ),
        ("icon.ico", ico, 415, "unsupported_media_type"),
    ];
    for (name, bytes, status, code) in cases {
        let got = codes(&c, &detector, &viewer, name, &bytes, status).await;
        assert_eq!(got, [code; 4].map(str::to_owned), "{name}");
    }
    viewer.stop();
}
