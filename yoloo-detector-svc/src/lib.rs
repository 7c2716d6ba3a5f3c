#![doc = include_str!("../README.md")]

pub mod config;
pub mod error;
pub mod inference;
pub mod routes;
pub mod state;
pub mod telemetry;

use std::future::Future;
use std::time::Instant;

use anyhow::Context;
use tokio::net::TcpListener;
use yoloo_server::Server;

pub use config::Config;
use inference::Engine;
use state::AppState;
pub use yoloo_server::Stop;

/// Loads the model, warms it up and starts the inference workers.
pub fn load_engine(config: &Config) -> anyhow::Result<Engine> {
    let started = Instant::now();
    config
        .detect
        .validate()
        .context("the detection defaults (YOLOO_CONFIDENCE, YOLOO_IOU)")?;
    let mut builder = config
        .model
        .builder()
        .threads(config.threads_per_inference());
    if let Some((w, h)) = config.input_size {
        builder = builder.input_size(w, h);
    }
    let detector = config.model.load(builder)?;
    let info = detector.engine().clone();
    let loaded = started.elapsed();
    let (w, h) = detector.input_size();
    let warm = Instant::now();
    detector
        .detect(&image::DynamicImage::new_rgb8(w, h))
        .context("the warm-up inference failed")?;
    tracing::info!(
        model = detector.name(),
        family = %detector.model().family,
        layout = detector.model().layout.name(),
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
    let state = AppState::new(config.clone(), yoloo_server::metrics::handle());
    telemetry::describe();
    let mut server = Server::start(
        listener,
        routes::router(state.clone()),
        config.server.client_timeouts(),
    )?;

    let load_config = config.clone();
    let mut loader = tokio::task::spawn_blocking(move || load_engine(&load_config));
    let mut stop = std::pin::pin!(stop);

    let reason = tokio::select! {
        reason = &mut stop => reason,
        loaded = &mut loader => {
            let engine = loaded.context("the model loader panicked")??;
            let defaults = config.detect.over(engine.detector().options())?;
            state.set_engine(engine, defaults);
            tracing::info!(startup_ms = started.elapsed().as_millis() as u64, "ready");
            tokio::select! {
                reason = &mut stop => reason,
                e = server.stopped() => return Err(e).context("the server failed"),
            }
        }
    };

    state.start_draining();
    server.shutdown(reason, config.server.drain()).await?;
    Ok(())
}
