//! `yoloo-viewer-svc`: configuration, logging, then [`yoloo_viewer_svc::run`];
//! or `yoloo-viewer-svc hash-password` (a password on stdin → its hash).

use std::io::BufRead;

use anyhow::Context;
use yoloo_viewer_svc::Config;
use yoloo_viewer_svc::config::Tool;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env();
    if let Some(Tool::HashPassword) = config.command {
        return hash_password();
    }
    yoloo_server::logging::init(config.server.log_format, &config.server.log_filter);
    let result = yoloo_viewer_svc::run(config).await;
    if let Err(e) = &result {
        tracing::error!(error = format!("{e:#}"), "exiting");
    }
    result
}

/// Reads one line (the password, without its line end) from stdin and
/// prints its PHC hash: `printf %s "$PASSWORD" | yoloo-viewer-svc hash-password`.
fn hash_password() -> anyhow::Result<()> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']);
    anyhow::ensure!(!password.is_empty(), "no password on stdin");
    let hash = yoloo_viewer_svc::auth::hash_password(password).context("hashing")?;
    println!("{hash}");
    Ok(())
}
