//! What every request shares, and how it is built from the configuration.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use yoloo_api::client::DetectorClient;
use yoloo_server::metrics::PrometheusHandle;

use crate::auth::{AuthError, Throttle, Users};
use crate::cloudinary::{Cloudinary, CloudinaryConfig};
use crate::config::Config;
use crate::detect::Backend;
use crate::error::{AppError, BlobError, RecordError};
use crate::store::blobs::Blobs;
use crate::store::records_redb::RedbRecords;
use crate::store::records_redis::RedisRecords;
use crate::store::{Backfill, Records};

/// Why the service cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The model did not load (`YOLOO_MODEL` on `YOLOO_BACKEND`).
    #[error(transparent)]
    Model(#[from] yoloo_server::LoadError),
    /// The record store.
    #[error(transparent)]
    Records(#[from] RecordError),
    /// The image store.
    #[error(transparent)]
    Blobs(#[from] BlobError),
    /// The HTTP client.
    #[error("building the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    /// The users file.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Inconsistent settings.
    #[error("configuration: {0}")]
    Config(String),
}

/// Shared by all requests.
pub struct AppState {
    /// The configuration.
    pub config: Config,
    /// Records.
    pub records: Records,
    /// Images.
    pub blobs: Blobs,
    /// Detection.
    pub detector: Backend,
    /// For fetching stored images back (Cloudinary) .
    pub http: reqwest::Client,
    /// Prometheus rendering.
    pub metrics: PrometheusHandle,
    /// False once shutdown began.
    pub ready: AtomicBool,
    /// The Content-Security-Policy header value.
    pub csp: String,
    /// Uploads in progress (`YOLOO_UPLOAD_CONCURRENCY` permits): each one can
    /// hold a decoded image, so this is what bounds memory.
    pub uploads: tokio::sync::Semaphore,
    /// Sign-in, when `YOLOO_USERS_FILE` is set.
    pub access: Option<Access>,
    /// The record store did not answer at start-up: its class index is
    /// checked (and built if missing) by the upkeep task.
    pub backfill_pending: AtomicBool,
}

/// Wrong passwords allowed per client address and minute.
pub const WRONG_PASSWORDS_PER_MINUTE: usize = 5;

/// Sign-in: who may write, the session cookies' key, the wrong-password limit.
pub struct Access {
    /// The users file.
    pub users: Users,
    /// Signs session cookies.
    pub key: cookie::Key,
    /// Wrong passwords per address.
    pub throttle: Throttle,
    /// May anyone browse?
    pub public_gallery: bool,
}

impl Access {
    /// From the configuration; `None` without `YOLOO_USERS_FILE`.
    pub fn from_config(config: &Config) -> Result<Option<Self>, StartupError> {
        let Some(path) = &config.users_file else {
            return Ok(None);
        };
        let users = Users::load(path)?;
        let key = match &config.session_key {
            Some(k) if k.expose().len() >= 32 => cookie::Key::derive_from(k.expose().as_bytes()),
            Some(_) => {
                return Err(StartupError::Config(
                    "YOLOO_SESSION_KEY must be at least 32 bytes (e.g. `openssl rand -base64 48`)"
                        .into(),
                ));
            }
            None => {
                tracing::warn!(
                    "YOLOO_SESSION_KEY is not set: a random key signs sessions, which end when this process does and do not work across replicas"
                );
                cookie::Key::generate()
            }
        };
        tracing::info!(
            users = users.len(),
            public_gallery = config.public_gallery,
            "sign-in is on for writes"
        );
        Ok(Some(Self {
            users,
            key,
            throttle: Throttle::new(WRONG_PASSWORDS_PER_MINUTE, Duration::from_secs(60)),
            public_gallery: config.public_gallery,
        }))
    }
}

/// Logs what opening the record store did to the class index.
pub fn log_backfill(backfill: Backfill) {
    match backfill {
        Backfill::Done(n) if n > 0 => {
            tracing::info!(records = n, "class index built for a store that had none");
        }
        Backfill::Done(_) | Backfill::NotNeeded | Backfill::Pending => {}
    }
}

/// The viewer's HTTP client (rustls with *ring*) with an overall `timeout`.
fn http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    yoloo_api::client::http_client(
        timeout,
        concat!("yoloo-viewer-svc/", env!("CARGO_PKG_VERSION")),
    )
}

/// `Arc<AppState>`.
pub type SharedState = Arc<AppState>;

impl AppState {
    /// Builds stores, detector and clients from the configuration.
    pub async fn build(config: Config, metrics: PrometheusHandle) -> Result<Self, StartupError> {
        let config = config.normalized();
        // clap already refuses 0 from flags and environment; a `Config` built
        // in code is checked here.
        let upload_permits = usize::try_from(config.upload_concurrency)
            .ok()
            .filter(|n| (1..=tokio::sync::Semaphore::MAX_PERMITS).contains(n))
            .ok_or_else(|| {
                StartupError::Config(format!(
                    "YOLOO_UPLOAD_CONCURRENCY must be at least 1 (got {})",
                    config.upload_concurrency
                ))
            })?;
        let http = http_client(Duration::from_secs(30))?;
        let access = Access::from_config(&config)?;

        let (records, backfill) = match &config.redis_url {
            Some(url) => {
                let records = Records::Redis(RedisRecords::connect(url, &config.redis_prefix)?);
                // Redis may be away at start-up: then the upkeep task builds
                // the index once it answers.
                let backfill = match records.backfill().await {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::warn!(error = %e, "record store unavailable; class index checked later");
                        Backfill::Pending
                    }
                };
                (records, backfill)
            }
            None => {
                let (records, backfill) = RedbRecords::open(&config.data_dir.join("records.redb"))?;
                (Records::Redb(records), backfill)
            }
        };
        log_backfill(backfill);

        let cloudinary = match (
            &config.cloudinary_url,
            &config.cloudinary_cloud_name,
            &config.cloudinary_api_key,
            &config.cloudinary_api_secret,
        ) {
            (Some(url), ..) => Some(CloudinaryConfig::from_url(
                url,
                &config.cloudinary_api_base,
                &config.cloudinary_folder,
            )?),
            (None, Some(cloud), Some(key), Some(secret)) => Some(CloudinaryConfig {
                cloud_name: cloud.clone(),
                api_key: key.clone(),
                api_secret: secret.clone(),
                api_base: config.cloudinary_api_base.trim_end_matches('/').to_owned(),
                folder: config.cloudinary_folder.clone(),
            }),
            (None, None, None, None) => None,
            _ => {
                return Err(StartupError::Config(
                    "Cloudinary needs CLOUDINARY_URL, or all of CLOUDINARY_CLOUD_NAME, CLOUDINARY_API_KEY and CLOUDINARY_API_SECRET".into(),
                ));
            }
        };
        if cloudinary.is_some() && config.storage_url.is_some() {
            return Err(StartupError::Config(
                "set STORAGE_URL or Cloudinary, not both".into(),
            ));
        }
        let blobs = match (cloudinary, &config.storage_url) {
            (Some(c), _) => Blobs::Cloudinary(Cloudinary::new(c, http.clone())),
            (None, Some(url)) => Blobs::from_url(url)?,
            (None, None) => Blobs::local(&config.data_dir.join("media"))?,
        };

        config
            .detect
            .validate()
            .map_err(|e| StartupError::Config(e.to_string()))?;
        let detector = match &config.detector_url {
            Some(url) => {
                let client = http_client(Duration::from_secs(config.detector_timeout))?;
                Backend::Remote {
                    client: DetectorClient::new(url, client),
                    params: config.detect.params(),
                }
            }
            None => {
                let mut b = config.model.builder();
                if let Some(t) = config.threads {
                    b = b.threads(t);
                }
                let model = config.model.clone();
                let detector = tokio::task::spawn_blocking(move || model.load(b))
                    .await
                    .map_err(|e| StartupError::Config(format!("model loader died: {e}")))??;
                // The model family's defaults, under YOLOO_CONFIDENCE & co.
                let options = config
                    .detect
                    .over(detector.options())
                    .map_err(|e| StartupError::Config(e.to_string()))?;
                Backend::Embedded {
                    detector: Arc::new(detector),
                    options,
                }
            }
        };

        crate::detect::announce(&detector);
        tracing::info!(detector = %detector.describe(), "detector ready");
        let img_src = if matches!(blobs, Blobs::Cloudinary(_)) {
            "'self' https://res.cloudinary.com"
        } else {
            "'self'"
        };
        let csp = format!(
            "default-src 'none'; img-src {img_src}; style-src 'self'; script-src 'self'; connect-src 'self'; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        );
        Ok(Self {
            config,
            records,
            blobs,
            detector,
            http,
            metrics,
            ready: AtomicBool::new(true),
            csp,
            uploads: tokio::sync::Semaphore::new(upload_permits),
            access,
            backfill_pending: AtomicBool::new(backfill == Backfill::Pending),
        })
    }

    /// Waits for an upload slot; hold the permit until the response is ready.
    pub async fn upload_permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, AppError> {
        self.uploads
            .acquire()
            .await
            .map_err(|e| AppError::Internal(format!("upload limiter closed: {e}")))
    }

    /// Accepting traffic?
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }
}
