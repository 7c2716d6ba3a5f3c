//! S3 mode: images in an S3-compatible server started here (PyPI
//! `moto[server]`'s `moto_server`), records in the embedded store. Upload,
//! media fetch through the viewer, and the objects really are in the bucket.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use yoloo_testkit::http::{client, delete_status, get_status, upload_api};
use yoloo_testkit::image_bytes;
use yoloo_testkit::programs::{free_port, require_program};
use yoloo_testkit::service::start_viewer;

struct Moto(std::process::Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_round_trip() {
    let Some(bin) = require_program(
        "moto_server",
        "YOLOO_MOTO_SERVER",
        "YOLOO_SKIP_S3",
        "pip install 'moto[server]' (scripts/test.sh puts it in its virtualenv)",
    ) else {
        return;
    };
    let port = free_port();
    let _moto = Moto(
        Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn moto_server"),
    );
    let endpoint = format!("http://127.0.0.1:{port}");
    let c = client();
    let deadline = Instant::now() + Duration::from_secs(60);
    // Create the bucket (moto accepts unsigned requests).
    loop {
        if let Ok(r) = c.put(format!("{endpoint}/yoloo-test")).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(Instant::now() < deadline, "moto_server did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let v = start_viewer(
        dir.path(),
        &[
            ("STORAGE_URL", "s3://yoloo-test/viewer".into()),
            ("AWS_ENDPOINT", endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
        ],
    );
    assert_eq!(get_status(&c, &v.url("/readyz"), "readyz").await, 200);
    let bus = image_bytes("bus.jpg");
    let rec: Value = upload_api(&c, &v, "bus.jpg", bus.clone()).await;
    assert_eq!(rec["status"], "done", "{rec}");
    let id = rec["id"].as_str().expect("id");

    // Through the viewer.
    let orig = c
        .get(v.url(rec["original_url"].as_str().expect("url")))
        .send()
        .await
        .expect("media");
    assert_eq!(orig.status(), 200);
    assert_eq!(orig.headers()["content-type"], "image/jpeg");
    assert_eq!(orig.bytes().await.expect("bytes").to_vec(), bus);
    let ann = c
        .get(v.url(rec["annotated_url"].as_str().expect("url")))
        .send()
        .await
        .expect("media");
    assert!(image::load_from_memory(&ann.bytes().await.expect("bytes")).is_ok());

    // Straight from the bucket, under the prefix: the same bytes.
    use object_store::ObjectStoreExt;
    let bucket = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(&endpoint)
        .with_allow_http(true)
        .with_bucket_name("yoloo-test")
        .with_access_key_id("testing")
        .with_secret_access_key("testing")
        .with_region("us-east-1")
        .build()
        .expect("s3 client");
    let direct = bucket
        .get(&object_store::path::Path::from(format!(
            "viewer/{id}/original.jpg"
        )))
        .await
        .expect("object in the bucket")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(direct.to_vec(), bus);
    for name in ["annotated.jpg", "thumb.jpg"] {
        let key = object_store::path::Path::from(format!("viewer/{id}/{name}"));
        assert!(bucket.head(&key).await.is_ok(), "{key} missing");
    }
    // Nothing written to the local media folder.
    assert!(!dir.path().join("media").exists());

    // Delete: the record and the three objects are gone.
    assert_eq!(
        delete_status(&c, &v.url(&format!("/api/images/{id}"))).await,
        204
    );
    for name in ["original.jpg", "annotated.jpg", "thumb.jpg"] {
        let key = object_store::path::Path::from(format!("viewer/{id}/{name}"));
        assert!(
            matches!(
                bucket.head(&key).await,
                Err(object_store::Error::NotFound { .. })
            ),
            "{key} still in the bucket"
        );
    }
    for url in ["original_url", "annotated_url", "thumbnail_url"] {
        let u = rec[url].as_str().expect("url");
        assert_eq!(get_status(&c, &v.url(u), url).await, 404);
    }
    assert_eq!(
        get_status(&c, &v.url(&format!("/api/images/{id}")), "record").await,
        404
    );
    v.stop();
}
