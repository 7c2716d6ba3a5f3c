//! Throughput of the HTTP service against the library in one process, same
//! machine, model, image and worker/thread layout.
//!
//! ```sh
//! cargo bench --workspace --bench service_throughput            # 15 s per row
//! cargo bench --workspace --bench service_throughput -- --secs 5 --clients 8
//! ```
//!
//! For each layout (inference workers × threads per inference):
//! * **library**: `workers` threads each calling `Detector::detect_bytes` on
//!   the encoded JPEG in a loop (decode + preprocess + inference + decode/NMS);
//! * **service**: the real binary on 127.0.0.1, `clients` concurrent HTTP
//!   clients posting the same JPEG to `/v1/detect`.
//!
//! It prints images/s for both, the overhead, latency percentiles, the cold
//! start to ready and the service's steady RSS. Under `cargo test --benches`
//! it runs a one-second smoke pass so it cannot rot.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use yoloo_core::Detector;
use yoloo_core::detector::DetectOptions;

struct Args {
    secs: f64,
    clients: usize,
    layouts: Vec<(usize, usize)>,
}

fn args() -> Args {
    let raw: Vec<String> = std::env::args().collect();
    // cargo bench passes --bench; cargo test --benches does not.
    let benching = raw.iter().any(|a| a == "--bench");
    let mut a = Args {
        secs: if benching { 15.0 } else { 1.0 },
        clients: 4,
        layouts: vec![(2, 1), (1, 2)],
    };
    let mut it = raw.iter().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().unwrap_or_default();
        match flag.as_str() {
            "--secs" => a.secs = value().parse().unwrap_or(a.secs),
            "--clients" => a.clients = value().parse().unwrap_or(a.clients),
            "--layout" => {
                // WORKERSxTHREADS
                let v = value();
                if let Some((Ok(w), Ok(t))) = v.split_once('x').map(|(w, t)| (w.parse(), t.parse()))
                {
                    a.layouts = vec![(w, t)];
                }
            }
            _ => {}
        }
    }
    a
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Images per second of the library with `workers` threads sharing one detector.
fn library(jpeg: &[u8], workers: usize, threads: usize, secs: f64) -> f64 {
    let detector = Arc::new(
        Detector::builder(yoloo_testkit::tiny_cfg())
            .threads(threads)
            .build()
            .expect("load yolov3-tiny (run scripts/fetch_assets.py)"),
    );
    let opts = DetectOptions::default();
    detector.detect_bytes(jpeg, &opts).expect("warm-up");
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..workers {
            let (d, done, stop, opts) = (&detector, &done, &stop, &opts);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    d.detect_bytes(jpeg, opts).expect("detect");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        std::thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
    });
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

struct ServiceRun {
    images_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: usize,
    cold_start_ms: f64,
    rss_mib: f64,
}

fn service(jpeg: &[u8], workers: usize, threads: usize, clients: usize, secs: f64) -> ServiceRun {
    let spawned = Instant::now();
    let svc = yoloo_testkit::service::detector(
        &[
            "--workers",
            &workers.to_string(),
            "--threads",
            &threads.to_string(),
            "--queue-size",
            &(clients * 2).to_string(),
        ],
        &[("RUST_LOG", "warn,yoloo_detector_svc=info")],
    )
    .spawn();
    svc.wait_ready(Duration::from_secs(60));
    let cold_start_ms = spawned.elapsed().as_secs_f64() * 1e3;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let url = svc.url("/v1/detect");
    let body = axum_bytes(jpeg);
    let (latencies, errors, elapsed) = rt.block_on(async move {
        // The workspace's reqwest has rustls without a built-in provider.
        yoloo_testkit::http::install_tls();
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        let started = Instant::now();
        let tasks: Vec<_> = (0..clients)
            .map(|_| {
                let (client, url, body) = (client.clone(), url.clone(), body.clone());
                tokio::spawn(async move {
                    let (mut lat, mut errors) = (Vec::new(), 0usize);
                    while Instant::now() < deadline {
                        let t = Instant::now();
                        let r = client
                            .post(&url)
                            .header("content-type", "image/jpeg")
                            .body(body.clone())
                            .send()
                            .await;
                        match r {
                            Ok(r) if r.status().is_success() => {
                                let _ = r.bytes().await;
                                lat.push(t.elapsed().as_secs_f64() * 1e3);
                            }
                            _ => errors += 1,
                        }
                    }
                    (lat, errors)
                })
            })
            .collect();
        let (mut all, mut errors) = (Vec::new(), 0);
        for t in tasks {
            if let Ok((lat, e)) = t.await {
                all.extend(lat);
                errors += e;
            }
        }
        (all, errors, started.elapsed())
    });
    let rss_mib = svc.rss_kib() as f64 / 1024.0;
    let mut sorted = latencies.clone();
    sorted.sort_by(f64::total_cmp);
    ServiceRun {
        images_per_s: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: percentile(&sorted, 0.5),
        p99_ms: percentile(&sorted, 0.99),
        errors,
        cold_start_ms,
        rss_mib,
    }
}

fn axum_bytes(b: &[u8]) -> axum::body::Bytes {
    axum::body::Bytes::copy_from_slice(b)
}

fn main() {
    let a = args();
    let jpeg = yoloo_testkit::read(yoloo_testkit::image("bus.jpg"));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "service vs library, yolov3-tiny 416, bus.jpg (810x1080 JPEG), {cores} cores, {} s per row, {} HTTP clients\n",
        a.secs, a.clients
    );
    println!(
        "| workers × threads | library img/s | service img/s | overhead | service p50 / p99 ms | errors | cold start to ready | RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for &(workers, threads) in &a.layouts {
        let lib = library(&jpeg, workers, threads, a.secs);
        let svc = service(&jpeg, workers, threads, a.clients, a.secs);
        let overhead = (1.0 - svc.images_per_s / lib) * 100.0;
        println!(
            "| {workers} × {threads} | {lib:.2} | {:.2} | {overhead:+.1} % | {:.0} / {:.0} | {} | {:.0} ms | {:.0} MiB |",
            svc.images_per_s, svc.p50_ms, svc.p99_ms, svc.errors, svc.cold_start_ms, svc.rss_mib
        );
        assert_eq!(svc.errors, 0, "the service failed requests under load");
    }
}
