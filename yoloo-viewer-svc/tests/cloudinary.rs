//! Cloudinary mode against a local HTTP server posing as the API
//! (`CLOUDINARY_API_BASE`): the signed multipart upload has the documented
//! shape and a valid signature, and records hold the returned `secure_url`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};
use yoloo_testkit::http::{client, delete_status, upload_api, viewer_form};
use yoloo_testkit::image_bytes;
use yoloo_testkit::programs::free_port;
use yoloo_testkit::service::start_viewer;

#[derive(Default)]
struct Fake {
    base: String,
    uploads: Vec<HashMap<String, String>>,
    files: HashMap<String, (Vec<u8>, String, String)>,
    destroyed: Vec<HashMap<String, String>>,
    /// Destroy calls still to refuse with a 500 (Cloudinary having a bad moment).
    fail_destroys: usize,
}

async fn destroy(State(fake): State<Shared>, body: axum::body::Bytes) -> axum::response::Response {
    let fields: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let mut g = fake.lock().expect("lock");
    g.destroyed.push(fields.clone());
    if g.fail_destroys > 0 {
        g.fail_destroys -= 1;
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({"error": {"message": "General Error"}})),
        )
            .into_response();
    }
    if let Some(id) = fields.get("public_id") {
        g.files.remove(id);
    }
    axum::Json(json!({"result": "ok"})).into_response()
}

type Shared = Arc<Mutex<Fake>>;

async fn upload(
    State(fake): State<Shared>,
    Path(cloud): Path<String>,
    mut mp: Multipart,
) -> axum::response::Response {
    let mut fields = HashMap::new();
    let mut file = None;
    while let Ok(Some(f)) = mp.next_field().await {
        let name = f.name().unwrap_or_default().to_owned();
        if name == "file" {
            let fname = f.file_name().unwrap_or_default().to_owned();
            let ctype = f.content_type().unwrap_or_default().to_owned();
            let bytes = f.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
            file = Some((bytes, fname, ctype));
        } else {
            fields.insert(name, f.text().await.unwrap_or_default());
        }
    }
    fields.insert("cloud".into(), cloud);
    let Some(file) = file else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": {"message": "Missing required parameter - file"}})),
        )
            .into_response();
    };
    let public_id = fields.get("public_id").cloned().unwrap_or_default();
    let mut g = fake.lock().expect("lock");
    let url = format!("{}/res/{public_id}", g.base);
    g.files.insert(public_id.clone(), file);
    g.uploads.push(fields);
    axum::Json(json!({"public_id": public_id, "secure_url": url, "resource_type": "image"}))
        .into_response()
}

async fn serve_file(
    State(fake): State<Shared>,
    Path(id): Path<String>,
) -> axum::response::Response {
    match fake.lock().expect("lock").files.get(&id) {
        Some((b, _, _)) => b.clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_uploads_to_a_cloudinary_stand_in() {
    let fake: Shared = Arc::default();
    let app = axum::Router::new()
        .route("/v1_1/{cloud}/image/upload", axum::routing::post(upload))
        .route("/v1_1/{cloud}/image/destroy", axum::routing::post(destroy))
        .route("/res/{*id}", axum::routing::get(serve_file))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    fake.lock().expect("lock").base = base.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let dir = tempfile::tempdir().expect("tempdir");
    let v = start_viewer(
        dir.path(),
        &[
            (
                "CLOUDINARY_URL",
                "cloudinary://123456:s3cr3t@democloud".into(),
            ),
            ("CLOUDINARY_API_BASE", base.clone()),
            ("CLOUDINARY_FOLDER", "yoloo-test".into()),
            ("YOLOO_ORPHAN_RETRY", "1".into()),
        ],
    );
    let c = client();
    let bus = image_bytes("bus.jpg");
    let rec: Value = upload_api(&c, &v, "bus.jpg", bus.clone()).await;
    let id = rec["id"].as_str().expect("id").to_owned();
    assert_eq!(rec["status"], "done");
    assert_eq!(
        rec["original_url"],
        format!("{base}/res/yoloo-test/{id}/original")
    );
    assert_eq!(
        rec["annotated_url"],
        format!("{base}/res/yoloo-test/{id}/annotated")
    );
    assert_eq!(
        rec["thumbnail_url"],
        format!("{base}/res/yoloo-test/{id}/thumb")
    );

    let (uploads, files) = {
        let g = fake.lock().expect("lock");
        (g.uploads.clone(), g.files.clone())
    };
    assert_eq!(uploads.len(), 3, "original, annotated, thumbnail");
    for u in &uploads {
        assert_eq!(u["cloud"], "democloud");
        assert_eq!(u["api_key"], "123456");
        let ts: u64 = u["timestamp"].parse().expect("timestamp is an integer");
        assert!(ts > 1_700_000_000);
        let expected = yoloo_viewer_svc::cloudinary::sign(
            &[
                ("public_id", &u["public_id"]),
                ("timestamp", &u["timestamp"]),
            ],
            "s3cr3t",
        );
        assert_eq!(u["signature"], expected);
        assert_eq!(u["signature"].len(), 40);
        let mut keys: Vec<&str> = u.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["api_key", "cloud", "public_id", "signature", "timestamp"]
        );
    }
    let (bytes, fname, ctype) = &files[&format!("yoloo-test/{id}/original")];
    assert_eq!(bytes, &bus);
    assert_eq!(
        (fname.as_str(), ctype.as_str()),
        ("original.jpg", "image/jpeg")
    );

    // The pages point at Cloudinary's URLs, and the CSP allows them.
    let page = c
        .get(v.url(&format!("/images/{id}")))
        .send()
        .await
        .expect("detail");
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap_or("")
            .contains("https://res.cloudinary.com")
    );
    let page = page.text().await.expect("text");
    assert!(page.contains(&format!("{base}/res/yoloo-test/{id}/annotated")));

    // Delete: three signed destroy calls, the images gone from Cloudinary.
    assert_eq!(
        delete_status(&c, &v.url(&format!("/api/images/{id}"))).await,
        204
    );
    let (destroyed, files) = {
        let mut g = fake.lock().expect("lock");
        (std::mem::take(&mut g.destroyed), g.files.clone())
    };
    let mut ids: Vec<&str> = destroyed.iter().map(|d| d["public_id"].as_str()).collect();
    ids.sort_unstable();
    let expect = [
        format!("yoloo-test/{id}/annotated"),
        format!("yoloo-test/{id}/original"),
        format!("yoloo-test/{id}/thumb"),
    ];
    assert_eq!(ids, expect.iter().map(String::as_str).collect::<Vec<_>>());
    for d in &destroyed {
        assert_signed(d);
    }
    assert!(files.is_empty(), "{:?}", files.keys());

    // Cloudinary refuses the first three destroy calls: the record is gone
    // at once, the images are destroyed by the retries that follow.
    let rec: Value = upload_api(&c, &v, "bus.jpg", bus.clone()).await;
    let id = rec["id"].as_str().expect("id").to_owned();
    fake.lock().expect("lock").fail_destroys = 3;
    assert_eq!(
        delete_status(&c, &v.url(&format!("/api/images/{id}"))).await,
        204
    );
    let r = c
        .get(v.url(&format!("/api/images/{id}")))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 404, "the record outlived a failed image delete");
    assert_eq!(fake.lock().expect("lock").files.len(), 3);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !fake.lock().expect("lock").files.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "queued images never destroyed:\n{}",
            v.log_text()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let destroyed = std::mem::take(&mut fake.lock().expect("lock").destroyed);
    assert!(destroyed.len() >= 6, "{destroyed:?}");
    for d in &destroyed {
        assert_signed(d);
    }
    assert!(v.log_text().contains("queued for a retry"));
    v.stop();

    // The record store is down (nothing listens on that Redis port): the
    // upload fails, and the three images already sent to Cloudinary are
    // destroyed again with signed requests.
    let dir2 = tempfile::tempdir().expect("tempdir");
    let v = start_viewer(
        dir2.path(),
        &[
            (
                "CLOUDINARY_URL",
                "cloudinary://123456:s3cr3t@democloud".into(),
            ),
            ("CLOUDINARY_API_BASE", base.clone()),
            ("CLOUDINARY_FOLDER", "yoloo-test".into()),
            ("REDIS_URL", format!("redis://127.0.0.1:{}/0", free_port())),
        ],
    );
    let before = fake.lock().expect("lock").files.len();
    let r = c
        .post(v.url("/api/images"))
        .multipart(viewer_form(&[("bus.jpg", bus.clone())]))
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 503);
    let (destroyed, after) = {
        let g = fake.lock().expect("lock");
        (g.destroyed.clone(), g.files.len())
    };
    assert_eq!(destroyed.len(), 3, "{destroyed:?}");
    assert_eq!(
        after, before,
        "images left on Cloudinary for an unrecorded upload"
    );
    for d in &destroyed {
        assert_signed(d);
    }
    v.stop();
}

/// A destroy call carries the API key and a valid signature.
fn assert_signed(d: &HashMap<String, String>) {
    assert_eq!(d["api_key"], "123456");
    let expected = yoloo_viewer_svc::cloudinary::sign(
        &[
            ("public_id", &d["public_id"]),
            ("timestamp", &d["timestamp"]),
        ],
        "s3cr3t",
    );
    assert_eq!(d["signature"], expected);
}
