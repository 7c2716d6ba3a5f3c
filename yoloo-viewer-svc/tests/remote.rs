//! Remote mode: the viewer calls a real `yoloo-detector-svc` process over
//! HTTP (the binary `cargo test --workspace` builds, or
//! `YOLOO_DETECTOR_BIN`). The detector is killed mid-run → uploads are
//! recorded as `failed` (original kept); once it is back on the same port,
//! Retry (form and API) completes them.

use std::time::{Duration, Instant};

use serde_json::Value;
use yoloo_testkit::http::{client, delete_status, get_json, get_text, upload_api, viewer_form};
use yoloo_testkit::image_bytes;
use yoloo_testkit::programs::free_port;
use yoloo_testkit::service::{Service, start_detector_at, start_viewer};

/// `/readyz`: the HTTP status and the reported `status` (`ready`, or
/// `degraded` while the detector is away: the viewer stays in the load
/// balancer).
async fn ready(c: &reqwest::Client, v: &Service) -> (u16, String) {
    let r = c.get(v.url("/readyz")).send().await.expect("readyz");
    let code = r.status().as_u16();
    let body: serde_json::Value = r.json().await.expect("readyz JSON");
    (code, body["status"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn remote_detector_failures_and_retry() {
    let port = free_port();
    let mut detector = start_detector_at(port);
    let dir = tempfile::tempdir().expect("tempdir");
    let v = start_viewer(
        dir.path(),
        &[
            ("DETECTOR_SVC_URL", format!("http://127.0.0.1:{port}")),
            ("YOLOO_DETECTOR_TIMEOUT", "20".into()),
            // The model is not needed in remote mode: prove it is not loaded.
            ("YOLOO_MODEL", "/nonexistent/model.cfg".into()),
        ],
    );
    let c = client();
    assert_eq!(ready(&c, &v).await, (200, "ready".to_owned()));

    let bus = image_bytes("bus.jpg");
    let ok: Value = upload_api(&c, &v, "bus.jpg", bus.clone()).await;
    assert_eq!(ok["status"], "done", "{ok}");
    assert_eq!(ok["counts"]["person"], 3, "{ok}");

    // Kill the detector mid-run.
    detector.kill();
    assert_eq!(ready(&c, &v).await, (200, "degraded".to_owned()));
    let failed_api: Value = upload_api(&c, &v, "bus.jpg", bus.clone()).await;
    assert_eq!(failed_api["status"], "failed", "{failed_api}");
    assert!(
        failed_api["error"]
            .as_str()
            .is_some_and(|e| e.contains("detector")),
        "{failed_api}"
    );
    assert!(failed_api["annotated_url"].is_null());
    let r = c
        .post(v.url("/upload"))
        .multipart(viewer_form(&[("bus.jpg", bus.clone())]))
        .send()
        .await
        .expect("form");
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().expect("loc").to_owned();
    assert!(loc.ends_with("?flash=failed"), "{loc}");
    let form_id = loc
        .trim_start_matches("/images/")
        .split('?')
        .next()
        .expect("id")
        .to_owned();
    let page = get_text(&c, &v.url(&loc)).await;
    assert!(
        page.contains("Processing failed") && page.contains(&format!("/images/{form_id}/retry"))
    );
    assert!(
        page.contains("yoloo-detector-svc at http://"),
        "the footer names the detector"
    );
    // The original is kept and served.
    let orig = c
        .get(v.url(failed_api["original_url"].as_str().expect("url")))
        .send()
        .await
        .expect("orig");
    assert_eq!(orig.bytes().await.expect("bytes").to_vec(), bus);
    // Retry while it is still down: still failed, nothing lost.
    let r = c
        .post(v.url(&format!("/images/{form_id}/retry")))
        .send()
        .await
        .expect("retry");
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap_or("")
            .ends_with("flash=failed")
    );

    // Back up: Retry succeeds (form and API).
    let mut detector = start_detector_at(port);
    let deadline = Instant::now() + Duration::from_secs(30);
    while ready(&c, &v).await.1 != "ready" {
        assert!(
            Instant::now() < deadline,
            "viewer never saw the detector ready again"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let r = c
        .post(v.url(&format!("/images/{form_id}/retry")))
        .send()
        .await
        .expect("retry");
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"].to_str().expect("loc"),
        format!("/images/{form_id}?flash=retried")
    );
    let rec: Value = get_json(&c, &v.url(&format!("/api/images/{form_id}"))).await;
    assert_eq!(rec["status"], "done", "{rec}");
    assert_eq!(rec["counts"]["person"], 3);
    let id = failed_api["id"].as_str().expect("id");
    let r = c
        .post(v.url(&format!("/api/images/{id}/retry")))
        .send()
        .await
        .expect("api retry");
    assert_eq!(r.status(), 200);
    let rec: Value = r.json().await.expect("json");
    assert_eq!(rec["status"], "done", "{rec}");
    assert!(rec["error"].is_null());
    let a = c
        .get(v.url(rec["annotated_url"].as_str().expect("url")))
        .send()
        .await
        .expect("annotated");
    assert_eq!(a.status(), 200);
    let page = get_text(&c, &v.url(&format!("/images/{id}"))).await;
    assert!(page.contains("person ×3") && !page.contains("/retry\""));

    v.stop();
    detector.kill();
}

/// Deleting a record while a retry of it is in flight leaves nothing half
/// done: the detector (a real process) is stopped with SIGSTOP while it
/// holds the retry's request, the record is deleted, the detector resumes;
/// the retry then finds its record gone, answers 404 and removes the
/// images it made — no record, no index entry, no count, no file.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn delete_during_an_in_flight_retry_leaves_nothing() {
    let port = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let v = start_viewer(
        dir.path(),
        &[
            ("DETECTOR_SVC_URL", format!("http://127.0.0.1:{port}")),
            ("YOLOO_DETECTOR_TIMEOUT", "60".into()),
            ("YOLOO_MODEL", "/nonexistent/model.cfg".into()),
        ],
    );
    let c = client();
    // No detector yet: the upload is kept as `failed`.
    let rec: Value = upload_api(&c, &v, "bus.jpg", image_bytes("bus.jpg")).await;
    assert_eq!(rec["status"], "failed", "{rec}");
    let id = rec["id"].as_str().expect("id").to_owned();
    let media = dir.path().join("media");
    assert_eq!(yoloo_testkit::programs::files_under(&media).len(), 1);

    let detector = start_detector_at(port);
    detector.signal("STOP");
    let url = v.url(&format!("/api/images/{id}/retry"));
    let retry = tokio::spawn(async move { client().post(url).send().await.expect("retry") });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !retry.is_finished(),
        "the retry did not wait for the detector"
    );
    assert_eq!(
        delete_status(&c, &v.url(&format!("/api/images/{id}"))).await,
        204
    );
    detector.signal("CONT");
    let r = retry.await.expect("retry task");
    assert_eq!(r.status(), 404, "{}", r.text().await.unwrap_or_default());

    assert_eq!(
        c.get(v.url(&format!("/api/images/{id}")))
            .send()
            .await
            .expect("get")
            .status(),
        404
    );
    let page: Value = get_json(&c, &v.url("/api/images")).await;
    assert_eq!(page["images"], serde_json::json!([]));
    let page: Value = get_json(&c, &v.url("/api/images?class=person")).await;
    assert_eq!(page["images"], serde_json::json!([]));
    let classes: Value = get_json(&c, &v.url("/api/classes")).await;
    assert_eq!(classes["classes"], serde_json::json!([]));
    let files = yoloo_testkit::programs::files_under(&media);
    assert!(files.is_empty(), "left behind: {files:?}");
    assert!(
        v.log_text().contains("deleted during its retry"),
        "{}",
        v.log_text()
    );
    v.stop();
}
