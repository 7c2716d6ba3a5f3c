//! The viewer's JSON API is described at `/openapi.json`, as the detector's is.

use serde_json::Value;
use yoloo_testkit::http::{client, get_json};
use yoloo_testkit::service::start_viewer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_api_has_an_openapi_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    let v = start_viewer(dir.path(), &[]);
    let doc: Value = get_json(&client(), &v.url("/openapi.json")).await;
    assert!(
        doc["openapi"].as_str().is_some_and(|s| s.starts_with("3.")),
        "{doc}"
    );
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/images", "get"),
        ("/api/images", "post"),
        ("/api/images/{id}", "get"),
        ("/api/images/{id}/retry", "post"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/openapi.json", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    let upload = &paths["/api/images"]["post"];
    assert!(
        upload["requestBody"]["content"]["multipart/form-data"].is_object(),
        "{upload}"
    );
    let params: Vec<&str> = paths["/api/images"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(params, ["class", "cursor", "limit"]);
    assert!(paths["/api/images/{id}"]["delete"].is_object(), "no DELETE");
    assert!(paths["/api/classes"]["get"].is_object(), "no /api/classes");
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "Record",
        "Detection",
        "Timings",
        "ImagePage",
        "ErrorBody",
        "ErrorCode",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    // The codes documented are the ones both services answer with.
    let codes = schemas["ErrorCode"]["enum"].as_array().expect("an enum");
    assert!(
        codes.iter().any(|c| c == "unsupported_media_type"),
        "{codes:?}"
    );
    v.stop();
}
