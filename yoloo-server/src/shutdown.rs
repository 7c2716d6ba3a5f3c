//! Signals: why the service is stopping.

/// Why the service is stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGTERM (an orchestrator): drain with the configured delay.
    Terminate,
    /// SIGINT (Ctrl-C): stop accepting at once, still finishing in-flight requests.
    Interrupt,
}

/// Resolves on SIGTERM or SIGINT.
pub async fn signal() -> Stop {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => Stop::Terminate,
                _ = tokio::signal::ctrl_c() => Stop::Interrupt,
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
                Stop::Interrupt
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        Stop::Interrupt
    }
}
