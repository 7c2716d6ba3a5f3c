//! What every request handler shares.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use yoloo_core::detector::DetectOptions;
use yoloo_core::image_io::DecodeLimits;
use yoloo_server::metrics::PrometheusHandle;

use crate::config::Config;
use crate::error::{ApiError, ErrorCode};
use crate::inference::Engine;
use crate::telemetry;

/// Shared state: configuration, the inference engine once loaded, lifecycle flags.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    /// The model's defaults under the configured ones, once it is loaded.
    defaults: OnceLock<DetectOptions>,
    limits: DecodeLimits,
    engine: OnceLock<Arc<Engine>>,
    draining: AtomicBool,
    metrics: PrometheusHandle,
}

impl AppState {
    /// State for `config`; not ready until [`AppState::set_engine`].
    pub fn new(config: Config, metrics: PrometheusHandle) -> Self {
        let limits = DecodeLimits {
            max_pixels: config.max_pixels,
            ..DecodeLimits::default()
        };
        metrics::gauge!(telemetry::READY).set(0.0);
        Self {
            inner: Arc::new(Inner {
                config,
                defaults: OnceLock::new(),
                limits,
                engine: OnceLock::new(),
                draining: AtomicBool::new(false),
                metrics,
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Detection options used when a request sets none: the model
    /// family's, under `YOLOO_CONFIDENCE` & co. (Darknet's until a model is loaded).
    pub fn defaults(&self) -> &DetectOptions {
        static BEFORE_LOADING: OnceLock<DetectOptions> = OnceLock::new();
        self.inner
            .defaults
            .get()
            .unwrap_or_else(|| BEFORE_LOADING.get_or_init(DetectOptions::default))
    }

    /// Image decoding limits.
    pub fn limits(&self) -> &DecodeLimits {
        &self.inner.limits
    }

    /// Installs the loaded, warmed-up engine: the service becomes ready.
    pub fn set_engine(&self, engine: Engine, defaults: DetectOptions) {
        let _ = self.inner.defaults.set(defaults);
        let _ = self.inner.engine.set(Arc::new(engine));
        self.update_ready_gauge();
    }

    /// The engine, when the model is loaded.
    pub fn engine(&self) -> Option<&Arc<Engine>> {
        self.inner.engine.get()
    }

    /// The engine for a detection request, or 503 (not ready / draining is
    /// not refused: requests that reach us while draining are still served).
    pub fn engine_or_503(&self) -> Result<&Arc<Engine>, ApiError> {
        self.engine().ok_or_else(|| {
            metrics::counter!(telemetry::REJECTED, "reason" => "not_ready").increment(1);
            ApiError::new(ErrorCode::NotReady, "the model is still loading")
        })
    }

    /// Marks the service as shutting down: `/readyz` turns 503.
    pub fn start_draining(&self) {
        self.inner.draining.store(true, Ordering::SeqCst);
        self.update_ready_gauge();
    }

    /// Whether shutdown has started.
    pub fn is_draining(&self) -> bool {
        self.inner.draining.load(Ordering::SeqCst)
    }

    /// Model loaded and not draining.
    pub fn is_ready(&self) -> bool {
        self.engine().is_some() && !self.is_draining()
    }

    /// The Prometheus text exposition of every metric.
    pub fn render_metrics(&self) -> String {
        if let Some(engine) = self.engine() {
            metrics::gauge!(telemetry::QUEUE_DEPTH).set(engine.queue_depth() as f64);
            metrics::gauge!(telemetry::BUSY).set(engine.busy() as f64);
        }
        self.inner.metrics.render()
    }

    fn update_ready_gauge(&self) {
        metrics::gauge!(telemetry::READY).set(if self.is_ready() { 1.0 } else { 0.0 });
    }
}
