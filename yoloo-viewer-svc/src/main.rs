//! `yoloo-viewer-svc`: wiring only (see the library).

use tracing_subscriber::EnvFilter;
use yoloo_viewer_svc::Config;
use yoloo_viewer_svc::config::LogFormat;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => fmt.json().init(),
        LogFormat::Pretty => fmt.init(),
    }
    yoloo_viewer_svc::run(config).await
}
