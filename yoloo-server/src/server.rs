//! Running a service: the `listening on ADDR` announcement, then serving until
//! told to stop, then draining.
//!
//! The accept loop is hyper-util's (what `axum::serve` runs too) so that the
//! connection builder can be configured: a header-read timeout on HTTP/1, and
//! every request body behind the body deadline ([`crate::body::Deadline`]).

use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use crate::args::{ClientTimeouts, Drain};
use crate::body::Deadline;
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
    /// `timeouts` bound slow clients: an HTTP/1 connection that has not sent a
    /// request's headers within `header` (counted from its first byte, or from
    /// the end of the previous answer on a kept-alive connection) is closed;
    /// a body that has not arrived within `body` of the headers fails with
    /// [`crate::body::BodyTimeout`], which the body readers answer with 408.
    ///
    /// # Errors
    ///
    /// When the listener has no local address.
    pub fn start(listener: TcpListener, app: Router, timeouts: ClientTimeouts) -> io::Result<Self> {
        let addr = listener.local_addr()?;
        announce(addr);
        let (close, closed) = watch::channel(false);
        Ok(Self {
            addr,
            close,
            task: tokio::spawn(accept_loop(listener, app, timeouts, closed)),
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

/// Accepts connections until `closed`, then waits for the open ones to finish
/// their requests (each is told to close once idle).
async fn accept_loop(
    listener: TcpListener,
    app: Router,
    timeouts: ClientTimeouts,
    mut closed: watch::Receiver<bool>,
) -> io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    if let Some(header) = timeouts.header {
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(header);
    }
    let deadline = Deadline::new(timeouts.body);
    let graceful = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = closed.wait_for(|closed| *closed) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: not the listener's
                // fault; wait a little instead of spinning (as axum::serve does).
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        // The peer address reaches handlers as `ConnectInfo<SocketAddr>`
        // (e.g. to limit wrong passwords per client), as with axum::serve's
        // `into_make_service_with_connect_info`.
        let service = app.clone().map_request(move |req: Request<Incoming>| {
            let mut req = deadline.wrap(req.map(Body::new));
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

fn announce(addr: SocketAddr) {
    let mut out = io::stdout().lock();
    // A closed stdout is no reason not to serve: the log line says it too.
    let _ = writeln!(out, "listening on {addr}").and_then(|()| out.flush());
    tracing::info!(%addr, "listening on {addr}");
}
