//! Signals: why the service is stopping.

/// Why the service is stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGTERM (an orchestrator): drain with the configured delay.
    Terminate,
    /// SIGINT (Ctrl-C): stop accepting at once, still finishing in-flight requests.
    Interrupt,
}

/// Resolves on SIGTERM or SIGINT. The SIGTERM handler is installed when
/// this is called, not when the future is first polled: call it before the
/// service announces its address, so a SIGTERM right after the announcement
/// drains instead of killing the process. Call it inside the runtime.
pub fn signal() -> impl std::future::Future<Output = Stop> + Send {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    async move {
        #[cfg(unix)]
        {
            match term {
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
}
