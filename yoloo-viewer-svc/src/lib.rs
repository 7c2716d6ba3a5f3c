//! # yoloo-viewer-svc
//!
//! The upload-and-gallery web app: upload photos, detect objects (in-process
//! with yoloo-core or through `yoloo-detector-svc`), browse the annotated
//! results. Records live in an embedded redb file or in Redis; images on
//! disk, in any `object_store` backend, or on Cloudinary.
//!
//! `main.rs` only wires [`run`]; tests start the binary.

pub mod cloudinary;
pub mod config;
pub mod detect;
pub mod error;
pub mod process;
pub mod routes;
pub mod state;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

pub use config::Config;
pub use state::{AppState, SharedState, StartupError};

/// Makes rustls use *ring* (the lighter crypto provider); idempotent.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An HTTP client with the given overall timeout (rustls with *ring*).
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    install_crypto();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(3))
        .user_agent(concat!("yoloo-viewer-svc/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The Prometheus recorder: installed globally once; later calls (tests in
/// one process) get a detached handle.
pub fn metrics_handle() -> PrometheusHandle {
    let builder = PrometheusBuilder::new();
    match builder.install_recorder() {
        Ok(h) => h,
        Err(_) => PrometheusBuilder::new().build_recorder().handle(),
    }
}

/// Resolves on SIGTERM (`true`: an orchestrator, drain first) or SIGINT (`false`).
pub async fn shutdown_signal() -> bool {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => false,
        () = term => true,
    }
}

/// Serves until `shutdown` resolves; then readiness turns 503, the listener
/// stays open for `YOLOO_DRAIN_DELAY` seconds when `shutdown` gave `true`
/// (SIGTERM), closes, and in-flight requests get `YOLOO_SHUTDOWN_GRACE`
/// seconds to finish.
pub async fn serve(
    state: SharedState,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = bool> + Send + 'static,
) -> std::io::Result<()> {
    let drain = Duration::try_from_secs_f64(state.config.drain_delay).unwrap_or(Duration::ZERO);
    let grace = Duration::from_secs(state.config.shutdown_grace);
    let app = routes::router(state.clone());
    let (tx, mut rx) = tokio::sync::watch::channel(false);
    let st = state.clone();
    let graceful = async move {
        let terminate = shutdown.await;
        st.ready.store(false, Ordering::SeqCst);
        if terminate && !drain.is_zero() {
            tracing::info!(
                delay_s = drain.as_secs_f64(),
                "shutting down: readiness is now 503, still serving while load balancers notice"
            );
            tokio::time::sleep(drain).await;
        }
        tracing::info!("listener closed; finishing in-flight requests");
        let _ = tx.send(true);
    };
    let server = axum::serve(listener, app).with_graceful_shutdown(graceful);
    let deadline = async move {
        let _ = rx.wait_for(|v| *v).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        r = server => r,
        () = deadline => {
            tracing::warn!("grace period over; exiting with requests still in flight");
            Ok(())
        }
    }
}

/// Builds the state, binds, prints `listening on ADDR` (first line on
/// stdout), serves until SIGTERM/SIGINT.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let listen: SocketAddr = config.listen;
    let state = Arc::new(AppState::build(config, metrics_handle()).await?);
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {addr}")?;
        out.flush()?;
    }
    tracing::info!(
        %addr,
        detector = state.detector.kind(),
        records = state.records.kind(),
        images = %state.blobs.describe(),
        "listening"
    );
    serve(state, listener, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}
