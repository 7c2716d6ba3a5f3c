//! SIGTERM: readiness turns 503 at once, in-flight requests finish with 200,
//! the process exits 0 — what a zero-downtime rolling update needs.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use yoloo_testkit::http::{client, post_jpeg};
use yoloo_testkit::service::detector;
use yoloo_testkit::{image, read};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_drains_in_flight_requests_then_exits_zero() {
    let mut svc = detector(
        &[
            "--workers",
            "1",
            "--queue-size",
            "16",
            "--drain-delay",
            "1.5",
            "--shutdown-grace",
            "20",
        ],
        &[],
    )
    .spawn();
    svc.wait_ready(Duration::from_secs(60));
    let bus = read(image("bus.jpg"));
    let c = client();
    // Six requests on one worker: ~0.5 s of work, in flight when SIGTERM arrives.
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (c, url, body) = (c.clone(), svc.url("/v1/detect"), bus.clone());
            tokio::spawn(async move { post_jpeg(&c, &url, body).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = Instant::now();
    svc.signal("TERM");

    // During the drain delay the listener is open and /readyz says 503 …
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ready = c.get(svc.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "draining");
    // … while requests that still arrive are served.
    let late = post_jpeg(&c, &svc.url("/v1/detect"), bus.clone())
        .await
        .unwrap();
    assert_eq!(late.status(), StatusCode::OK);

    for t in tasks {
        let r = t.await.unwrap().expect("in-flight request completed");
        assert_eq!(r.status(), StatusCode::OK);
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["counts"]["person"].as_u64().unwrap() >= 3);
    }
    let code = svc.wait_exit(Duration::from_secs(30)).code();
    let took = sent.elapsed();
    assert_eq!(code, Some(0), "{:#?}", svc.logs());
    assert!(
        took >= Duration::from_millis(1500),
        "the drain delay was skipped: {took:?}"
    );
    let logs = svc.logs().join("\n");
    assert!(logs.contains("all requests finished"), "{logs}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_skips_the_drain_delay() {
    let mut svc = detector(&["--drain-delay", "30"], &[]).spawn();
    svc.wait_ready(Duration::from_secs(60));
    let sent = Instant::now();
    svc.signal("INT");
    assert_eq!(svc.wait_exit(Duration::from_secs(10)).code(), Some(0));
    assert!(sent.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_model_that_cannot_load_exits_nonzero_naming_the_file() {
    let mut svc = detector(&["--model", "/nonexistent/model.cfg"], &[]).spawn();
    let code = svc.wait_exit(Duration::from_secs(30)).code();
    assert_ne!(code, Some(0));
    let logs = svc.logs().join("\n");
    assert!(logs.contains("/nonexistent/model.cfg"), "{logs}");
}

/// Start-up refuses an engine it cannot run, with the core's typed message.
fn exits_nonzero_saying(args: &[&str], env: &[(&str, &str)], needles: &[&str]) {
    let mut svc = detector(args, env).spawn();
    let code = svc.wait_exit(Duration::from_secs(60)).code();
    assert!(matches!(code, Some(c) if c != 0), "exit code {code:?}");
    let logs = svc.logs().join("\n");
    for n in needles {
        assert!(logs.contains(n), "{n:?} not in the logs:\n{logs}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_engine_library_exits_nonzero_with_the_fetch_command() {
    exits_nonzero_saying(
        &["--backend", "onnxruntime"],
        &[("YOLOO_ORT_LIB", "/nonexistent/libonnxruntime.so.1.32.0")],
        &[
            "/nonexistent/libonnxruntime.so.1.32.0",
            "fetch_assets.py --runtimes",
        ],
    );
    exits_nonzero_saying(
        &["--backend", "openvino"],
        &[("YOLOO_OPENVINO_LIB", "/nonexistent/openvino")],
        &["/nonexistent/openvino", "fetch_assets.py --runtimes"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bf16_where_unsupported_and_int8_without_photos_exit_nonzero() {
    exits_nonzero_saying(
        &["--backend", "tract", "--precision", "bf16"],
        &[],
        &["bf16"],
    );
    exits_nonzero_saying(
        &["--backend", "tract", "--precision", "int8"],
        &[],
        &["calibrat"],
    );
}
