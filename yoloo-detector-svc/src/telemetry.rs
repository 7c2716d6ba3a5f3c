//! The detector's own Prometheus metrics (the HTTP ones are
//! [`yoloo_server::metrics`]'s).

use std::time::Duration;
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

/// Describes the detector's metrics to the recorder (call once, at start).
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
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
