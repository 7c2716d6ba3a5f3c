//! Zero-downtime rolling update, end to end: real replicas of the service
//! behind a small load balancer that behaves like a Kubernetes Service, under
//! steady load, rolled like a Deployment with maxSurge 1 / maxUnavailable 0.
//!
//! * The balancer round-robins each request over the replicas its readiness
//!   probe (`/readyz` every 250 ms) last saw ready; it never retries, and an
//!   upstream error becomes a 502 for the client — as with a Service, the
//!   replica alone must make the rollout invisible.
//! * A replica joins the balancer as soon as it listens (pod created) and is
//!   taken out only once its process has exited (pod deleted): in between,
//!   readiness is all the balancer goes by, with up to 250 ms of lag.
//! * Four clients POST `bus.jpg` to `/v1/detect` for the whole rollout; any
//!   answer but 200 (or a transport error) is a failure.
//!
//! `rolling_update_with_graceful_drain_drops_no_request` asserts zero failures;
//! `rolling_update_without_drain_drops_requests` is the negative proof: with
//! `--drain-delay 0 --shutdown-grace 0` the same rollout, restarting six
//! replicas instead of three, must fail requests
//! (the listener closes while the balancer still routes to it, and in-flight
//! requests are cut). Each writes a Markdown report to
//! `$CARGO_TARGET_TMPDIR/rolling-update.md` (`rolling-update-no-drain.md`).
//!
//! To watch the positive test fail without the drain, override its settings:
//!
//! ```text
//! YOLOO_ROLLOUT_DRAIN_DELAY=0 YOLOO_ROLLOUT_SHUTDOWN_GRACE=0 \
//!   cargo test --release --workspace --test rolling_update -- with_graceful_drain --nocapture
//! ```

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{StatusCode, header::CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use yoloo_testkit::http::{client, install_tls, post_jpeg};
use yoloo_testkit::service::detector;
use yoloo_testkit::{Service, image, read};

const PROBE_EVERY: Duration = Duration::from_millis(250);
const CLIENTS: usize = 4;
/// Replicas replaced one at a time, as by a 3-replica Deployment's rollout.
const RESTARTS: usize = 3;
/// The negative proof rolls twice as often: each restart without drain cuts
/// what is in flight on the old replica (0-3 requests, 2-8 per 3-restart run
/// measured), so a run with no failure at all must be practically impossible.
const RESTARTS_WITHOUT_DRAIN: usize = 2 * RESTARTS;

// ---------------------------------------------------------------- balancer

/// One endpoint of the Service.
struct Backend {
    name: String,
    addr: SocketAddr,
    /// The last readiness probe's verdict.
    ready: AtomicBool,
    /// Taken out of the Service: its probe stops.
    removed: AtomicBool,
    /// Requests it answered with 200.
    served: AtomicU64,
}

/// A Kubernetes-Service-like HTTP balancer: round-robin over ready endpoints,
/// one fresh upstream connection per request, no retries.
#[derive(Clone)]
struct Balancer {
    backends: Arc<Mutex<Vec<Arc<Backend>>>>,
    next: Arc<AtomicUsize>,
    upstream: reqwest::Client,
}

impl Balancer {
    async fn start() -> (Self, SocketAddr) {
        install_tls();
        let upstream = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .retry(reqwest::retry::never())
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let lb = Self {
            backends: Arc::default(),
            next: Arc::default(),
            upstream,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(forward).with_state(lb.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (lb, addr)
    }

    /// Adds an endpoint, not ready until its probe says so.
    fn add(&self, name: String, addr: SocketAddr) -> Arc<Backend> {
        let backend = Arc::new(Backend {
            name,
            addr,
            ready: AtomicBool::new(false),
            removed: AtomicBool::new(false),
            served: AtomicU64::new(0),
        });
        self.backends.lock().unwrap().push(Arc::clone(&backend));
        let (b, probe) = (Arc::clone(&backend), self.upstream.clone());
        tokio::spawn(async move {
            let url = format!("http://{}/readyz", b.addr);
            while !b.removed.load(Ordering::SeqCst) {
                let answer = probe.get(&url).timeout(Duration::from_secs(1)).send();
                let ok = matches!(answer.await, Ok(r) if r.status() == StatusCode::OK);
                b.ready.store(ok, Ordering::SeqCst);
                tokio::time::sleep(PROBE_EVERY).await;
            }
        });
        backend
    }

    fn remove(&self, backend: &Backend) {
        backend.removed.store(true, Ordering::SeqCst);
        backend.ready.store(false, Ordering::SeqCst);
        self.backends
            .lock()
            .unwrap()
            .retain(|b| b.addr != backend.addr);
    }

    fn pick(&self) -> Option<Arc<Backend>> {
        let all = self.backends.lock().unwrap();
        let ready: Vec<_> = all
            .iter()
            .filter(|b| b.ready.load(Ordering::SeqCst))
            .collect();
        if ready.is_empty() {
            return None;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % ready.len();
        Some(Arc::clone(ready[i]))
    }
}

/// Forwards method, path and query, content type and body; 502 on any upstream error.
async fn forward(State(lb): State<Balancer>, request: Request) -> Response {
    let Some(backend) = lb.pick() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "no ready endpoint").into_response();
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 64 << 20).await else {
        return (StatusCode::BAD_REQUEST, "unreadable request body").into_response();
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut up = lb
        .upstream
        .request(parts.method, format!("http://{}{path}", backend.addr))
        .body(body);
    if let Some(ct) = parts.headers.get(CONTENT_TYPE) {
        up = up.header(CONTENT_TYPE, ct);
    }
    let answer = async {
        let r = up.send().await?;
        let ct = r.headers().get(CONTENT_TYPE).cloned();
        Ok::<_, reqwest::Error>((r.status(), ct, r.bytes().await?))
    };
    match answer.await {
        Ok((status, ct, bytes)) => {
            if status == StatusCode::OK {
                backend.served.fetch_add(1, Ordering::Relaxed);
            }
            let mut response = (status, bytes).into_response();
            if let Some(ct) = ct {
                response.headers_mut().insert(CONTENT_TYPE, ct);
            }
            response
        }
        Err(e) => {
            let mut why = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                why = format!("{why}: {s}");
                source = s.source();
            }
            let msg = format!("upstream {}: {why}", backend.name);
            (StatusCode::BAD_GATEWAY, msg).into_response()
        }
    }
}

// ---------------------------------------------------------------- rollout

/// The replicas' drain flags (`None`: the service's default).
struct Drain {
    delay: Option<String>,
    grace: Option<String>,
}

struct Replica {
    svc: Service,
    backend: Arc<Backend>,
}

/// Creates a pod: the process starts, the Service lists it as soon as it
/// listens, and it takes traffic once the probe has seen it ready.
async fn create_replica(lb: &Balancer, name: String, drain: &Drain) -> Replica {
    let mut args: Vec<String> = ["--threads", "1", "--workers", "1"]
        .map(String::from)
        .to_vec();
    if let Some(d) = &drain.delay {
        args.extend(["--drain-delay".into(), d.clone()]);
    }
    if let Some(g) = &drain.grace {
        args.extend(["--shutdown-grace".into(), g.clone()]);
    }
    let svc = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        detector(&args, &[]).spawn()
    })
    .await
    .unwrap();
    let backend = lb.add(name, svc.addr);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !backend.ready.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < deadline,
            "{} never seen ready; logs: {:#?}",
            backend.name,
            svc.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Replica { svc, backend }
}

/// Deletes a pod: SIGTERM, wait for the exit (status 0), then the endpoint goes.
async fn delete_replica(lb: &Balancer, replica: Replica) {
    let Replica { mut svc, backend } = replica;
    svc.signal("TERM");
    let (code, svc) = tokio::task::spawn_blocking(move || {
        let code = svc.wait_exit(Duration::from_secs(60));
        (code, svc)
    })
    .await
    .unwrap();
    assert_eq!(
        code.code(),
        Some(0),
        "{} exit status; logs: {:#?}",
        backend.name,
        svc.logs()
    );
    lb.remove(&backend);
}

/// One request's outcome, as the client saw it.
struct Outcome {
    latency: Duration,
    /// `None` for a 200, else what went wrong.
    failure: Option<String>,
}

struct Report {
    title: String,
    served: usize,
    failures: usize,
    first_failures: Vec<String>,
    p50: Duration,
    p99: Duration,
    max: Duration,
    duration: Duration,
    restarts: usize,
    per_replica: Vec<(String, u64)>,
}

impl Report {
    fn markdown(&self) -> String {
        let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
        let mut s = format!("## {}\n\n| | |\n|---|---|\n", self.title);
        for (k, v) in [
            ("requests served (200)", self.served.to_string()),
            ("failures", self.failures.to_string()),
            ("latency p50", ms(self.p50)),
            ("latency p99", ms(self.p99)),
            ("latency max", ms(self.max)),
            ("duration", format!("{:.1} s", self.duration.as_secs_f64())),
            ("restarts", self.restarts.to_string()),
        ] {
            s.push_str(&format!("| {k} | {v} |\n"));
        }
        let replicas: Vec<String> = self
            .per_replica
            .iter()
            .map(|(n, c)| format!("{n}: {c}"))
            .collect();
        s.push_str(&format!(
            "| served per replica | {} |\n",
            replicas.join(", ")
        ));
        for f in &self.first_failures {
            s.push_str(&format!("\n- failure: `{f}`"));
        }
        s.push('\n');
        s
    }

    fn publish(&self, file: &str) {
        let md = self.markdown();
        eprintln!("{md}");
        std::fs::write(file, &md).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
}

/// Three replicas under steady load, each replaced once (surge one, none
/// unavailable): the new one is created and seen ready before the oldest goes.
async fn rollout(title: &str, drain: Drain, restarts: usize) -> Report {
    let (lb, proxy) = Balancer::start().await;
    let mut live = Vec::new();
    let mut retired = Vec::new();
    for i in 1..=3 {
        live.push(create_replica(&lb, format!("r{i}"), &drain).await);
    }

    let stop = Arc::new(AtomicBool::new(false));
    let bus = read(image("bus.jpg"));
    let url = format!("http://{proxy}/v1/detect");
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (c, url, body, stop) = (client(), url.clone(), bus.clone(), Arc::clone(&stop));
            tokio::spawn(async move {
                let mut outcomes = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let sent = Instant::now();
                    let failure = match post_jpeg(&c, &url, body.clone()).await {
                        Ok(r) => {
                            let status = r.status();
                            match r.bytes().await {
                                Ok(_) if status == StatusCode::OK => None,
                                Ok(b) => Some(format!("{status}: {}", String::from_utf8_lossy(&b))),
                                Err(e) => Some(format!("{status}, body: {e}")),
                            }
                        }
                        Err(e) => Some(format!("transport: {e}")),
                    };
                    outcomes.push(Outcome {
                        latency: sent.elapsed(),
                        failure,
                    });
                }
                outcomes
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(1)).await;
    for i in 0..restarts {
        let new = create_replica(&lb, format!("r{}", 4 + i), &drain).await;
        live.push(new);
        let oldest = live.remove(0);
        retired.push(Arc::clone(&oldest.backend));
        delete_replica(&lb, oldest).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);

    let mut outcomes: Vec<Outcome> = Vec::new();
    for c in clients {
        outcomes.extend(c.await.unwrap());
    }
    let duration = started.elapsed();
    retired.extend(live.iter().map(|r| Arc::clone(&r.backend)));
    let per_replica = retired
        .iter()
        .map(|b| (b.name.clone(), b.served.load(Ordering::SeqCst)))
        .collect();
    drop(live);

    let mut latencies: Vec<Duration> = outcomes.iter().map(|o| o.latency).collect();
    latencies.sort();
    let quantile = |q: f64| {
        latencies
            .get(((latencies.len().saturating_sub(1)) as f64 * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    let failed: Vec<&String> = outcomes.iter().filter_map(|o| o.failure.as_ref()).collect();
    Report {
        title: title.to_owned(),
        served: outcomes.len() - failed.len(),
        failures: failed.len(),
        first_failures: failed.iter().take(5).map(|f| f.to_string()).collect(),
        p50: quantile(0.5),
        p99: quantile(0.99),
        max: latencies.last().copied().unwrap_or_default(),
        duration,
        restarts,
        per_replica,
    }
}

/// The two rollouts load the same two cores: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn run(title: &str, drain: Drain, restarts: usize) -> Report {
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
        .block_on(rollout(title, drain, restarts))
}

#[test]
fn rolling_update_with_graceful_drain_drops_no_request() {
    let drain = Drain {
        delay: Some(std::env::var("YOLOO_ROLLOUT_DRAIN_DELAY").unwrap_or_else(|_| "2".into())),
        grace: std::env::var("YOLOO_ROLLOUT_SHUTDOWN_GRACE").ok(),
    };
    let title = format!(
        "Rolling update, drain delay {} s, shutdown grace {}",
        drain.delay.as_deref().unwrap_or_default(),
        drain
            .grace
            .as_deref()
            .map_or("default (20 s)".into(), |g| format!("{g} s")),
    );
    let report = run(&title, drain, RESTARTS);
    report.publish(concat!(env!("CARGO_TARGET_TMPDIR"), "/rolling-update.md"));
    assert_eq!(report.failures, 0, "{}", report.markdown());
    // Not vacuous: on two cores ~200 are served in ~10 s, ~80 with two CPU
    // hogs running; 50 leaves room for a busy machine, not for an idle rollout.
    assert!(report.served >= 50, "{}", report.markdown());
    for (name, served) in &report.per_replica {
        assert!(*served > 0, "{name} took no traffic: {}", report.markdown());
    }
}

#[test]
fn rolling_update_without_drain_drops_requests() {
    let drain = Drain {
        delay: Some("0".into()),
        grace: Some("0".into()),
    };
    let report = run(
        "Rolling update without drain (negative proof)",
        drain,
        RESTARTS_WITHOUT_DRAIN,
    );
    report.publish(concat!(
        env!("CARGO_TARGET_TMPDIR"),
        "/rolling-update-no-drain.md"
    ));
    assert!(report.failures > 0, "{}", report.markdown());
}
