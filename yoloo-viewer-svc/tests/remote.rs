//! Remote mode: the viewer calls `yoloo-detector-svc` over HTTP. The detector
//! is killed mid-run → uploads are recorded as `failed` (original kept);
//! once it is back, Retry (form and API) completes them.
//!
//! The detector is the real `yoloo-detector-svc` binary that
//! `cargo test --workspace` builds next to this test's executable (or
//! `YOLOO_DETECTOR_BIN`). When the workspace has no detector binary, a
//! stand-in implementing the same HTTP contract with yoloo-core runs in this
//! process instead (it says so on stderr).

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};
use support::{Viewer, asset, client, form, free_port, image_bytes};

fn detector_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("YOLOO_DETECTOR_BIN") {
        return Some(PathBuf::from(p));
    }
    let exe = std::env::current_exe().ok()?;
    let p = exe.parent()?.parent()?.join("yoloo-detector-svc");
    p.is_file().then_some(p)
}

enum Detector {
    Real(Child),
    StandIn(tokio::task::JoinHandle<()>),
}

#[derive(serde::Deserialize)]
struct Q {
    confidence: Option<f32>,
    iou: Option<f32>,
}

async fn stand_in_detect(
    State(det): State<Arc<yoloo_core::Detector>>,
    Query(q): Query<Q>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let opts = yoloo_core::detector::DetectOptions {
        confidence: q.confidence.unwrap_or(0.5),
        iou: q.iou.unwrap_or(0.4),
        ..Default::default()
    };
    let name = det.name().to_owned();
    let r = tokio::task::spawn_blocking(move || det.detect_bytes(&body, &opts)).await;
    match r {
        Ok(Ok(d)) => {
            let mut counts = serde_json::Map::new();
            for x in &d.detections {
                let n = counts.get(&x.label).and_then(Value::as_u64).unwrap_or(0);
                counts.insert(x.label.clone(), json!(n + 1));
            }
            axum::Json(json!({
                "model": name, "width": d.width, "height": d.height,
                "detections": d.detections.iter().map(|x| json!({
                    "class_id": x.class_id, "label": x.label, "confidence": x.confidence,
                    "x1": x.bbox.x1, "y1": x.bbox.y1, "x2": x.bbox.x2, "y2": x.bbox.y2})).collect::<Vec<_>>(),
                "counts": counts,
                "timings_ms": {"decode": 0.0, "preprocess": d.timings.preprocess.as_secs_f64() * 1e3,
                    "inference": d.timings.inference.as_secs_f64() * 1e3,
                    "postprocess": d.timings.postprocess.as_secs_f64() * 1e3, "total": 0.0}
            }))
            .into_response()
        }
        _ => (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({"error": {"code": "undecodable", "message": "bad image"}})),
        )
            .into_response(),
    }
}

impl Detector {
    async fn start(port: u16) -> Self {
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let d = match detector_bin() {
            Some(bin) => {
                eprintln!("detector: {}", bin.display());
                let child = Command::new(bin)
                    .arg("--listen")
                    .arg(addr.to_string())
                    .arg("--model")
                    .arg(asset("models/yolov3-tiny.cfg"))
                    .env("YOLOO_THREADS", "1")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("spawn yoloo-detector-svc");
                Detector::Real(child)
            }
            None => {
                eprintln!(
                    "detector: no yoloo-detector-svc binary in the workspace; using the in-test stand-in"
                );
                let det = tokio::task::spawn_blocking(|| {
                    yoloo_core::Detector::builder(asset("models/yolov3-tiny.cfg"))
                        .threads(1)
                        .build()
                })
                .await
                .expect("join")
                .expect("model");
                let app = axum::Router::new()
                    .route("/v1/detect", axum::routing::post(stand_in_detect))
                    .route("/readyz", axum::routing::get(|| async { "ready" }))
                    .with_state(Arc::new(det));
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .expect("bind stand-in");
                Detector::StandIn(tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                }))
            }
        };
        let c = client();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = c.get(format!("http://{addr}/readyz")).send().await
                && r.status() == 200
            {
                break;
            }
            assert!(Instant::now() < deadline, "detector did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        d
    }

    /// Kills it outright (SIGKILL / task abort), as a crash would.
    async fn kill(self) {
        match self {
            Detector::Real(mut c) => {
                let _ = c.kill();
                let _ = c.wait();
            }
            Detector::StandIn(h) => {
                h.abort();
                let _ = h.await;
            }
        }
    }
}

async fn ready(c: &reqwest::Client, v: &Viewer) -> u16 {
    c.get(v.url("/readyz"))
        .send()
        .await
        .expect("readyz")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn remote_detector_failures_and_retry() {
    let port = free_port();
    let detector = Detector::start(port).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let v = Viewer::start(
        dir.path(),
        &[
            ("DETECTOR_SVC_URL", format!("http://127.0.0.1:{port}")),
            ("YOLOO_DETECTOR_TIMEOUT", "20".into()),
            // The model is not needed in remote mode: prove it is not loaded.
            ("YOLOO_MODEL", "/nonexistent/model.cfg".into()),
        ],
    );
    let c = client();
    assert_eq!(ready(&c, &v).await, 200);

    let bus = image_bytes("bus.jpg");
    let r = c
        .post(v.url("/api/images"))
        .multipart(form(&[("bus.jpg", bus.clone())]))
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 201);
    let ok: Value = r.json().await.expect("json");
    assert_eq!(ok["status"], "done", "{ok}");
    assert_eq!(ok["counts"]["person"], 3, "{ok}");

    // Kill the detector mid-run.
    detector.kill().await;
    assert_eq!(ready(&c, &v).await, 503);
    let r = c
        .post(v.url("/api/images"))
        .multipart(form(&[("bus.jpg", bus.clone())]))
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 201, "a failed detection is still recorded");
    let failed_api: Value = r.json().await.expect("json");
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
        .multipart(form(&[("bus.jpg", bus.clone())]))
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
    let page = c
        .get(v.url(&loc))
        .send()
        .await
        .expect("detail")
        .text()
        .await
        .expect("text");
    assert!(
        page.contains("Processing failed") && page.contains(&format!("/images/{form_id}/retry"))
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
    let detector = Detector::start(port).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while ready(&c, &v).await != 200 {
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
    let rec: Value = c
        .get(v.url(&format!("/api/images/{form_id}")))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
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
    let page = c
        .get(v.url(&format!("/images/{id}")))
        .send()
        .await
        .expect("detail")
        .text()
        .await
        .expect("text");
    assert!(page.contains("person ×3") && !page.contains("/retry\""));

    v.stop();
    detector.kill().await;
}
