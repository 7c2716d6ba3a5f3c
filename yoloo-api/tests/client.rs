//! The typed client (`yoloo_api::client`, the viewer's remote detector)
//! against the real detector: its answers parse into the wire types, and
//! each way of failing is told apart.

use std::time::Duration;

use bytes::Bytes;
use yoloo_api::DetectParams;
use yoloo_api::client::{ClientError, DetectorClient, http_client};
use yoloo_testkit::service::start_detector;
use yoloo_testkit::{image_bytes, programs::free_port};

fn client(base: &str) -> DetectorClient {
    DetectorClient::new(
        base,
        http_client(Duration::from_secs(30), "test").expect("client"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_speaks_the_detectors_api() {
    let mut svc = start_detector(&[], &[]);
    let c = client(&svc.base);
    c.ready().await.expect("ready");

    let bus = Bytes::from(image_bytes("bus.jpg"));
    let params = DetectParams {
        confidence: Some(0.25),
        ..DetectParams::default()
    };
    let r = c
        .detect(bus.clone(), "image/jpeg", &params)
        .await
        .expect("detections");
    assert_eq!(r.model, "yolov3-tiny");
    assert_eq!((r.width, r.height), (810, 1080));
    assert!(r.counts["person"] >= 3, "{:?}", r.counts);
    assert_eq!(r.counts.values().sum::<usize>(), r.detections.len());
    assert!(r.timings_ms.queue.is_some() && r.timings_ms.annotate.is_none());
    let strict = c
        .detect(
            bus.clone(),
            "image/jpeg",
            &DetectParams {
                confidence: Some(0.9),
                ..params.clone()
            },
        )
        .await
        .expect("detections");
    assert!(
        strict.detections.len() < r.detections.len(),
        "the query was sent"
    );

    // Refused: the detector's code, not retried.
    match c
        .detect(Bytes::from_static(b"not an image"), "image/jpeg", &params)
        .await
    {
        Err(ClientError::Rejected { code, message }) => {
            assert_eq!(code, "unsupported_media_type");
            assert!(!message.is_empty());
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    let bad = DetectParams {
        confidence: Some(7.0),
        ..DetectParams::default()
    };
    match c.detect(bus.clone(), "image/jpeg", &bad).await {
        Err(ClientError::Rejected { code, .. }) => assert_eq!(code, "invalid_parameter"),
        other => panic!("expected a rejection, got {other:?}"),
    }

    // Gone: unavailable, worth retrying later.
    svc.kill();
    assert!(matches!(c.ready().await, Err(ClientError::Unavailable(_))));
    let gone = c.detect(bus, "image/jpeg", &params).await;
    assert!(matches!(gone, Err(ClientError::Unavailable(_))), "{gone:?}");
    let nobody = client(&format!("http://127.0.0.1:{}", free_port()));
    assert!(matches!(
        nobody.ready().await,
        Err(ClientError::Unavailable(_))
    ));
}
