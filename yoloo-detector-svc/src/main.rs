//! `yoloo-detector-svc`: configuration, logging, then [`yoloo_detector_svc::serve`].

use anyhow::Context;
use clap::Parser;
use yoloo_detector_svc::{Config, serve, shutdown_signal, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    telemetry::init_logging(config.log_format, &config.log_filter);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let result = serve(config, listener, shutdown_signal()).await;
    if let Err(e) = &result {
        tracing::error!(error = format!("{e:#}"), "exiting");
    }
    result
}
