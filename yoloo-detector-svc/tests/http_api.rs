//! Every route over real HTTP on 127.0.0.1, with the real yolov3-tiny.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use yoloo_api::DetectResponse;
use yoloo_core::Detector;
use yoloo_core::detector::DetectOptions;
use yoloo_detector_svc::routes::deepstack::DeepStackResponse;
use yoloo_testkit::http::{client, get_json, get_text, post_form};
use yoloo_testkit::service::start_detector;
use yoloo_testkit::{image, read, tiny_cfg};

async fn detect(url: &str, body: Vec<u8>, content_type: &str) -> DetectResponse {
    let r = client()
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    r.json().await.unwrap()
}

fn labels(r: &DetectResponse) -> Vec<&str> {
    r.detections.iter().map(|d| d.label.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn json_detections_equal_the_library_and_counts_follow_nms() {
    let svc = start_detector(&[], &[]);
    let bus = read(image("bus.jpg"));
    let got = detect(&svc.url("/v1/detect"), bus.clone(), "image/jpeg").await;

    let lib = Detector::builder(tiny_cfg()).threads(1).build().unwrap();
    let want = lib.detect_bytes(&bus, &DetectOptions::default()).unwrap();
    assert_eq!(got.model, "yolov3-tiny");
    assert_eq!((got.width, got.height), (want.width, want.height));
    assert_eq!(got.detections.len(), want.detections.len());
    for (g, w) in got.detections.iter().zip(&want.detections) {
        assert_eq!(
            (g.class_id, g.label.as_str()),
            (w.class_id, w.label.as_str())
        );
        // Same code, same input: identical up to float formatting.
        assert!((g.confidence - w.confidence).abs() < 1e-6, "{g:?} vs {w:?}");
        for (a, b) in [
            (g.x1, w.bbox.x1),
            (g.y1, w.bbox.y1),
            (g.x2, w.bbox.x2),
            (g.y2, w.bbox.y2),
        ] {
            assert!((a - b).abs() < 1e-3, "{g:?} vs {w:?}");
        }
    }
    // Counts are taken after NMS: they add up to the detections listed.
    let mut counts = BTreeMap::new();
    for d in &got.detections {
        *counts.entry(d.label.clone()).or_insert(0usize) += 1;
    }
    assert_eq!(got.counts, counts);
    assert!(got.counts["person"] >= 3, "{:?}", got.counts);
    let t = &got.timings_ms;
    assert!(t.inference > 0.0 && t.decode > 0.0 && t.preprocess > 0.0);
    assert!(t.total >= t.decode + t.preprocess + t.inference + t.postprocess);
    // Most confident first.
    assert!(
        got.detections
            .windows(2)
            .all(|w| w[0].confidence >= w[1].confidence)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_octet_stream_no_type_and_multipart_bodies_agree() {
    let svc = start_detector(&[], &[]);
    let bus = read(image("bus.jpg"));
    let url = svc.url("/v1/detect");
    let jpeg = detect(&url, bus.clone(), "image/jpeg").await;
    let octet = detect(&url, bus.clone(), "application/octet-stream").await;
    let untyped: DetectResponse = client()
        .post(&url)
        .body(bus.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let form = Form::new().part("image", Part::bytes(bus.clone()).file_name("bus.jpg"));
    let r = post_form(&client(), &url, form).await;
    assert_eq!(r.status(), StatusCode::OK);
    let multipart: DetectResponse = r.json().await.unwrap();
    for other in [&octet, &untyped, &multipart] {
        assert_eq!(other.detections, jpeg.detections);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn accept_image_returns_the_annotated_input() {
    let svc = start_detector(&[], &[]);
    let bus = read(image("bus.jpg"));
    for (accept, format) in [
        ("image/jpeg", image::ImageFormat::Jpeg),
        ("image/png", image::ImageFormat::Png),
    ] {
        let r = client()
            .post(svc.url("/v1/detect"))
            .header("content-type", "image/jpeg")
            .header("accept", accept)
            .body(bus.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], accept);
        let counts: BTreeMap<String, usize> =
            serde_json::from_str(r.headers()["x-yoloo-counts"].to_str().unwrap()).unwrap();
        assert!(counts["person"] >= 3);
        let bytes = r.bytes().await.unwrap();
        assert_eq!(image::guess_format(&bytes).unwrap(), format);
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!((img.width(), img.height()), (810, 1080));
        // Boxes are drawn: the picture differs from the plain decoded input.
        let plain = image::load_from_memory(&bus).unwrap().to_rgb8();
        let drawn = img.to_rgb8();
        let diff = drawn
            .pixels()
            .zip(plain.pixels())
            .filter(|(a, b)| a.0.iter().zip(b.0).any(|(x, y)| x.abs_diff(y) > 60));
        assert!(diff.count() > 1000);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn query_parameters_change_results_as_documented() {
    let svc = start_detector(&[], &[]);
    let bus = read(image("bus.jpg"));
    // yolov3-tiny sees the bus at 0.15 only (OpenCV agrees); persons at 0.98, 0.96, 0.70.
    let base = detect(
        &svc.url("/v1/detect?confidence=0.1"),
        bus.clone(),
        "image/jpeg",
    )
    .await;
    assert!(labels(&base).contains(&"bus"), "{:?}", labels(&base));

    // classes: only the named labels.
    let persons = detect(
        &svc.url("/v1/detect?confidence=0.1&classes=person"),
        bus.clone(),
        "image/jpeg",
    )
    .await;
    assert!(!persons.detections.is_empty());
    assert!(labels(&persons).iter().all(|l| *l == "person"));
    assert_eq!(persons.counts.keys().collect::<Vec<_>>(), ["person"]);
    let two = detect(
        &svc.url("/v1/detect?confidence=0.1&classes=bus,person"),
        bus.clone(),
        "image/jpeg",
    )
    .await;
    assert_eq!(
        two.detections.len(),
        base.counts["bus"] + base.counts["person"]
    );

    // confidence: a higher threshold keeps a strict subset, all above it.
    let strict = detect(
        &svc.url("/v1/detect?confidence=0.9"),
        bus.clone(),
        "image/jpeg",
    )
    .await;
    assert!(strict.detections.len() < base.detections.len());
    assert!(strict.detections.iter().all(|d| d.confidence >= 0.9));
    let default = detect(&svc.url("/v1/detect"), bus.clone(), "image/jpeg").await;
    assert_eq!(default.counts, BTreeMap::from([("person".to_owned(), 3)]));
    assert!(strict.detections.len() < default.detections.len());
    let loose = detect(
        &svc.url("/v1/detect?confidence=0.01&iou=0.3"),
        bus.clone(),
        "image/jpeg",
    )
    .await;
    assert!(loose.detections.len() > base.detections.len());

    // agnostic: boxes of different classes now suppress each other (50 → 47 here).
    let agnostic = detect(
        &svc.url("/v1/detect?confidence=0.01&iou=0.3&agnostic=true"),
        bus.clone(),
        "image/jpeg",
    )
    .await;
    assert!(
        agnostic.detections.len() < loose.detections.len(),
        "{} vs {}",
        agnostic.detections.len(),
        loose.detections.len()
    );

    // max_detections caps, keeping the most confident.
    let capped = detect(
        &svc.url("/v1/detect?confidence=0.01&iou=0.3&max_detections=2"),
        bus.clone(),
        "image/jpeg",
    )
    .await;
    assert_eq!(capped.detections, loose.detections[..2].to_vec());

    // resize=letterbox is a different preprocessing: same objects, other scores.
    let letterbox = detect(
        &svc.url("/v1/detect?resize=letterbox"),
        bus.clone(),
        "image/jpeg",
    )
    .await;
    assert!(labels(&letterbox).contains(&"person"));
    assert_ne!(letterbox.detections, default.detections);

    // Parameters equal the library's with the same options.
    let lib = Detector::builder(tiny_cfg()).threads(1).build().unwrap();
    let opts = DetectOptions {
        confidence: 0.01,
        iou: 0.3,
        agnostic: true,
        ..DetectOptions::default()
    };
    let want = lib.detect_bytes(&bus, &opts).unwrap();
    assert_eq!(agnostic.detections.len(), want.detections.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn deepstack_route_answers_like_deepstack() {
    let svc = start_detector(&[], &[]);
    let bus = read(image("bus.jpg"));
    let form = Form::new()
        .part("image", Part::bytes(bus.clone()).file_name("image"))
        .text("min_confidence", "0.1")
        .text("api_key", "");
    let r = post_form(&client(), &svc.url("/v1/vision/detection"), form).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: DeepStackResponse = r.json().await.unwrap();
    assert!(body.success);
    assert!(body.predictions.iter().any(|p| p.label == "bus"));
    assert!(
        body.predictions
            .iter()
            .filter(|p| p.label == "person")
            .count()
            >= 3
    );
    assert!(body.predictions.iter().all(|p| p.confidence >= 0.1));
    assert!(
        body.predictions
            .windows(2)
            .all(|w| w[0].confidence >= w[1].confidence)
    );
    assert!(
        body.predictions
            .iter()
            .all(|p| 0 <= p.x_min && p.x_min < p.x_max && p.x_max <= 810 && p.y_max <= 1080)
    );

    // Default min_confidence is 0.4 (DeepStack's), lower than the JSON API's 0.5.
    let form = Form::new().part("image", Part::bytes(bus.clone()).file_name("image"));
    let default: DeepStackResponse = post_form(&client(), &svc.url("/v1/vision/detection"), form)
        .await
        .json()
        .await
        .unwrap();
    assert!(default.predictions.iter().all(|p| p.confidence >= 0.4));
    assert_eq!(default.predictions.len(), 3);
    assert!(default.predictions.len() < body.predictions.len());

    // Errors use DeepStack's envelope.
    let form = Form::new().part(
        "image",
        Part::bytes(b"not an image".to_vec()).file_name("image"),
    );
    let r = post_form(&client(), &svc.url("/v1/vision/detection"), form).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["success"], false);
    assert!(err["error"].as_str().unwrap().contains("image"));
}

/// A DeepStack text field over 4096 bytes is refused in DeepStack's
/// envelope, not dropped (which would run with the 0.4 default): here
/// `min_confidence` is "0.99" padded with spaces to 4097 bytes.
#[tokio::test(flavor = "multi_thread")]
async fn deepstack_fields_over_4096_bytes_are_refused() {
    let svc = start_detector(&[], &[]);
    let bus = read(image("bus.jpg"));
    let padded = format!("0.99{}", " ".repeat(4093));
    assert_eq!(padded.len(), 4097);
    let form = Form::new()
        .part("image", Part::bytes(bus.clone()).file_name("image"))
        .text("min_confidence", padded);
    let r = post_form(&client(), &svc.url("/v1/vision/detection"), form).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["success"], false, "{err}");
    assert!(
        err["error"].as_str().unwrap().contains("min_confidence"),
        "{err}"
    );
    // 4096 bytes is still a field: "0.99" and spaces, trimmed, is 0.99.
    let form = Form::new()
        .part("image", Part::bytes(bus).file_name("image"))
        .text("min_confidence", format!("0.99{}", " ".repeat(4092)));
    let r = post_form(&client(), &svc.url("/v1/vision/detection"), form).await;
    assert_eq!(r.status(), StatusCode::OK);
    let ok: DeepStackResponse = r.json().await.unwrap();
    assert!(ok.predictions.is_empty(), "{ok:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn api_key_is_checked_only_when_configured() {
    let svc = start_detector(&[], &[("YOLOO_API_KEY", "s3cret")]);
    let bus = read(image("bus.jpg"));
    let post = |key: Option<&str>| {
        let mut form = Form::new().part("image", Part::bytes(bus.clone()).file_name("image"));
        if let Some(k) = key {
            form = form.text("api_key", k.to_owned());
        }
        client()
            .post(svc.url("/v1/vision/detection"))
            .multipart(form)
            .send()
    };
    assert_eq!(post(Some("s3cret")).await.unwrap().status(), StatusCode::OK);
    for bad in [Some("wrong"), Some(""), None] {
        let r = post(bad).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{bad:?}");
        let err: Value = r.json().await.unwrap();
        assert_eq!(err["success"], false);
    }
    // The key never appears in the logs.
    assert!(svc.logs().iter().all(|l| !l.contains("s3cret")));
}

#[tokio::test(flavor = "multi_thread")]
async fn models_health_openapi_metrics_and_request_ids() {
    let svc = start_detector(&[], &[]);
    let c = client();

    let models: Value = get_json(&c, &svc.url("/v1/models")).await;
    let m = &models["models"][0];
    assert_eq!(m["name"], "yolov3-tiny");
    assert_eq!(
        (m["input_width"].as_u64(), m["input_height"].as_u64()),
        (Some(416), Some(416))
    );
    assert_eq!(m["classes"].as_array().unwrap().len(), 80);
    assert_eq!(m["classes"][0], "person");
    assert_eq!(m["heads"], 2);

    assert_eq!(
        c.get(svc.url("/healthz")).send().await.unwrap().status(),
        StatusCode::OK
    );
    let ready = c.get(svc.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);

    let doc: Value = get_json(&c, &svc.url("/openapi.json")).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/v1/detect",
        "/v1/vision/detection",
        "/v1/models",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    let params: Vec<&str> = paths["/v1/detect"]["post"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        params,
        [
            "confidence",
            "iou",
            "agnostic",
            "resize",
            "classes",
            "max_detections"
        ]
    );

    // Request ids: honoured, or generated; always echoed.
    let r = c
        .get(svc.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    let r = c.get(svc.url("/healthz")).send().await.unwrap();
    assert_eq!(r.headers()["x-request-id"].len(), 36, "a generated UUID");

    // Unknown routes: JSON 404.
    let r = c.get(svc.url("/nope")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["code"], "not_found");

    // Metrics after one detection.
    let bus = read(image("bus.jpg"));
    detect(&svc.url("/v1/detect"), bus, "image/jpeg").await;
    let text = get_text(&c, &svc.url("/metrics")).await;
    for needle in [
        "yoloo_http_requests_total{route=\"/v1/detect\",method=\"POST\",status=\"200\"} 1",
        "yoloo_stage_duration_seconds_bucket{stage=\"inference\"",
        "yoloo_stage_duration_seconds_count{stage=\"decode\"} 1",
        "yoloo_http_request_duration_seconds_bucket{route=\"/v1/detect\"",
        "yoloo_queue_depth 0",
        "yoloo_http_requests_in_flight 1",
        "yoloo_model_info{model=\"yolov3-tiny\",input_width=\"416\",input_height=\"416\",classes=\"80\",backend=\"",
        "\",precision=\"fp32\",engine_version=\"",
        "yoloo_ready 1",
    ] {
        assert!(text.contains(needle), "{needle} not in:\n{text}");
    }
}
