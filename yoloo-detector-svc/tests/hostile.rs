//! Hostile input: every bad request gets its documented 4xx, memory stays
//! bounded, and the service stays ready.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use yoloo_testkit::hostile::png_bomb;
use yoloo_testkit::http::{client, post_form, post_jpeg};
use yoloo_testkit::service::start_detector;
use yoloo_testkit::{image, read};

/// Resident memory the process may reach after the whole barrage (the model,
/// tract's plans, buffers for a 20 MiB body and allocator slack). Measured 114 MiB;
/// see the assertion message.
const RSS_LIMIT_MIB: u64 = 256;

async fn expect(resp: reqwest::Response, status: StatusCode, code: &str, what: &str) {
    let got = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{what}: {body}");
    assert_eq!(body["error"]["code"], code, "{what}: {body}");
    assert!(
        !body["error"]["message"].as_str().unwrap_or("").is_empty(),
        "{what}: {body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_bodies_and_parameters_get_their_4xx() {
    let svc = start_detector(&[], &[]);
    let c = client();
    let url = svc.url("/v1/detect");
    let post =
        |body: Vec<u8>, ct: &'static str| c.post(&url).header("content-type", ct).body(body).send();

    expect(
        post(vec![], "image/jpeg").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "missing_image",
        "0 bytes",
    )
    .await;

    let mut noise = vec![0u8; 64 * 1024];
    rand::Rng::fill(&mut rand::rng(), noise.as_mut_slice());
    expect(
        post(noise, "image/jpeg").await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "random bytes",
    )
    .await;

    let bus = read(image("bus.jpg"));
    let truncated = bus[..bus.len() / 2].to_vec();
    expect(
        post(truncated, "image/jpeg").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "undecodable_image",
        "truncated JPEG",
    )
    .await;

    let rss_before = svc.rss_kib();
    expect(
        post(png_bomb(60_000, 60_000), "image/png").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "too_many_pixels",
        "60000x60000 PNG",
    )
    .await;
    assert!(
        svc.rss_kib() < rss_before + 50 * 1024,
        "the pixel bomb allocated memory"
    );

    // 25 MiB: refused from its Content-Length, before the body is read.
    let big = vec![0u8; 25 * 1024 * 1024];
    expect(
        post(big, "image/jpeg").await.unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "25 MiB body",
    )
    .await;
    // ... and when streamed without a length (chunked), cut off at the limit.
    let addr = svc.addr;
    let status = tokio::task::spawn_blocking(move || chunked_upload(addr, 25))
        .await
        .unwrap();
    assert_eq!(status, Some(413), "25 MiB chunked");

    expect(
        post(b"hello".to_vec(), "text/plain").await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "text/plain",
    )
    .await;
    expect(
        post(b"{}".to_vec(), "application/json").await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "json",
    )
    .await;

    let form = Form::new()
        .part("file", Part::bytes(bus.clone()).file_name("bus.jpg"))
        .text("note", "hi");
    expect(
        post_form(&c, &url, form).await,
        StatusCode::BAD_REQUEST,
        "missing_image",
        "multipart without image",
    )
    .await;
    let r = c
        .post(&url)
        .header("content-type", "multipart/form-data; boundary=x")
        .body("garbage")
        .send()
        .await
        .unwrap();
    expect(
        r,
        StatusCode::BAD_REQUEST,
        "invalid_multipart",
        "broken multipart",
    )
    .await;

    for q in [
        "confidence=2",
        "confidence=-0.1",
        "confidence=abc",
        "iou=1.5",
        "agnostic=maybe",
        "resize=zoom",
        "classes=unicorn",
        "classes=,",
        "max_detections=-1",
    ] {
        let r = post_jpeg(&c, &format!("{url}?{q}"), bus.clone())
            .await
            .unwrap();
        expect(r, StatusCode::BAD_REQUEST, "invalid_parameter", q).await;
    }

    // The DeepStack route: its own envelope, 400 for all bad input.
    let ds = svc.url("/v1/vision/detection");
    for (what, form) in [
        ("no image", Form::new().text("min_confidence", "0.5")),
        (
            "garbage",
            Form::new().part("image", Part::bytes(vec![1, 2, 3]).file_name("image")),
        ),
        (
            "bad min_confidence",
            Form::new()
                .part("image", Part::bytes(bus.clone()).file_name("image"))
                .text("min_confidence", "high"),
        ),
        (
            "min_confidence out of range",
            Form::new()
                .part("image", Part::bytes(bus.clone()).file_name("image"))
                .text("min_confidence", "7"),
        ),
    ] {
        let r = post_form(&c, &ds, form).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{what}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["success"], false, "{what}");
    }
    let r = post_jpeg(&c, &ds, bus.clone()).await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "DeepStack wants multipart"
    );

    // Still ready, still detecting, memory bounded.
    assert_eq!(
        c.get(svc.url("/readyz")).send().await.unwrap().status(),
        StatusCode::OK
    );
    let ok = post(bus, "image/jpeg").await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let rss = svc.rss_kib() / 1024;
    eprintln!("RSS after the hostile barrage: {rss} MiB (limit {RSS_LIMIT_MIB} MiB)");
    assert!(rss > 0 && rss < RSS_LIMIT_MIB, "RSS {rss} MiB");
    assert!(
        svc.logs().iter().all(|l| !l.contains("panicked")),
        "{:#?}",
        svc.logs()
    );
}

/// POSTs `mib` MiB of zeros with `Transfer-Encoding: chunked` (no length
/// known up front) and returns the response status, if one came.
fn chunked_upload(addr: std::net::SocketAddr, mib: usize) -> Option<u16> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .ok()?;
    write!(
        s,
        "POST /v1/detect HTTP/1.1\r\nHost: {addr}\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .ok()?;
    // Read the answer as soon as it comes, while the body is still being sent.
    let mut reader = s.try_clone().ok()?;
    let answer = std::thread::spawn(move || {
        let mut head = [0u8; 64];
        let n = reader.read(&mut head).ok()?;
        std::str::from_utf8(&head[..n])
            .ok()?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    });
    let chunk = vec![0u8; 64 * 1024];
    for _ in 0..mib * 16 {
        // The server stops reading at the limit and answers; writes then fail.
        if write!(s, "{:x}\r\n", chunk.len()).is_err()
            || s.write_all(&chunk).is_err()
            || s.write_all(b"\r\n").is_err()
        {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n");
    answer.join().ok()?
}
