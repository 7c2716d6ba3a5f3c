//! Running a service: the `listening on ADDR` announcement, then serving until
//! told to stop, then draining.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::args::Drain;
use crate::shutdown::Stop;

/// A service's HTTP server, serving from [`Server::start`] until
/// [`Server::shutdown`].
pub struct Server {
    addr: SocketAddr,
    close: watch::Sender<bool>,
    task: JoinHandle<io::Result<()>>,
    upkeep: JoinHandle<()>,
}

impl Server {
    /// Serves `app` on `listener`, after announcing the bound address as
    /// `listening on ADDR`: the first line on stdout (for whoever started the
    /// process with port 0) and a log line.
    ///
    /// # Errors
    ///
    /// When the listener has no local address.
    pub fn start(listener: TcpListener, app: Router) -> io::Result<Self> {
        let addr = listener.local_addr()?;
        announce(addr);
        let (close, mut closed) = watch::channel(false);
        // The peer address reaches handlers as `ConnectInfo<SocketAddr>`
        // (e.g. to limit wrong passwords per client).
        let serve = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = closed.wait_for(|closed| *closed).await;
        })
        .into_future();
        Ok(Self {
            addr,
            close,
            task: tokio::spawn(serve),
            upkeep: crate::metrics::spawn_upkeep(),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Resolves only if the server stops on its own (it should not): why.
    pub async fn stopped(&mut self) -> io::Error {
        match (&mut self.task).await {
            Ok(Ok(())) => io::Error::other("the server stopped on its own"),
            Ok(Err(e)) => e,
            Err(e) => io::Error::other(format!("the server task failed: {e}")),
        }
    }

    /// Stops serving for `stop`: after SIGTERM keeps serving for the drain
    /// delay (the caller has already turned readiness to 503), then closes
    /// the listener and gives in-flight requests up to the grace to finish.
    ///
    /// # Errors
    ///
    /// When the server failed.
    pub async fn shutdown(mut self, stop: Stop, drain: Drain) -> io::Result<()> {
        let delay = if stop == Stop::Terminate {
            drain.delay
        } else {
            Duration::ZERO
        };
        tracing::info!(
            reason = ?stop,
            delay_s = delay.as_secs_f64(),
            "shutting down: not ready any more"
        );
        tokio::time::sleep(delay).await;
        let _ = self.close.send(true);
        tracing::info!(
            grace_s = drain.grace.as_secs_f64(),
            "listener closed; finishing in-flight requests"
        );
        match tokio::time::timeout(drain.grace, &mut self.task).await {
            Ok(Ok(ended)) => {
                ended?;
                tracing::info!("all requests finished; bye");
                Ok(())
            }
            Ok(Err(e)) => Err(io::Error::other(format!("the server task failed: {e}"))),
            Err(_) => {
                tracing::warn!("shutdown grace expired with requests still open");
                Ok(())
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.upkeep.abort();
        self.task.abort();
    }
}

fn announce(addr: SocketAddr) {
    let mut out = io::stdout().lock();
    // A closed stdout is no reason not to serve: the log line says it too.
    let _ = writeln!(out, "listening on {addr}").and_then(|()| out.flush());
    tracing::info!(%addr, "listening on {addr}");
}
