//! `yoloo-detector-svc`: a stateless HTTP object-detection service around
//! [`yoloo_core`].
//!
//! * `POST /v1/detect` — JSON detections, or the annotated image with
//!   `Accept: image/jpeg|image/png`;
//! * `POST /v1/vision/detection` — the DeepStack / CodeProject.AI API;
//! * `GET /v1/models`, `/healthz`, `/readyz`, `/metrics`, `/openapi.json`.
//!
//! The model is loaded once and warmed up before `/readyz` turns 200;
//! inference runs on worker threads behind a bounded queue (503 with
//! `Retry-After` when full); SIGTERM drains in-flight requests and exits 0.
//! The binary is a thin `main` over [`serve`].

pub mod config;
pub mod error;
pub mod inference;
pub mod routes;
pub mod state;
pub mod telemetry;

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::net::TcpListener;
use yoloo_core::Detector;

pub use config::Config;
use inference::Engine;
use state::AppState;

/// Why the service is stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGTERM (an orchestrator): drain with the configured delay.
    Terminate,
    /// SIGINT (Ctrl-C): stop accepting at once, still finishing in-flight requests.
    Interrupt,
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() -> Stop {
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

/// Builds the detector on the configured backend; `auto` tries
/// [`yoloo_core::engine::auto_order`] in turn, skipping backends whose
/// library is absent (or not built in), and fails on any other error.
fn build_detector(
    config: &Config,
    builder: yoloo_core::detector::DetectorBuilder,
) -> anyhow::Result<Detector> {
    let candidates = match config.backend {
        config::BackendSetting::Fixed(b) => vec![b],
        config::BackendSetting::Auto => yoloo_core::engine::auto_order(config.precision),
    };
    let mut skipped = Vec::new();
    for backend in candidates {
        match builder.clone().backend(backend).build() {
            Ok(d) => return Ok(d),
            Err(
                e @ (yoloo_core::Error::LibraryNotFound { .. }
                | yoloo_core::Error::BackendNotBuilt { .. }),
            ) if config.backend == config::BackendSetting::Auto => {
                tracing::info!(%backend, reason = %e, "auto: backend not available");
                skipped.push(format!("{backend}: {e}"));
            }
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "cannot load the model {} on {backend} {}",
                        config.model.display(),
                        config.precision
                    )
                });
            }
        }
    }
    anyhow::bail!(
        "no backend can run {} at {}: {}",
        config.model.display(),
        config.precision,
        skipped.join("; ")
    )
}

/// Loads the model, warms it up and starts the inference workers.
pub fn load_engine(config: &Config) -> anyhow::Result<Engine> {
    let started = Instant::now();
    let mut builder = Detector::builder(&config.model)
        .threads(config.threads_per_inference())
        .precision(config.precision);
    if let Some(dir) = &config.calibration_dir {
        builder = builder.calibrate(dir);
    }
    if let Some(w) = &config.weights {
        builder = builder.weights(w);
    }
    if let Some(n) = &config.names {
        builder = builder.names(n);
    }
    if let Some((w, h)) = config.input_size {
        builder = builder.input_size(w, h);
    }
    let detector = build_detector(config, builder)?;
    let info = detector.engine().clone();
    let loaded = started.elapsed();
    let (w, h) = detector.input_size();
    let warm = Instant::now();
    detector
        .detect(&image::DynamicImage::new_rgb8(w, h))
        .context("the warm-up inference failed")?;
    tracing::info!(
        model = detector.name(),
        input = %format_args!("{w}x{h}"),
        classes = detector.labels().len(),
        backend = %info.backend,
        precision = %info.precision,
        engine_version = %info.version,
        load_ms = loaded.as_millis() as u64,
        warmup_ms = warm.elapsed().as_millis() as u64,
        "model loaded"
    );
    metrics::gauge!(
        telemetry::MODEL_INFO,
        "model" => detector.name().to_owned(),
        "input_width" => w.to_string(),
        "input_height" => h.to_string(),
        "classes" => detector.labels().len().to_string(),
        "backend" => info.backend.to_string(),
        "precision" => info.precision.to_string(),
        "engine_version" => info.version.clone(),
    )
    .set(1.0);
    let limits = yoloo_core::image_io::DecodeLimits {
        max_pixels: config.max_pixels,
        ..Default::default()
    };
    Ok(Engine::start(
        detector,
        usize::from(config.workers),
        config.queue_size,
        limits,
    ))
}

/// Runs the service on `listener` until `stop` resolves, then drains:
/// `/readyz` turns 503, the listener stays open for the drain delay (SIGTERM
/// only), then closes, and in-flight requests get up to the shutdown grace to
/// finish.
///
/// The listener answers `/healthz` (and `/readyz` with 503) while the model loads.
///
/// ```no_run
/// use clap::Parser;
/// use yoloo_detector_svc::{Config, Stop, serve};
///
/// # async fn run() -> anyhow::Result<()> {
/// let config = Config::parse_from(["yoloo-detector-svc", "--model", "models/yolov3-tiny.cfg"]);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// // Stop after a minute instead of on a signal.
/// let stop = async {
///     tokio::time::sleep(std::time::Duration::from_secs(60)).await;
///     Stop::Interrupt
/// };
/// serve(config, listener, stop).await
/// # }
/// ```
///
/// # Errors
///
/// When the model cannot be loaded, or the server fails.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    stop: impl Future<Output = Stop>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let state = AppState::new(config.clone(), telemetry::metrics_handle());
    let app = routes::router(state.clone());
    let addr = listener
        .local_addr()
        .context("the listener has no address")?;
    tracing::info!(%addr, "listening on {addr}");

    let (close_tx, mut close_rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = close_rx.wait_for(|closed| *closed).await;
        })
        .into_future();
    let mut server = tokio::spawn(server);

    let upkeep_state = state.clone();
    let upkeep = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep_state.metrics_upkeep();
        }
    });

    let load_config = config.clone();
    let mut loader = tokio::task::spawn_blocking(move || load_engine(&load_config));
    let mut stop = std::pin::pin!(stop);

    let reason = tokio::select! {
        reason = &mut stop => reason,
        loaded = &mut loader => {
            let engine = loaded.context("the model loader panicked")??;
            state.set_engine(engine);
            tracing::info!(startup_ms = started.elapsed().as_millis() as u64, "ready");
            tokio::select! {
                reason = &mut stop => reason,
                ended = &mut server => {
                    upkeep.abort();
                    ended.context("the server task panicked")??;
                    anyhow::bail!("the server stopped on its own");
                }
            }
        }
    };

    state.start_draining();
    let delay = if reason == Stop::Terminate {
        config.drain_delay()
    } else {
        Duration::ZERO
    };
    tracing::info!(
        ?reason,
        delay_s = delay.as_secs_f64(),
        "shutting down: not ready any more"
    );
    tokio::time::sleep(delay).await;
    let _ = close_tx.send(true);
    let grace = config.shutdown_grace();
    tracing::info!(
        grace_s = grace.as_secs_f64(),
        "listener closed; finishing in-flight requests"
    );
    match tokio::time::timeout(grace, &mut server).await {
        Ok(ended) => {
            ended.context("the server task panicked")??;
            tracing::info!("all requests finished; bye");
        }
        Err(_) => tracing::warn!("shutdown grace expired with requests still open"),
    }
    upkeep.abort();
    Ok(())
}
