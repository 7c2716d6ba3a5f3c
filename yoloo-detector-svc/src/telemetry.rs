//! Logs (tracing) and Prometheus metrics.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// `yoloo_http_requests_total{route, method, status}`.
pub const REQUESTS: &str = "yoloo_http_requests_total";
/// `yoloo_http_request_duration_seconds{route}`: whole request, histogram.
pub const REQUEST_DURATION: &str = "yoloo_http_request_duration_seconds";
/// `yoloo_http_requests_in_flight`: requests being answered.
pub const IN_FLIGHT: &str = "yoloo_http_requests_in_flight";
/// `yoloo_stage_duration_seconds{stage}`: queue, decode, preprocess, inference, postprocess, render.
pub const STAGE_DURATION: &str = "yoloo_stage_duration_seconds";
/// `yoloo_queue_depth`: jobs waiting for an inference worker.
pub const QUEUE_DEPTH: &str = "yoloo_queue_depth";
/// `yoloo_workers_busy`: inference workers processing a job.
pub const BUSY: &str = "yoloo_workers_busy";
/// `yoloo_rejected_total{reason}`: requests turned away (`overloaded`, `not_ready`).
pub const REJECTED: &str = "yoloo_rejected_total";
/// `yoloo_cancelled_total`: queued jobs dropped because their client hung up.
pub const CANCELLED: &str = "yoloo_cancelled_total";
/// `yoloo_model_info{model, input_width, input_height, classes, backend, precision, engine_version}`: always 1.
pub const MODEL_INFO: &str = "yoloo_model_info";
/// `yoloo_ready`: 1 when ready to serve detections.
pub const READY: &str = "yoloo_ready";

/// Starts logging to stderr. Safe to call more than once (later calls are no-ops).
pub fn init_logging(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|e| {
        eprintln!("invalid log filter {filter:?} ({e}); using \"info\"");
        EnvFilter::new("info")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}

/// The process-wide Prometheus recorder (installed on first use; metrics are
/// process-global, like the `metrics` facade they are recorded through).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            const LATENCY: &[f64] = &[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ];
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
    describe_histogram!(
        STAGE_DURATION,
        Unit::Seconds,
        "Time per pipeline stage: queue, decode, preprocess, inference, postprocess, render"
    );
    describe_gauge!(QUEUE_DEPTH, "Jobs waiting for an inference worker");
    describe_gauge!(BUSY, "Inference workers processing a job");
    describe_counter!(REJECTED, "Requests turned away, by reason");
    describe_counter!(CANCELLED, "Queued jobs dropped because the client hung up");
    describe_gauge!(MODEL_INFO, "The loaded model (labels), always 1");
    describe_gauge!(READY, "1 when the service is ready for detections");
}

/// Records one pipeline stage's duration.
pub fn stage(stage: &'static str, d: Duration) {
    metrics::histogram!(STAGE_DURATION, "stage" => stage).record(d.as_secs_f64());
}
