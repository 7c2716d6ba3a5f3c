//! The service end to end over real HTTP, run three times: records in the
//! embedded redb file, records in a real `redis-server` started here, and
//! detection by a real `yoloo-detector-svc` process. Upload (API
//! and form), list with pagination, detail page, media, bad uploads leave
//! nothing behind, restart and find everything again.

use std::path::Path;

use serde_json::Value;
use yoloo_testkit::http::{client, get_json, get_status, get_text, upload_api, viewer_form};
use yoloo_testkit::image_bytes;
use yoloo_testkit::programs::{Redis, files_under, free_port};
use yoloo_testkit::service::{Service, start_detector_at, start_viewer};

async fn all_ids(c: &reqwest::Client, v: &Service, limit: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut url = v.url(&format!("/api/images?limit={limit}"));
        if let Some(cur) = &cursor {
            url.push_str(&format!("&cursor={cur}"));
        }
        let page: Value = get_json(c, &url).await;
        let images = page["images"].as_array().expect("images");
        assert!(images.len() <= limit);
        ids.extend(
            images
                .iter()
                .map(|i| i["id"].as_str().expect("id").to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(n) => cursor = Some(n.to_owned()),
            None => break,
        }
    }
    ids
}

async fn check_media(c: &reqwest::Client, v: &Service, url: &str, expect_mime: &str) -> Vec<u8> {
    assert!(url.starts_with("/media/"), "{url}");
    let r = c.get(v.url(url)).send().await.expect("media");
    assert_eq!(r.status(), 200, "{url}");
    assert_eq!(r.headers()["content-type"], expect_mime);
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap_or("")
            .contains("immutable")
    );
    r.bytes().await.expect("bytes").to_vec()
}

/// Acceptance 6: each bad upload gets a clear 4xx (JSON on the API, an HTML
/// page on the form) and leaves no record and no file.
async fn bad_uploads(c: &reqwest::Client, v: &Service, media: &Path, max_bytes: usize) {
    let before_ids = all_ids(c, v, 100).await;
    let before_files = files_under(media);
    let bus = image_bytes("bus.jpg");
    let mut bomb = Vec::new();
    // 3000×3000 = 9 Mpx against a 4 Mpx limit; compresses to a few KB.
    image::GrayImage::new(3000, 3000)
        .write_to(
            &mut std::io::Cursor::new(&mut bomb),
            image::ImageFormat::Png,
        )
        .expect("png");
    let mut oversized = bus.clone();
    oversized.resize(max_bytes + 1, 0);
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "notes.txt",
            b"hello, not an image".to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "truncated.jpg",
            bus[..bus.len() / 3].to_vec(),
            422,
            "undecodable_image",
        ),
        ("empty.jpg", Vec::new(), 400, "missing_image"),
        ("big.jpg", oversized, 413, "payload_too_large"),
        ("bomb.png", bomb, 422, "too_many_pixels"),
    ];
    for (name, bytes, status, code) in cases {
        let r = c
            .post(v.url("/api/images"))
            .multipart(viewer_form(&[(name, bytes.clone())]))
            .send()
            .await
            .expect("api upload");
        assert_eq!(r.status(), status, "API {name}");
        let body: Value = r.json().await.expect("json error");
        assert_eq!(body["error"]["code"], code, "API {name}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );

        let r = c
            .post(v.url("/upload"))
            .multipart(viewer_form(&[(name, bytes)]))
            .send()
            .await
            .expect("form upload");
        assert_eq!(r.status(), status, "form {name}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap_or("")
                .starts_with("text/html")
        );
        let page = r.text().await.expect("page");
        assert!(
            page.contains(&format!("data-code=\"{code}\"")),
            "form {name}: {page}"
        );
    }
    // Two files, each under the limit, together over it.
    let mut half = bus.clone();
    half.resize(max_bytes / 2 + 16 * 1024, 0);
    let r = c
        .post(v.url("/upload"))
        .multipart(viewer_form(&[("a.jpg", half.clone()), ("b.jpg", half)]))
        .send()
        .await
        .expect("two files");
    assert_eq!(r.status(), 413);
    assert!(
        r.text()
            .await
            .expect("page")
            .contains("data-code=\"payload_too_large\"")
    );
    // A form posted without choosing a file: back to the gallery with the original's flash.
    let r = c
        .post(v.url("/upload"))
        .multipart(viewer_form(&[("", Vec::new())]))
        .send()
        .await
        .expect("no file");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/?flash=no_image");
    let page = get_text(c, &v.url("/?flash=no_image")).await;
    assert!(page.contains("No image uploaded"));
    // Every page says what detects: the model, its family, input and engine
    // in-process, or the detector it calls.
    assert!(
        page.contains("yolov3-tiny (darknet, 416×416, tract fp32)")
            || page.contains("yoloo-detector-svc at http://127.0.0.1:"),
        "the footer names what detects"
    );
    // Not multipart at all.
    let r = c
        .post(v.url("/api/images"))
        .body("x")
        .send()
        .await
        .expect("not multipart");
    assert_eq!(r.status(), 400);

    assert_eq!(
        all_ids(c, v, 100).await,
        before_ids,
        "a bad upload left a record"
    );
    assert_eq!(files_under(media), before_files, "a bad upload left a file");
}

async fn suite(extra: Vec<(&'static str, String)>, label: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let max_bytes = 1024 * 1024;
    let mut env = extra.clone();
    env.push(("YOLOO_MAX_BODY_BYTES", max_bytes.to_string()));
    env.push(("YOLOO_MAX_PIXELS", "4000000".into()));
    env.push(("YOLOO_PAGE_SIZE", "2".into()));
    let c = client();
    let v = start_viewer(dir.path(), &env);
    eprintln!("[{label}] viewer at {}", v.base);

    let r = c.get(v.url("/healthz")).send().await.expect("healthz");
    assert_eq!(r.status(), 200);
    let r = c.get(v.url("/readyz")).send().await.expect("readyz");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let rid = c
        .get(v.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .expect("rid");
    assert_eq!(rid.headers()["x-request-id"], "abc-123");
    let rid = c.get(v.url("/healthz")).send().await.expect("rid");
    assert!(rid.headers().contains_key("x-request-id"));

    // API upload.
    let bus = image_bytes("bus.jpg");
    let rec = upload_api(&c, &v, "bus.jpg", bus.clone()).await;
    assert_eq!(rec["status"], "done", "{rec}");
    assert_eq!(rec["counts"]["person"], 3, "{rec}");
    assert_eq!(rec["model"], "yolov3-tiny");
    assert_eq!(
        (rec["width"].as_u64(), rec["height"].as_u64()),
        (Some(810), Some(1080))
    );
    let bus_id = rec["id"].as_str().expect("id").to_owned();

    // Form upload of two files → gallery; one file → its detail page.
    let r = c
        .post(v.url("/upload"))
        .multipart(viewer_form(&[
            ("zidane.jpg", image_bytes("zidane.jpg")),
            ("grace_hopper.jpg", image_bytes("grace_hopper.jpg")),
        ]))
        .send()
        .await
        .expect("form upload");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/?flash=processed_many&n=2");
    let r = c
        .post(v.url("/upload"))
        .multipart(viewer_form(&[("camera.png", image_bytes("camera.png"))]))
        .send()
        .await
        .expect("form upload");
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        loc.starts_with("/images/") && loc.ends_with("?flash=processed"),
        "{loc}"
    );
    let page = get_text(&c, &v.url(&loc)).await;
    assert!(page.contains("Image processed."));
    let rec5 = upload_api(&c, &v, "chelsea.png", image_bytes("chelsea.png")).await;

    // Pagination: 5 records, newest first, pages of 2, no duplicates.
    let ids = all_ids(&c, &v, 2).await;
    assert_eq!(ids.len(), 5, "{ids:?}");
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(ids, sorted, "not newest first");
    assert_eq!(ids[0], rec5["id"].as_str().expect("id"));
    assert_eq!(ids[4], bus_id);
    let r = c
        .get(v.url("/api/images?cursor=../../etc"))
        .send()
        .await
        .expect("bad cursor");
    assert_eq!(r.status(), 400);

    // Gallery pages (page size 2): first page has 2 cards and an "Older" link.
    let index = c.get(v.url("/")).send().await.expect("index");
    let csp = index.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let index = index.text().await.expect("text");
    assert_eq!(index.matches("class=\"card").count(), 2);
    assert!(index.contains(&format!("/?cursor={}", ids[1])));
    let older = get_text(&c, &v.url(&format!("/?cursor={}", ids[3]))).await;
    assert!(
        older.contains(&format!("/images/{bus_id}")) && older.contains("person ×3"),
        "{older}"
    );

    // Detail page and API record.
    let detail = c
        .get(v.url(&format!("/images/{bus_id}")))
        .send()
        .await
        .expect("detail");
    assert_eq!(detail.status(), 200);
    let detail = detail.text().await.expect("text");
    assert!(detail.contains("person ×3") && detail.contains("data-count=\"3\""));
    assert!(detail.contains("id=\"annotated\""));
    let got: Value = get_json(&c, &v.url(&format!("/api/images/{bus_id}"))).await;
    assert_eq!(got, rec);
    assert_eq!(
        get_status(&c, &v.url("/api/images/01ARZ3NDEKTSV4RRFFQ69G5FAV"), "404").await,
        404
    );
    assert_eq!(get_status(&c, &v.url("/images/nope"), "404").await, 404);

    let r = c.get(v.url("/api/nope")).send().await.expect("api 404");
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.expect("json 404");
    assert_eq!(body["error"]["code"], "not_found");

    // Media: original byte-identical; annotated and thumbnail decode.
    let original = check_media(
        &c,
        &v,
        rec["original_url"].as_str().expect("url"),
        "image/jpeg",
    )
    .await;
    assert_eq!(original, bus);
    let annotated = check_media(
        &c,
        &v,
        rec["annotated_url"].as_str().expect("url"),
        "image/jpeg",
    )
    .await;
    let img = image::load_from_memory(&annotated).expect("annotated decodes");
    assert_eq!((img.width(), img.height()), (810, 1080));
    let thumb = check_media(
        &c,
        &v,
        rec["thumbnail_url"].as_str().expect("url"),
        "image/jpeg",
    )
    .await;
    let t = image::load_from_memory(&thumb).expect("thumbnail decodes");
    assert!(t.width().max(t.height()) <= 480);
    assert_eq!(
        get_status(&c, &v.url("/media/../records.redb"), "traversal").await,
        404
    );
    assert_eq!(
        get_status(&c, &v.url(&format!("/media/{bus_id}/secret.txt")), "other").await,
        404
    );

    bad_uploads(&c, &v, &dir.path().join("media"), max_bytes).await;

    let metrics = get_text(&c, &v.url("/metrics")).await;
    assert!(metrics.contains("viewer_uploads_total"), "{metrics}");

    // Restart: SIGTERM (exit 0), start again on the same data, everything is there.
    v.stop();
    let v = start_viewer(dir.path(), &env);
    assert_eq!(all_ids(&c, &v, 2).await, ids);
    let again: Value = get_json(&c, &v.url(&format!("/api/images/{bus_id}"))).await;
    assert_eq!(again, rec);
    assert_eq!(
        check_media(
            &c,
            &v,
            rec["original_url"].as_str().expect("url"),
            "image/jpeg"
        )
        .await,
        bus
    );
    v.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_store() {
    suite(Vec::new(), "redb").await;
}

/// The same suite with detection by a real `yoloo-detector-svc` process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_detector() {
    let mut detector = start_detector_at(free_port());
    suite(vec![("DETECTOR_SVC_URL", detector.base.clone())], "remote").await;
    detector.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store() {
    let Some(redis) = Redis::start() else { return };
    suite(
        vec![
            ("REDIS_URL", redis.url.clone()),
            ("YOLOO_REDIS_PREFIX", "yt:".into()),
        ],
        "redis",
    )
    .await;
    // The documented layout.
    let n = redis.command("ZCARD yt:image_ids");
    assert!(n.starts_with(":5"), "{n}");
    let counts = redis.command("HGET yt:counts person");
    assert!(counts.contains('\n'), "{counts}");
}

/// SIGTERM while an upload is half sent: the upload still completes (201,
/// recorded), new connections are refused, and the process exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_uploads_finish() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut v = start_viewer(dir.path(), &[]);
    let bus = image_bytes("bus.jpg");
    let boundary = "yoloo-boundary-7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"input_image\"; filename=\"bus.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&bus);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let head = format!(
        "POST /api/images HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        v.addr,
        body.len()
    );
    let addr = v.addr;
    let (half, rest) = body.split_at(body.len() / 2);
    let (half, rest) = (half.to_vec(), rest.to_vec());
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.write_all(head.as_bytes()).expect("head");
    s.write_all(&half).expect("half");
    s.flush().expect("flush");
    std::thread::sleep(std::time::Duration::from_millis(300));
    v.send_term();
    // New connections are refused once the signal is handled (polled: a
    // loaded machine may take a moment).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(500)).is_ok()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "still accepting new connections after SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    s.write_all(&rest).expect("rest");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("response");
    assert!(resp.starts_with("HTTP/1.1 201"), "{resp}");
    assert!(resp.contains("\"status\":\"done\""), "{resp}");
    let status = v.wait_exit(std::time::Duration::from_secs(20));
    assert!(status.success(), "exit status {status}");
    // And it was recorded: a fresh process lists it.
    let v = start_viewer(dir.path(), &[]);
    let ids = all_ids(&client(), &v, 10).await;
    assert_eq!(ids.len(), 1);
    v.stop();
}

/// With a drain delay, SIGTERM first turns `/readyz` to 503 while the
/// listener still serves (load balancers stop routing), then the process exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_with_readyz_503_before_closing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut v = start_viewer(dir.path(), &[("YOLOO_DRAIN_DELAY", "1.5".to_owned())]);
    let c = client();
    assert_eq!(get_status(&c, &v.url("/readyz"), "readyz").await, 200);
    let sent = std::time::Instant::now();
    v.send_term();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        get_status(&c, &v.url("/readyz"), "readyz while draining").await,
        503
    );
    // Still serving pages while draining.
    assert_eq!(
        get_status(&c, &v.url("/"), "gallery while draining").await,
        200
    );
    let status = v.wait_exit(std::time::Duration::from_secs(20));
    assert!(status.success(), "exit status {status}");
    assert!(
        sent.elapsed() >= std::time::Duration::from_millis(1500),
        "the drain delay was skipped"
    );
}

/// Redis goes away: uploads fail with 503 (nothing claimed), the images
/// already stored for them are deleted again, readiness says not ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_store_down_leaves_no_orphans() {
    let Some(redis) = Redis::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let v = start_viewer(dir.path(), &[("REDIS_URL", redis.url.clone())]);
    let c = client();
    let ok = upload_api(&c, &v, "bus.jpg", image_bytes("bus.jpg")).await;
    let media = dir.path().join("media");
    let files = files_under(&media);
    assert_eq!(files.len(), 3, "{files:?}");
    drop(redis);
    let r = c
        .post(v.url("/api/images"))
        .multipart(viewer_form(&[("bus.jpg", image_bytes("bus.jpg"))]))
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "record_store_unavailable", "{body}");
    assert_eq!(
        files_under(&media),
        files,
        "orphan files after a failed record write"
    );
    let r = c
        .post(v.url("/upload"))
        .multipart(viewer_form(&[("bus.jpg", image_bytes("bus.jpg"))]))
        .send()
        .await
        .expect("form");
    assert_eq!(r.status(), 503);
    assert_eq!(files_under(&media), files);
    assert_eq!(get_status(&c, &v.url("/readyz"), "readyz").await, 503);
    assert!(ok["id"].is_string());
    v.stop();
}
