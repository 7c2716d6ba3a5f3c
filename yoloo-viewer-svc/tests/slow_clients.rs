//! Slow and lying clients cannot hang the viewer: an upload's body must
//! arrive within `YOLOO_BODY_TIMEOUT` of its headers (408 otherwise, and its
//! upload slot is given back), headers within `YOLOO_HEADER_TIMEOUT` (the
//! connection is closed otherwise), and a declared `Content-Length` over the
//! limit is refused at once, before a slot is taken.

use std::time::{Duration, Instant};

use yoloo_testkit::http::{client, get_text, metric, viewer_form};
use yoloo_testkit::image_bytes;
use yoloo_testkit::service::{Service, start_viewer};
use yoloo_testkit::slow::{Ended, Pace, SlowClient, assert_header_timeout, declared_only};

const BODY_TIMEOUT: u64 = 2;
const HEADER_TIMEOUT: u64 = 2;
/// `YOLOO_UPLOAD_CONCURRENCY` (the default).
const SLOTS: usize = 2;
const FORM: &str = "multipart/form-data; boundary=X";

fn viewer(dir: &tempfile::TempDir) -> Service {
    start_viewer(
        dir.path(),
        &[
            ("YOLOO_BODY_TIMEOUT", BODY_TIMEOUT.to_string()),
            ("YOLOO_HEADER_TIMEOUT", HEADER_TIMEOUT.to_string()),
            ("YOLOO_UPLOAD_CONCURRENCY", SLOTS.to_string()),
        ],
    )
}

/// 3 × the slots of slow uploads (a stalled body, a chunked body at a byte a
/// second, a large declared length at a byte a second; to the API and the
/// page), held for more than twice the body timeout, while a normal client
/// uploads once a second: every upload sent after the first body-timeout
/// period is stored (201), and every slow one got 408 (or was closed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_uploads_give_their_slots_back_after_the_body_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let v = viewer(&dir);
    let hold = Duration::from_secs(2 * BODY_TIMEOUT + 2);
    let started = Instant::now();
    let slow: Vec<SlowClient> = (0..3 * SLOTS)
        .map(|i| {
            let pace = Pace::nth(i);
            let path = if i % 2 == 0 { "/api/images" } else { "/upload" };
            SlowClient::start(v.addr, path, FORM, pace, hold)
        })
        .collect();

    let c = client();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let metrics = get_text(&c, &v.url("/metrics")).await;
    assert_eq!(
        metric(&metrics, "yoloo_requests_reading_body"),
        SLOTS as f64,
        "every slot is held by a body still arriving:\n{metrics}"
    );

    let bus = image_bytes("bus.jpg");
    let mut uploads = Vec::new();
    let mut at = Duration::from_millis(500);
    while at < hold {
        tokio::time::sleep_until((started + at).into()).await;
        let (c, url, form) = (
            c.clone(),
            v.url("/api/images"),
            viewer_form(&[("bus.jpg", bus.clone())]),
        );
        let sent = started.elapsed();
        uploads.push((
            sent,
            tokio::spawn(
                async move { c.post(url).multipart(form).send().await.map(|r| r.status()) },
            ),
        ));
        at += Duration::from_secs(1);
    }
    let mut normal = Vec::new();
    for (sent, task) in uploads {
        normal.push((sent, task.await.unwrap()));
    }
    let ended: Vec<Ended> = slow.into_iter().map(SlowClient::join).collect();
    eprintln!("normal uploads (sent at, status): {normal:?}");
    eprintln!("slow uploads: {ended:?}");

    let period = Duration::from_secs(BODY_TIMEOUT);
    for (sent, status) in &normal {
        if *sent > period {
            assert!(
                matches!(status, Ok(s) if s.as_u16() == 201),
                "an upload sent {sent:?} after the slow ones came was not stored: {status:?}"
            );
        }
    }
    assert!(normal.iter().filter(|(sent, _)| *sent > period).count() >= 3);
    for e in &ended {
        assert!(
            matches!(e, Ended::Answered(408, _) | Ended::Closed(_)),
            "a slow upload was not refused with 408 nor closed: {e:?}"
        );
    }
    let metrics = get_text(&c, &v.url("/metrics")).await;
    assert_eq!(metric(&metrics, "yoloo_requests_reading_body"), 0.0);
    // Well within the peak tests/memory.rs allows under large uploads (480 MiB).
    let peak = v.peak_rss_kib() / 1024;
    eprintln!("peak RSS with the slow uploads: {peak} MiB");
    assert!(peak < 480, "peak RSS {peak} MiB");
}

/// A header line sent at a byte a second is closed once the header timeout
/// is over (half a second allowed for the timer and scheduling).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_header_line_is_closed_within_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let v = viewer(&dir);
    let addr = v.addr;
    tokio::task::spawn_blocking(move || {
        assert_header_timeout(addr, Duration::from_secs(HEADER_TIMEOUT))
    })
    .await
    .unwrap();
}

/// 20 uploads that declare more than the limit (30 MiB and 10^15 bytes), each
/// sending 100 bytes and then nothing, to the API and the page: each gets 413
/// within 1 s, and the upload sent right after is stored at once: none of
/// them took a slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_lengths_over_the_limit_are_refused_at_once_without_a_slot() {
    let dir = tempfile::tempdir().unwrap();
    let v = viewer(&dir);
    let addr = v.addr;
    let answers = tokio::task::spawn_blocking(move || {
        (0..20)
            .map(|i| {
                let declared = if i % 2 == 0 {
                    31_457_280
                } else {
                    1_000_000_000_000_000
                };
                let path = if i % 4 < 2 { "/api/images" } else { "/upload" };
                (
                    path,
                    declared,
                    declared_only(addr, path, FORM, declared, 100, Duration::from_secs(10)),
                )
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for (path, declared, got) in &answers {
        let Some((status, took)) = got else {
            panic!("{path} with Content-Length {declared}: no answer");
        };
        assert_eq!(*status, 413, "{path} with Content-Length {declared}");
        assert!(
            *took < Duration::from_secs(1),
            "{path} with Content-Length {declared}: answered after {took:?}"
        );
    }
    let c = client();
    let started = Instant::now();
    let r = c
        .post(v.url("/api/images"))
        .multipart(viewer_form(&[("bus.jpg", image_bytes("bus.jpg"))]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    eprintln!(
        "the upload after 20 refused ones took {:?}",
        started.elapsed()
    );
}
