//! A typed client for `yoloo-detector-svc`: `POST /v1/detect` with a raw
//! image body, `GET /readyz`.

use std::time::Duration;

use bytes::Bytes;

use serde::Deserialize;

use crate::detection::{DetectParams, DetectResponse};

/// Makes rustls use *ring* (the workspace builds reqwest without a built-in
/// crypto provider, to avoid aws-lc-sys's C build). Idempotent; every process
/// that builds a reqwest `Client` must call it first ([`http_client`] does).
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An HTTP client with an overall `timeout`, a 3 s connect timeout and
/// `user_agent`.
///
/// # Errors
///
/// When reqwest cannot build the client (no TLS backend).
pub fn http_client(timeout: Duration, user_agent: &str) -> Result<reqwest::Client, reqwest::Error> {
    install_crypto();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(3))
        .user_agent(user_agent)
        .build()
}

/// Why a call to the detector failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// It could not be reached, timed out, or is not ready (worth retrying later).
    #[error("detector unavailable: {0}")]
    Unavailable(String),
    /// It refused the request (a 4xx other than 408 and 429): retrying will not help.
    #[error("detector rejected the image ({code}): {message}")]
    Rejected {
        /// Its error code (`undecodable_image`, …).
        code: String,
        /// Its message.
        message: String,
    },
    /// It answered something that is not the documented response.
    #[error("unexpected detector response: {0}")]
    Protocol(String),
}

/// A client of one `yoloo-detector-svc`.
#[derive(Debug, Clone)]
pub struct DetectorClient {
    base: String,
    http: reqwest::Client,
}

impl DetectorClient {
    /// `base` is the service's URL (`DETECTOR_SVC_URL`, e.g.
    /// `http://detector-service`); `http` carries the timeouts.
    pub fn new(base: &str, http: reqwest::Client) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
        }
    }

    /// The service's URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    async fn send(
        &self,
        bytes: Bytes,
        content_type: &str,
        params: &DetectParams,
    ) -> Result<reqwest::Response, reqwest::Error> {
        self.http
            .post(format!("{}/v1/detect", self.base))
            .query(params)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes)
            .send()
            .await
    }

    /// Detects objects in an encoded image; one retry when the connection
    /// could not be made (a replica going away).
    ///
    /// # Errors
    ///
    /// [`ClientError`], by whose fault it failed.
    pub async fn detect(
        &self,
        bytes: Bytes,
        content_type: &str,
        params: &DetectParams,
    ) -> Result<DetectResponse, ClientError> {
        let resp = match self.send(bytes.clone(), content_type, params).await {
            Err(e) if e.is_connect() => {
                tracing::warn!(error = %e, "detector connection failed; retrying once");
                tokio::time::sleep(Duration::from_millis(200)).await;
                self.send(bytes, content_type, params).await
            }
            other => other,
        }
        .map_err(|e| ClientError::Unavailable(describe(&e)))?;
        let status = resp.status();
        if status.is_success() {
            return resp
                .json()
                .await
                .map_err(|e| ClientError::Protocol(e.to_string()));
        }
        let text = resp.text().await.unwrap_or_default();
        // The code as a string: a newer detector may answer one this build
        // does not know.
        #[derive(Deserialize)]
        struct Body {
            error: Detail,
        }
        #[derive(Deserialize)]
        struct Detail {
            code: String,
            message: String,
        }
        let (code, message) = match serde_json::from_str::<Body>(&text) {
            Ok(body) => (body.error.code, body.error.message),
            Err(_) => ("http_error".to_owned(), text.chars().take(200).collect()),
        };
        if status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429 {
            Err(ClientError::Rejected { code, message })
        } else {
            Err(ClientError::Unavailable(format!(
                "HTTP {status} ({code}): {message}"
            )))
        }
    }

    /// `GET /readyz` answers 200.
    ///
    /// # Errors
    ///
    /// [`ClientError::Unavailable`] otherwise.
    pub async fn ready(&self) -> Result<(), ClientError> {
        let resp = self
            .http
            .get(format!("{}/readyz", self.base))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .map_err(|e| ClientError::Unavailable(describe(&e)))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(ClientError::Unavailable(format!(
                "readyz answered {}",
                resp.status()
            )))
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the detector timed out".into()
    } else if e.is_connect() {
        "cannot connect to the detector".into()
    } else {
        format!("detector request failed: {e}")
    }
}
