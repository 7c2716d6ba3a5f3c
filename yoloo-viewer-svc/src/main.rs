//! `yoloo-viewer-svc`: configuration, logging, then [`yoloo_viewer_svc::run`].

use yoloo_viewer_svc::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env();
    yoloo_server::logging::init(config.server.log_format, &config.server.log_filter);
    let result = yoloo_viewer_svc::run(config).await;
    if let Err(e) = &result {
        tracing::error!(error = format!("{e:#}"), "exiting");
    }
    result
}
