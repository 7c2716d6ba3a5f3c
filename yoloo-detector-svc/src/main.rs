//! `yoloo-detector-svc`: configuration, logging, then [`yoloo_detector_svc::serve`].

use anyhow::Context;
use clap::Parser;
use yoloo_detector_svc::{Config, serve};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    yoloo_server::logging::init(config.server.log_format, &config.server.log_filter);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let result = serve(config, listener, yoloo_server::shutdown::signal()).await;
    if let Err(e) = &result {
        tracing::error!(error = format!("{e:#}"), "exiting");
    }
    result
}
