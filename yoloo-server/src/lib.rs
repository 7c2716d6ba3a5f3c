#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod args;
pub mod body;
pub mod error;
pub mod health;
pub mod layers;
pub mod logging;
pub mod metrics;
pub mod server;
pub mod shutdown;

pub use args::{
    BackendSetting, ClientTimeouts, DetectArgs, Drain, LoadError, LogFormat, ModelArgs, ServerArgs,
};
pub use error::ApiError;
pub use server::Server;
pub use shutdown::Stop;
