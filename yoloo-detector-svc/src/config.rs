//! Service configuration: command-line flags, each with an environment
//! variable (12-factor). `yoloo-detector-svc --help` lists them all.

use clap::Parser;
use std::net::SocketAddr;
use yoloo_server::{DetectArgs, ModelArgs, ServerArgs};

/// A stateless HTTP object-detection service around yoloo-core.
///
/// Every flag can also be set through the environment variable named after it.
#[derive(Debug, Clone, Parser)]
#[command(name = "yoloo-detector-svc", version, about, long_about = None)]
pub struct Config {
    /// The model files.
    #[command(flatten)]
    pub model: ModelArgs,

    /// Network input size WxH (multiples of 32), e.g. `416x416` or `608`; default: the model's own.
    #[arg(long, env = "YOLOO_INPUT_SIZE", value_parser = parse_size)]
    pub input_size: Option<(u32, u32)>,

    /// Address to listen on (port 0 picks a free port; the bound address is logged).
    #[arg(long, env = "YOLOO_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,

    /// Detection defaults for requests that set none (unset: the model family's).
    #[command(flatten)]
    pub detect: DetectArgs,

    /// Largest request body accepted, in bytes (larger → 413).
    #[arg(long, env = "YOLOO_MAX_BODY_BYTES", default_value_t = 20 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Largest image accepted, in pixels (width × height; larger → 422, checked
    /// from the header before any pixel memory is allocated).
    #[arg(long, env = "YOLOO_MAX_PIXELS", default_value_t = 40_000_000)]
    pub max_pixels: u64,

    /// Inference workers: images processed at the same time.
    #[arg(long, env = "YOLOO_WORKERS", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub workers: u16,

    /// Threads each inference may use (0 = one per CPU core).
    #[arg(long, env = "YOLOO_THREADS", default_value_t = 0)]
    pub threads: usize,

    /// Requests allowed to wait for a worker; when full, new ones get 503 at once.
    #[arg(long, env = "YOLOO_QUEUE_SIZE", default_value_t = 16)]
    pub queue_size: usize,

    /// When set, the DeepStack route requires this `api_key` form field.
    #[arg(long, env = "YOLOO_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,

    /// Lifecycle and logging (shared by the services).
    #[command(flatten)]
    pub server: ServerArgs,
}

impl Config {
    /// Threads per inference, with 0 resolved to the number of cores.
    pub fn threads_per_inference(&self) -> usize {
        if self.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            self.threads
        }
    }
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = match s.split_once(['x', 'X']) {
        Some((w, h)) => (w, h),
        None => (s, s),
    };
    let parse = |v: &str| {
        v.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0 && n % 32 == 0)
            .ok_or_else(|| format!("{s:?}: expected WIDTHxHEIGHT, multiples of 32 (e.g. 416x416)"))
    };
    Ok((parse(w)?, parse(h)?))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use yoloo_server::LogFormat;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("416"), Ok((416, 416)));
        assert_eq!(parse_size("608x320"), Ok((608, 320)));
        assert!(parse_size("400").is_err());
        assert!(parse_size("0x0").is_err());
        assert!(parse_size("axb").is_err());
    }

    #[test]
    fn defaults_follow_the_issue() {
        let c = Config::parse_from(["yoloo-detector-svc"]);
        assert_eq!(c.listen, "0.0.0.0:8080".parse().unwrap());
        assert_eq!(c.max_body_bytes, 20 * 1024 * 1024);
        assert_eq!(c.server.drain().grace, Duration::from_secs(20));
        assert_eq!(c.server.log_format, LogFormat::Pretty);
        assert!(c.api_key.is_none());
        assert_eq!(
            c.detect,
            DetectArgs::default(),
            "the model family's defaults"
        );
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Config::command().debug_assert();
    }
}
