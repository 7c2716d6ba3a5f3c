#![doc = include_str!("../README.md")]

pub mod annotate;
pub mod auth;
pub mod cloudinary;
pub mod config;
pub mod deletion;
pub mod detect;
pub mod error;
pub mod process;
pub mod routes;
pub mod state;
pub mod store;
pub mod thumbnail;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::Context;
use tokio::net::TcpListener;
use yoloo_server::{Server, Stop};

pub use config::Config;
pub use state::{AppState, SharedState, StartupError};

/// Serves `state` on `listener` until `stop` resolves; then readiness
/// turns 503 and [`Server::shutdown`] drains (the delay after SIGTERM only,
/// then the grace for in-flight requests).
///
/// # Errors
///
/// When the server fails.
pub async fn serve(
    state: SharedState,
    listener: TcpListener,
    stop: impl Future<Output = Stop>,
) -> anyhow::Result<()> {
    let mut server = Server::start(
        listener,
        routes::router(state.clone()),
        state.config.server.client_timeouts(),
    )?;
    let upkeep = tokio::spawn(deletion::upkeep(state.clone()));
    tracing::info!(
        detector = state.detector.kind(),
        records = state.records.kind(),
        images = %state.blobs.describe(),
        jpeg_encoder = annotate::ENCODER,
        "serving"
    );
    let reason = tokio::select! {
        reason = stop => reason,
        e = server.stopped() => return Err(anyhow::Error::new(e).context("the server failed")),
    };
    state.ready.store(false, Ordering::SeqCst);
    upkeep.abort();
    server.shutdown(reason, state.config.server.drain()).await?;
    Ok(())
}

/// Builds the state (the model loads first, in-process mode), binds, serves
/// until SIGTERM/SIGINT.
///
/// # Errors
///
/// When a store, the model or the listener cannot be set up.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let listen = config.listen;
    let state = Arc::new(AppState::build(config, yoloo_server::metrics::handle()).await?);
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    serve(state, listener, yoloo_server::shutdown::signal()).await?;
    tracing::info!("stopped");
    Ok(())
}
