//! Other model families through the service: the real Ultralytics YOLOv8n
//! export (`python3 scripts/fetch_assets.py --extra-models`) behind
//! `YOLOO_MODEL` gives what the library gives with the family's own
//! preprocessing and defaults, on `/v1/detect` and the DeepStack route, and
//! `/v1/models` says what it is.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use yoloo_api::DetectResponse;
use yoloo_core::{Backend, Detector};
use yoloo_detector_svc::routes::deepstack::DeepStackResponse;
use yoloo_testkit::assets::{extra_model, runtime_dir};
use yoloo_testkit::http::{client, get_json, post_form};
use yoloo_testkit::service::start_detector;
use yoloo_testkit::{image, read};

async fn detect(url: &str, body: Vec<u8>) -> DetectResponse {
    let r = client()
        .post(url)
        .header("content-type", "image/jpeg")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    r.json().await.unwrap()
}

/// The service's detections of `photo` equal the library's on the same
/// backend: labels in order, boxes and confidences within `tol`.
async fn same_as_library(svc_url: &str, lib: &Detector, photo: &str, tol: f32) -> usize {
    let bytes = read(image(photo));
    let got = detect(svc_url, bytes.clone()).await;
    // The library with its own defaults: Ultralytics' 0.25 / 0.7 / letterbox.
    let want = lib.detect_bytes(&bytes, lib.options()).unwrap();
    let labels = |v: Vec<&str>| v.join(",");
    assert_eq!(
        labels(got.detections.iter().map(|d| d.label.as_str()).collect()),
        labels(want.detections.iter().map(|d| d.label.as_str()).collect()),
        "{photo}"
    );
    for (g, w) in got.detections.iter().zip(&want.detections) {
        let close = |a: f32, b: f32| (a - b).abs() <= tol * b.abs().max(1.0);
        assert!(
            close(g.confidence, w.confidence)
                && close(g.x1, w.bbox.x1)
                && close(g.y1, w.bbox.y1)
                && close(g.x2, w.bbox.x2)
                && close(g.y2, w.bbox.y2),
            "{photo}: service {g:?} vs library {w:?}"
        );
    }
    got.detections.len()
}

#[tokio::test(flavor = "multi_thread")]
async fn yolov8n_through_the_service_matches_the_library_and_says_its_family() {
    let model = extra_model("yolov8n.onnx");
    let model_arg = model.to_str().unwrap();
    let svc = start_detector(&["--model", model_arg, "--backend", "tract"], &[]);

    let info = get_json(&client(), &svc.url("/v1/models")).await;
    let m = &info["models"][0];
    assert_eq!(m["family"], "ultralytics", "{info}");
    assert_eq!(m["layout"], "anchor-free", "{info}");
    assert_eq!(
        (m["input_width"].as_u64(), m["input_height"].as_u64()),
        (Some(640), Some(640))
    );
    assert_eq!(m["heads"], 0);
    assert_eq!(m["classes"].as_array().map(Vec::len), Some(80));
    assert_eq!(m["classes"][0], "person", "names from the model's metadata");
    assert_eq!(m["backend"], "tract");
    // Nothing configured: Ultralytics' own defaults are in force.
    let d = &m["defaults"];
    assert_eq!(
        (
            &d["confidence"],
            &d["iou"],
            &d["resize"],
            &d["max_detections"]
        ),
        (
            &Value::from(0.25),
            &Value::from(0.7),
            &Value::from("letterbox"),
            &Value::from(300)
        ),
        "{d}"
    );

    let lib = Detector::builder(&model).threads(1).build().unwrap();
    let url = svc.url("/v1/detect");
    let mut found = 0;
    for photo in ["bus.jpg", "zidane.jpg"] {
        found += same_as_library(&url, &lib, photo, 1e-4).await;
    }
    assert!(
        found >= 6,
        "yolov8n found only {found} objects on bus and zidane"
    );

    // DeepStack clients get the same model through their route.
    let form = Form::new()
        .part(
            "image",
            Part::bytes(read(image("bus.jpg"))).file_name("bus.jpg"),
        )
        .text("min_confidence", "0.25");
    let r = post_form(&client(), &svc.url("/v1/vision/detection"), form).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: DeepStackResponse = r.json().await.unwrap();
    assert!(body.success);
    let want = lib
        .detect_bytes(&read(image("bus.jpg")), lib.options())
        .unwrap();
    assert_eq!(body.predictions.len(), want.detections.len());
    assert!(body.predictions.iter().any(|p| p.label == "bus"));
    assert!(
        body.predictions
            .iter()
            .filter(|p| p.label == "person")
            .count()
            >= 3
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flag_overrides_the_family_default() {
    let model = extra_model("yolov8n.onnx");
    let svc = start_detector(
        &[
            "--model",
            model.to_str().unwrap(),
            "--backend",
            "tract",
            "--confidence",
            "0.6",
        ],
        &[],
    );
    let info = get_json(&client(), &svc.url("/v1/models")).await;
    let d = &info["models"][0]["defaults"];
    assert_eq!(d["confidence"], Value::from(0.6), "{d}");
    assert_eq!(
        d["iou"],
        Value::from(0.7),
        "the rest stays the family's: {d}"
    );
    let got = detect(&svc.url("/v1/detect"), read(image("bus.jpg"))).await;
    assert!(!got.detections.is_empty());
    assert!(got.detections.iter().all(|d| d.confidence >= 0.6));
}

/// The same file on ONNX Runtime (its library from `fetch_assets.py --runtimes`).
#[tokio::test(flavor = "multi_thread")]
async fn yolov8n_on_onnx_runtime_matches_the_library_on_onnx_runtime() {
    let model = extra_model("yolov8n.onnx");
    let lib_dir = runtime_dir(Backend::OnnxRuntime);
    let svc = start_detector(
        &[
            "--model",
            model.to_str().unwrap(),
            "--backend",
            "onnxruntime",
        ],
        &[("YOLOO_ORT_LIB", lib_dir.to_str().unwrap())],
    );
    let info = get_json(&client(), &svc.url("/v1/models")).await;
    assert_eq!(info["models"][0]["backend"], "onnxruntime", "{info}");
    let lib = Detector::builder(&model)
        .threads(1)
        .backend(Backend::OnnxRuntime)
        .library(&lib_dir)
        .build()
        .unwrap();
    same_as_library(&svc.url("/v1/detect"), &lib, "bus.jpg", 1e-4).await;
}
