//! The settings every service takes, flattened into its own clap `Config`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use yoloo_core::detector::DetectorBuilder;

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
}

impl ModelArgs {
    /// A detector builder for these files (threads, options and the input
    /// size are the caller's to set).
    pub fn builder(&self) -> DetectorBuilder {
        let mut builder = yoloo_core::Detector::builder(&self.path);
        if let Some(w) = &self.weights {
            builder = builder.weights(w);
        }
        if let Some(n) = &self.names {
            builder = builder.names(n);
        }
        builder
    }
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
        let c = Cli::parse_from(["x", "--drain-delay", "-1", "--shutdown-grace", "2.5"]);
        assert_eq!(c.server.drain().delay, Duration::ZERO);
        assert_eq!(c.server.drain().grace, Duration::from_millis(2500));
    }
}
