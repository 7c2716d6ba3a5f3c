//! Slow and lying clients cannot lock the detector out. A request's body
//! must arrive within `YOLOO_BODY_TIMEOUT` of its headers (408 otherwise,
//! and its place is given back), its headers within `YOLOO_HEADER_TIMEOUT`
//! (the connection is closed otherwise), and a declared `Content-Length`
//! over the limit is refused at once, taking no place.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use yoloo_testkit::http::{client, get_text, metric, post_jpeg};
use yoloo_testkit::service::start_detector;
use yoloo_testkit::slow::{Ended, Pace, SlowClient, assert_header_timeout, declared_only};
use yoloo_testkit::{image, read};

/// Seconds; short so the test is, long enough for a detection on a busy machine.
const BODY_TIMEOUT: u64 = 2;
const HEADER_TIMEOUT: u64 = 2;
/// Workers + queue.
const PLACES: usize = 3;

fn timeouts() -> [(&'static str, String); 2] {
    [
        ("YOLOO_BODY_TIMEOUT", BODY_TIMEOUT.to_string()),
        ("YOLOO_HEADER_TIMEOUT", HEADER_TIMEOUT.to_string()),
    ]
}

/// 3 × the places of slow connections (a stalled body, a chunked body at a
/// byte a second, a large declared length at a byte a second; on both
/// detection routes), held for more than twice the body timeout, while a
/// normal client sends one detection a second: once the first body-timeout
/// period is over, every normal request is served; the slow connections that
/// held places got 408, the others were refused at once (503, no place free)
/// or closed; none is left open. While they held their places,
/// `yoloo_requests_reading_body` said so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_give_their_places_back_after_the_body_timeout() {
    let env = timeouts();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let svc = start_detector(&["--workers", "1", "--queue-size", "2"], &env);
    let hold = Duration::from_secs(2 * BODY_TIMEOUT + 2);
    let started = Instant::now();
    let slow: Vec<SlowClient> = (0..3 * PLACES)
        .map(|i| {
            let pace = Pace::nth(i);
            let (path, content_type) = if i % 2 == 0 {
                ("/v1/detect", "image/jpeg")
            } else {
                ("/v1/vision/detection", "multipart/form-data; boundary=X")
            };
            SlowClient::start(svc.addr, path, content_type, pace, hold)
        })
        .collect();

    let c = client();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let metrics = get_text(&c, &svc.url("/metrics")).await;
    let reading = metric(&metrics, "yoloo_requests_reading_body");
    assert_eq!(
        reading, PLACES as f64,
        "every place is held by a body still arriving:\n{metrics}"
    );

    let bus = read(image("bus.jpg"));
    let mut normal = Vec::new();
    let mut at = Duration::from_millis(500);
    while at < hold {
        tokio::time::sleep_until((started + at).into()).await;
        let sent = started.elapsed();
        let status = post_jpeg(&c, &svc.url("/v1/detect"), bus.clone())
            .await
            .map(|r| r.status());
        normal.push((sent, status));
        at += Duration::from_secs(1);
    }
    let ended: Vec<Ended> = slow.into_iter().map(SlowClient::join).collect();
    eprintln!("normal requests (sent at, status): {normal:?}");
    eprintln!("slow connections: {ended:?}");

    let period = Duration::from_secs(BODY_TIMEOUT);
    for (sent, status) in &normal {
        if *sent > period {
            assert!(
                matches!(status, Ok(StatusCode::OK)),
                "a request sent {sent:?} after the slow ones came was not served: {status:?}"
            );
        }
    }
    assert!(normal.iter().filter(|(sent, _)| *sent > period).count() >= 3);
    let timed_out = ended.iter().filter(|e| e.status() == Some(408)).count();
    assert_eq!(timed_out, PLACES, "the place holders got 408: {ended:?}");
    for e in &ended {
        assert!(
            matches!(e, Ended::Answered(408 | 503, _) | Ended::Closed(_)),
            "a slow connection was neither answered nor closed: {e:?}"
        );
    }
    let metrics = get_text(&c, &svc.url("/metrics")).await;
    assert_eq!(metric(&metrics, "yoloo_requests_reading_body"), 0.0);
    // The bound tests/hostile.rs holds the service to after its barrage.
    let rss = svc.rss_kib() / 1024;
    eprintln!("RSS after the slow clients: {rss} MiB");
    assert!(rss < 256, "RSS {rss} MiB");
}

/// A header line sent at a byte a second: the connection is closed once the
/// header timeout is over (allowing half a second for the timer and
/// scheduling on a shared machine), never answered with a 2xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_header_line_is_closed_within_the_header_timeout() {
    let env = timeouts();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let svc = start_detector(&[], &env);
    let addr = svc.addr;
    tokio::task::spawn_blocking(move || {
        assert_header_timeout(addr, Duration::from_secs(HEADER_TIMEOUT))
    })
    .await
    .unwrap();
}

/// 20 requests that declare more than `YOLOO_MAX_BODY_BYTES` (30 MiB, and
/// 10^15 bytes), each sending 100 bytes and then nothing: each is answered
/// within 1 s (413; DeepStack's route, which answers bad input with 400,
/// 400), and the detection sent right after is served at once: none of them
/// held a place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_lengths_over_the_limit_are_refused_at_once_without_a_place() {
    let svc = start_detector(&["--workers", "1", "--queue-size", "2"], &[]);
    let addr = svc.addr;
    let answers = tokio::task::spawn_blocking(move || {
        (0..20)
            .map(|i| {
                let declared = if i % 2 == 0 {
                    31_457_280
                } else {
                    1_000_000_000_000_000
                };
                let (path, content_type, want) = if i % 4 < 2 {
                    ("/v1/detect", "image/jpeg", 413)
                } else {
                    (
                        "/v1/vision/detection",
                        "multipart/form-data; boundary=X",
                        400,
                    )
                };
                let got = declared_only(
                    addr,
                    path,
                    content_type,
                    declared,
                    100,
                    Duration::from_secs(10),
                );
                (path, declared, want, got)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for (path, declared, want, got) in &answers {
        let Some((status, took)) = got else {
            panic!("{path} with Content-Length {declared}: no answer");
        };
        assert_eq!(status, want, "{path} with Content-Length {declared}");
        assert!(
            *took < Duration::from_secs(1),
            "{path} with Content-Length {declared}: answered after {took:?}"
        );
    }
    let c = client();
    let r = post_jpeg(&c, &svc.url("/v1/detect"), read(image("bus.jpg")))
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let metrics = get_text(&c, &svc.url("/metrics")).await;
    assert_eq!(
        metric(&metrics, "yoloo_rejected_total{reason=\"overloaded\"}"),
        0.0,
        "{metrics}"
    );
}
