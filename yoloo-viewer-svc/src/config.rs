//! Configuration: command-line flags, each with an environment variable.
//!
//! The `YOLOO_*` names are shared with `yoloo-detector-svc`; `DETECTOR_SVC_URL`,
//! `REDIS_URL` and the `CLOUDINARY_*` names are the original PHP viewer's.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use yoloo_server::{DetectArgs, ModelArgs, ServerArgs};

/// Everything the service can be told.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "yoloo-viewer-svc",
    version,
    about = "Upload photos, detect objects, browse the results"
)]
pub struct Config {
    /// Address to listen on (`127.0.0.1:0` picks a free port; the bound address is printed first).
    #[arg(long, env = "YOLOO_LISTEN", default_value = "0.0.0.0:8000")]
    pub listen: SocketAddr,

    /// Directory for the embedded record database and stored images.
    #[arg(long, env = "YOLOO_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// The model for in-process detection (not loaded with `DETECTOR_SVC_URL`).
    #[command(flatten)]
    pub model: ModelArgs,

    /// Threads per in-process inference (default: all cores).
    #[arg(long, env = "YOLOO_THREADS")]
    pub threads: Option<usize>,

    /// Largest upload, in bytes: one image, or all images of one form post together.
    #[arg(long, env = "YOLOO_MAX_BODY_BYTES", default_value_t = 20 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Largest accepted image, in pixels (checked from the header before decoding).
    #[arg(long, env = "YOLOO_MAX_PIXELS", default_value_t = 40_000_000)]
    pub max_pixels: u64,

    /// Files accepted in one upload.
    #[arg(long, env = "YOLOO_MAX_FILES", default_value_t = 10)]
    pub max_files: usize,

    /// Uploads (API, form, retry) processed at once by this process; more wait
    /// their turn before their body is read. Each one in progress can hold a
    /// decoded image (up to 3 bytes per pixel of `YOLOO_MAX_PIXELS`) plus its
    /// body, so this bounds the memory a pod needs. At least 1.
    #[arg(long, env = "YOLOO_UPLOAD_CONCURRENCY", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    pub upload_concurrency: u32,

    /// Images per gallery page.
    #[arg(long, env = "YOLOO_PAGE_SIZE", default_value_t = 12)]
    pub page_size: usize,

    /// Detection settings (unset: the model family's; with
    /// `DETECTOR_SVC_URL`, the detector's defaults).
    #[command(flatten)]
    pub detect: DetectArgs,

    /// Base URL of `yoloo-detector-svc`; unset = detect in-process.
    #[arg(long, env = "DETECTOR_SVC_URL")]
    pub detector_url: Option<String>,

    /// Seconds one remote detection may take.
    #[arg(long, env = "YOLOO_DETECTOR_TIMEOUT", default_value_t = 30)]
    pub detector_timeout: u64,

    /// Redis for records (`redis://host:6379/0`); unset = embedded database under the data dir.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key.
    #[arg(long, env = "YOLOO_REDIS_PREFIX", default_value = "yoloo:")]
    pub redis_prefix: String,

    /// Object storage for images: `s3://bucket/prefix`, `gs://…`, `az://…`, `file:///…`, `memory://`.
    /// Unset = files under `<data dir>/media`.
    #[arg(long, env = "STORAGE_URL")]
    pub storage_url: Option<String>,

    /// Cloudinary as the image store: `cloudinary://key:secret@cloud`.
    #[arg(long, env = "CLOUDINARY_URL")]
    pub cloudinary_url: Option<String>,

    /// Cloudinary cloud name (with the API key and secret, instead of `CLOUDINARY_URL`).
    #[arg(long, env = "CLOUDINARY_CLOUD_NAME")]
    pub cloudinary_cloud_name: Option<String>,

    /// Cloudinary API key.
    #[arg(long, env = "CLOUDINARY_API_KEY")]
    pub cloudinary_api_key: Option<String>,

    /// Cloudinary API secret.
    #[arg(long, env = "CLOUDINARY_API_SECRET", hide_env_values = true)]
    pub cloudinary_api_secret: Option<String>,

    /// Cloudinary API base URL.
    #[arg(
        long,
        env = "CLOUDINARY_API_BASE",
        default_value = "https://api.cloudinary.com"
    )]
    pub cloudinary_api_base: String,

    /// Cloudinary folder for uploads.
    #[arg(long, env = "CLOUDINARY_FOLDER", default_value = "yoloo")]
    pub cloudinary_folder: String,

    /// Seconds between attempts to remove images of deleted records that
    /// could not be removed at once (at least 1).
    #[arg(long, env = "YOLOO_ORPHAN_RETRY", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub orphan_retry: u64,

    /// Sign-in for writes: a file of `user:<argon2 PHC hash>` lines (the
    /// `hash-password` subcommand prints a hash). Unset = no sign-in.
    #[arg(long, env = "YOLOO_USERS_FILE")]
    pub users_file: Option<PathBuf>,

    /// Key signing the session cookies (at least 32 bytes; the same on every
    /// replica). Unset with sign-in on = a random key: sessions end at a restart.
    #[arg(long, env = "YOLOO_SESSION_KEY", hide_env_values = true)]
    pub session_key: Option<Secret>,

    /// With sign-in on: may anyone browse the gallery (`true`), or only
    /// signed-in users (`false`)?
    #[arg(long, env = "YOLOO_PUBLIC_GALLERY", default_value_t = true, action = clap::ArgAction::Set)]
    pub public_gallery: bool,

    /// A tool instead of the service.
    #[command(subcommand)]
    pub command: Option<Tool>,

    /// Lifecycle and logging (shared by the services).
    #[command(flatten)]
    pub server: ServerArgs,
}

/// Tools of the binary.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Tool {
    /// Reads a password from stdin (one line) and prints its Argon2id hash
    /// as a PHC string, for a `user:<hash>` line of `YOLOO_USERS_FILE`.
    HashPassword,
}

/// A setting that is never shown (`Debug` prints `***`).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl Config {
    /// Parses flags and environment; for tests, `Config::parse_from(["x", "--flag", …])`.
    pub fn from_env() -> Self {
        Self::parse()
    }

    /// Treats empty environment values (`REDIS_URL=`) as unset.
    pub fn normalized(mut self) -> Self {
        for v in [
            &mut self.detector_url,
            &mut self.redis_url,
            &mut self.storage_url,
            &mut self.cloudinary_url,
            &mut self.cloudinary_cloud_name,
            &mut self.cloudinary_api_key,
            &mut self.cloudinary_api_secret,
        ] {
            if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
                *v = None;
            }
        }
        if self
            .users_file
            .as_deref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            self.users_file = None;
        }
        if self
            .session_key
            .as_ref()
            .is_some_and(|k| k.expose().trim().is_empty())
        {
            self.session_key = None;
        }
        self
    }
}
