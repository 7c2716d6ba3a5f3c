//! Prometheus metrics: one process-wide recorder, the HTTP metrics every
//! service records, and the `/metrics` answer.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::PrometheusBuilder;
pub use metrics_exporter_prometheus::PrometheusHandle;

/// `yoloo_http_requests_total{route, method, status}`.
pub const REQUESTS: &str = "yoloo_http_requests_total";
/// `yoloo_http_request_duration_seconds{route}`: whole request, histogram.
pub const REQUEST_DURATION: &str = "yoloo_http_request_duration_seconds";
/// `yoloo_http_requests_in_flight`: requests being answered.
pub const IN_FLIGHT: &str = "yoloo_http_requests_in_flight";

/// Histogram buckets for every duration, in seconds.
const LATENCY: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide Prometheus recorder (installed on first use; metrics are
/// process-global, like the `metrics` facade they are recorded through).
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            let builder = match builder.set_buckets(LATENCY) {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "histogram buckets refused; summaries instead");
                    PrometheusBuilder::new()
                }
            };
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if let Err(e) = metrics::set_global_recorder(recorder) {
                tracing::warn!(error = %e, "a metrics recorder was already installed");
            }
            describe();
            handle
        })
        .clone()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        REQUESTS,
        "HTTP requests answered, by route, method and status"
    );
    describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "HTTP request latency, by route"
    );
    describe_gauge!(IN_FLIGHT, "HTTP requests being answered");
}

/// The Prometheus text exposition `text` as a `/metrics` answer.
pub fn response(text: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// Housekeeping for the recorder (histogram windows), every few seconds.
pub(crate) fn spawn_upkeep() -> tokio::task::JoinHandle<()> {
    let handle = handle();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            handle.run_upkeep();
        }
    })
}

/// Counts requests and their latency per route, and requests in flight.
pub(crate) async fn record(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let in_flight = metrics::gauge!(IN_FLIGHT);
    in_flight.increment(1.0);
    // Decrement even if the client goes away and this future is dropped.
    struct Guard(metrics::Gauge);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.decrement(1.0);
        }
    }
    let _guard = Guard(in_flight);
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(REQUESTS, "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!(REQUEST_DURATION, "route" => route).record(started.elapsed().as_secs_f64());
    response
}
