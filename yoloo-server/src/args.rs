//! The settings every service takes, flattened into its own clap `Config`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use yoloo_api::DetectParams;
use yoloo_core::detector::{DetectOptions, DetectorBuilder};
use yoloo_core::{Backend, Detector, Precision, ResizeMode};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable, one line per event.
    Pretty,
    /// One JSON object per line (for log collectors).
    Json,
}

/// Lifecycle and logging settings (`#[command(flatten)]` into a service's `Config`).
#[derive(Debug, Clone, PartialEq, Args)]
pub struct ServerArgs {
    /// Seconds to keep serving after SIGTERM with `/readyz` at 503, so load
    /// balancers stop sending traffic before the listener closes (SIGINT skips it).
    #[arg(long, env = "YOLOO_DRAIN_DELAY", default_value_t = 5.0)]
    pub drain_delay: f64,

    /// Seconds in-flight requests get to finish once the listener is closed.
    #[arg(long, env = "YOLOO_SHUTDOWN_GRACE", default_value_t = 20.0)]
    pub shutdown_grace: f64,

    /// Seconds a client has to send a request's line and headers (and the
    /// longest an idle keep-alive connection stays open); then the connection
    /// is closed. 0 = no limit.
    #[arg(long, env = "YOLOO_HEADER_TIMEOUT", default_value_t = 10.0)]
    pub header_timeout: f64,

    /// Seconds a request's body has to arrive, counted from its headers; then
    /// 408 and whatever place the request held is released. 0 = no limit.
    #[arg(long, env = "YOLOO_BODY_TIMEOUT", default_value_t = 30.0)]
    pub body_timeout: f64,

    /// Log format.
    #[arg(long, env = "YOLOO_LOG_FORMAT", value_enum, default_value = "pretty")]
    pub log_format: LogFormat,

    /// Log filter, in `RUST_LOG` syntax.
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub log_filter: String,
}

impl ServerArgs {
    /// The drain delay and the grace as durations (negative or NaN → zero).
    pub fn drain(&self) -> Drain {
        Drain {
            delay: secs(self.drain_delay),
            grace: secs(self.shutdown_grace),
        }
    }

    /// How long a client may take to send its headers and its body (`None`:
    /// no limit, from 0, a negative value or NaN).
    pub fn client_timeouts(&self) -> ClientTimeouts {
        let limit = |s| Some(secs(s)).filter(|d| !d.is_zero());
        ClientTimeouts {
            header: limit(self.header_timeout),
            body: limit(self.body_timeout),
        }
    }
}

/// How long a client may take to send a request, so slow or stalled clients
/// cannot hold connections and places for ever ([`crate::Server::start`]
/// applies both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientTimeouts {
    /// `YOLOO_HEADER_TIMEOUT`: the request line and headers (HTTP/1), and
    /// the idle time between requests on a kept-alive connection.
    pub header: Option<Duration>,
    /// `YOLOO_BODY_TIMEOUT`: the whole body, counted from the headers.
    pub body: Option<Duration>,
}

/// The model files (`#[command(flatten)]` into a service's `Config`).
#[derive(Debug, Clone, PartialEq, Args)]
pub struct ModelArgs {
    /// Model: a Darknet `.cfg` (with its `.weights` beside it) or an `.onnx` file.
    #[arg(
        long = "model",
        env = "YOLOO_MODEL",
        default_value = "models/yolov3-tiny.cfg"
    )]
    pub path: PathBuf,

    /// Darknet weights, when not next to the `.cfg` under the same stem.
    #[arg(long, env = "YOLOO_WEIGHTS")]
    pub weights: Option<PathBuf>,

    /// Class names, one per line (default: `coco.names` beside the model, else
    /// the names stored in the ONNX, else `class0`, `class1`, …).
    #[arg(long, env = "YOLOO_NAMES")]
    pub names: Option<PathBuf>,

    /// Inference engine: `auto` (the first of onnxruntime, openvino, tract
    /// whose library is present; bf16 only openvino), `tract`, `onnxruntime` or `openvino`.
    #[arg(long, env = "YOLOO_BACKEND", default_value = "auto", value_parser = parse_backend)]
    pub backend: BackendSetting,

    /// Inference precision: `fp32`, `bf16` (OpenVINO on a CPU with AVX-512 BF16/AMX) or `int8`.
    #[arg(long, env = "YOLOO_PRECISION", default_value = "fp32", value_parser = parse_precision)]
    pub precision: Precision,

    /// Calibration photos (a folder) for `int8` on a float model; not needed for a QDQ `.onnx`.
    #[arg(long, env = "YOLOO_CALIBRATION_DIR")]
    pub calibration_dir: Option<PathBuf>,
}

/// Detection defaults (`#[command(flatten)]` into a service's `Config`):
/// each one unset takes the model family's own (Darknet 0.5 / 0.4 / stretch
/// / 100, Ultralytics 0.25 / 0.7 / letterbox / 300, YOLOX 0.3 / 0.45 /
/// letterbox / 300: [`DetectOptions::for_family`]).
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct DetectArgs {
    /// Default minimum confidence, in [0, 1] (default: the model family's).
    #[arg(long, env = "YOLOO_CONFIDENCE")]
    pub confidence: Option<f32>,

    /// Default NMS IoU threshold, in [0, 1] (default: the model family's).
    #[arg(long, env = "YOLOO_IOU")]
    pub iou: Option<f32>,

    /// Default resize: `stretch` (as OpenCV's blobFromImage) or `letterbox`
    /// (default: the model family's).
    #[arg(long, env = "YOLOO_RESIZE", value_parser = parse_resize)]
    pub resize: Option<ResizeMode>,

    /// Default maximum number of detections per image (default: the model family's).
    #[arg(long, env = "YOLOO_MAX_DETECTIONS")]
    pub max_detections: Option<usize>,
}

impl DetectArgs {
    /// `base` (the detector's own defaults) with what is set here.
    ///
    /// # Errors
    ///
    /// A threshold outside `[0, 1]`.
    pub fn over(&self, base: &DetectOptions) -> yoloo_core::Result<DetectOptions> {
        let mut o = base.clone();
        if let Some(c) = self.confidence {
            o.confidence = c;
        }
        if let Some(i) = self.iou {
            o.iou = i;
        }
        if let Some(r) = self.resize {
            o.resize = r;
        }
        if let Some(m) = self.max_detections {
            o.max_detections = m;
        }
        o.validate()?;
        Ok(o)
    }

    /// What to send a remote detector: only what is set here, so that it
    /// applies its model's own defaults to the rest.
    pub fn params(&self) -> DetectParams {
        DetectParams {
            confidence: self.confidence,
            iou: self.iou,
            resize: self.resize.map(|r| r.as_str().to_owned()),
            max_detections: self.max_detections,
            ..DetectParams::default()
        }
    }

    /// Checks the thresholds that are set, before any model is loaded.
    ///
    /// # Errors
    ///
    /// A threshold outside `[0, 1]`.
    pub fn validate(&self) -> yoloo_core::Result<()> {
        self.over(&DetectOptions::default()).map(drop)
    }
}

/// Which engine runs the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendSetting {
    /// The first of [`yoloo_core::engine::auto_order`] whose library is present.
    Auto,
    /// This one, or fail at start-up.
    Fixed(Backend),
}

impl std::fmt::Display for BackendSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackendSetting::Auto => f.write_str("auto"),
            BackendSetting::Fixed(b) => b.fmt(f),
        }
    }
}

/// Why [`ModelArgs::load`] found no engine for the model.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The chosen (or the first available) backend could not load the model.
    #[error("cannot load the model {path} on {backend} {precision}")]
    Model {
        /// The model file.
        path: PathBuf,
        /// The engine tried.
        backend: Backend,
        /// The precision asked for.
        precision: Precision,
        /// What the engine said.
        #[source]
        source: yoloo_core::Error,
    },
    /// `auto`, and no engine's library is present.
    #[error("no backend can run {path} at {precision}: {skipped}")]
    NoBackend {
        /// The model file.
        path: PathBuf,
        /// The precision asked for.
        precision: Precision,
        /// Each backend tried, and why it was skipped.
        skipped: String,
    },
}

impl ModelArgs {
    /// A detector builder for these files (threads, options and the input
    /// size are the caller's to set).
    pub fn builder(&self) -> DetectorBuilder {
        let mut builder = Detector::builder(&self.path).precision(self.precision);
        if let Some(w) = &self.weights {
            builder = builder.weights(w);
        }
        if let Some(n) = &self.names {
            builder = builder.names(n);
        }
        if let Some(dir) = &self.calibration_dir {
            builder = builder.calibrate(dir);
        }
        builder
    }

    /// Builds `builder` (from [`ModelArgs::builder`], with the caller's
    /// settings) on the configured backend. `auto` tries
    /// [`yoloo_core::engine::auto_order`] in turn, skipping backends whose
    /// library is absent (or not built in), and fails on any other error.
    ///
    /// # Errors
    ///
    /// [`LoadError`]: the model does not load on the chosen engine, or no
    /// engine is available.
    pub fn load(&self, builder: DetectorBuilder) -> Result<Detector, LoadError> {
        let candidates = match self.backend {
            BackendSetting::Fixed(b) => vec![b],
            BackendSetting::Auto => yoloo_core::engine::auto_order(self.precision),
        };
        let mut skipped = Vec::new();
        for backend in candidates {
            match builder.clone().backend(backend).build() {
                Ok(d) => return Ok(d),
                Err(
                    e @ (yoloo_core::Error::LibraryNotFound { .. }
                    | yoloo_core::Error::BackendNotBuilt { .. }),
                ) if self.backend == BackendSetting::Auto => {
                    tracing::info!(%backend, reason = %e, "auto: backend not available");
                    skipped.push(format!("{backend}: {e}"));
                }
                Err(source) => {
                    return Err(LoadError::Model {
                        path: self.path.clone(),
                        backend,
                        precision: self.precision,
                        source,
                    });
                }
            }
        }
        Err(LoadError::NoBackend {
            path: self.path.clone(),
            precision: self.precision,
            skipped: skipped.join("; "),
        })
    }
}

fn parse_backend(s: &str) -> Result<BackendSetting, String> {
    if s.trim().eq_ignore_ascii_case("auto") {
        return Ok(BackendSetting::Auto);
    }
    s.parse()
        .map(BackendSetting::Fixed)
        .map_err(|e: yoloo_core::Error| e.to_string())
}

fn parse_resize(s: &str) -> Result<ResizeMode, String> {
    s.parse().map_err(|e: yoloo_core::Error| e.to_string())
}

fn parse_precision(s: &str) -> Result<Precision, String> {
    s.parse().map_err(|e: yoloo_core::Error| e.to_string())
}

/// How a service stops: keep serving for `delay` after SIGTERM (readiness
/// already 503), then close the listener and give in-flight requests `grace`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drain {
    /// `YOLOO_DRAIN_DELAY`.
    pub delay: Duration,
    /// `YOLOO_SHUTDOWN_GRACE`.
    pub grace: Duration,
}

fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        detect: DetectArgs,
    }

    #[test]
    fn unset_detection_defaults_keep_the_models() {
        let c = Cli::parse_from(["x"]);
        assert_eq!(c.detect, DetectArgs::default());
        let ultralytics = DetectOptions::for_family(yoloo_core::layout::Family::Ultralytics);
        assert_eq!(c.detect.over(&ultralytics).unwrap(), ultralytics);
        assert_eq!(c.detect.params(), DetectParams::default());
        let c = Cli::parse_from(["x", "--confidence", "0.6", "--resize", "stretch"]);
        let o = c.detect.over(&ultralytics).unwrap();
        assert_eq!(
            (o.confidence, o.iou, o.resize),
            (0.6, 0.7, ResizeMode::Stretch)
        );
        assert_eq!(c.detect.params().resize.as_deref(), Some("stretch"));
        let c = Cli::parse_from(["x", "--iou", "1.5"]);
        assert!(c.detect.validate().is_err());
        assert!(Cli::try_parse_from(["x", "--resize", "crop"]).is_err());
    }

    #[test]
    fn backend_and_precision() {
        let c = Cli::parse_from(["x"]);
        assert_eq!(c.model.backend, BackendSetting::Auto);
        assert_eq!(c.model.precision, Precision::Fp32);
        let c = Cli::parse_from(["x", "--backend", "ort", "--precision", "int8"]);
        assert_eq!(c.model.backend, BackendSetting::Fixed(Backend::OnnxRuntime));
        assert_eq!(c.model.precision, Precision::Int8);
        assert!(Cli::try_parse_from(["x", "--backend", "cuda"]).is_err());
        assert!(Cli::try_parse_from(["x", "--precision", "fp8"]).is_err());
    }

    #[test]
    fn defaults_and_bad_durations() {
        let c = Cli::parse_from(["x"]);
        assert_eq!(
            c.server.drain(),
            Drain {
                delay: Duration::from_secs(5),
                grace: Duration::from_secs(20)
            }
        );
        assert_eq!(c.server.log_format, LogFormat::Pretty);
        assert_eq!(
            c.server.client_timeouts(),
            ClientTimeouts {
                header: Some(Duration::from_secs(10)),
                body: Some(Duration::from_secs(30))
            }
        );
        let c = Cli::parse_from(["x", "--header-timeout", "0", "--body-timeout", "1.5"]);
        assert_eq!(c.server.client_timeouts().header, None);
        assert_eq!(
            c.server.client_timeouts().body,
            Some(Duration::from_millis(1500))
        );
        let c = Cli::parse_from(["x", "--drain-delay=-1", "--shutdown-grace", "2.5"]);
        assert_eq!(c.server.drain().delay, Duration::ZERO);
        assert_eq!(c.server.drain().grace, Duration::from_millis(2500));
    }
}
