//! Detection: in-process with yoloo-core, or over HTTP with `yoloo-detector-svc`
//! (`POST {DETECTOR_SVC_URL}/v1/detect`, raw image body).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use image::DynamicImage;
use serde::Deserialize;
use yoloo_core::Detector;
use yoloo_core::detector::DetectOptions;

use crate::error::DetectError;
use crate::store::{DetectionRecord, TimingsMs};

/// What one detection produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Model name.
    pub model: String,
    /// Most confident first.
    pub detections: Vec<DetectionRecord>,
    /// Stage timings (decode and total filled in by the caller for in-process detection).
    pub timings: TimingsMs,
}

/// The detector in use.
#[derive(Clone)]
pub enum Backend {
    /// yoloo-core in this process.
    Embedded {
        /// The loaded model.
        detector: Arc<Detector>,
        /// Thresholds.
        options: DetectOptions,
    },
    /// `yoloo-detector-svc` over HTTP.
    Remote(RemoteDetector),
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl Backend {
    /// `embedded` / `remote`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Embedded { .. } => "embedded",
            Self::Remote(_) => "remote",
        }
    }

    /// Detects on an upload: `image` is the decoded upload, `bytes` its encoded form.
    pub async fn detect(
        &self,
        image: Arc<DynamicImage>,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<Outcome, DetectError> {
        let start = Instant::now();
        let mut out = match self {
            Self::Embedded { detector, options } => {
                let detector = detector.clone();
                let options = options.clone();
                let r = tokio::task::spawn_blocking(move || {
                    detector
                        .detect_with(&image, &options)
                        .map(|d| (detector.name().to_owned(), d))
                })
                .await
                .map_err(|e| DetectError::Join(e.to_string()))??;
                let (model, d) = r;
                Outcome {
                    model,
                    detections: d
                        .detections
                        .iter()
                        .map(|d| DetectionRecord {
                            class_id: d.class_id,
                            label: d.label.clone(),
                            confidence: d.confidence,
                            x1: d.bbox.x1,
                            y1: d.bbox.y1,
                            x2: d.bbox.x2,
                            y2: d.bbox.y2,
                        })
                        .collect(),
                    timings: TimingsMs {
                        preprocess: ms(d.timings.preprocess),
                        inference: ms(d.timings.inference),
                        postprocess: ms(d.timings.postprocess),
                        ..TimingsMs::default()
                    },
                }
            }
            Self::Remote(r) => r.detect(bytes, content_type).await?,
        };
        out.timings.total = ms(start.elapsed());
        metrics::histogram!("viewer_detect_seconds", "backend" => self.kind())
            .record(start.elapsed().as_secs_f64());
        Ok(out)
    }

    /// Ready to detect? (remote: its `/readyz` answers 200).
    pub async fn ready(&self) -> Result<(), DetectError> {
        match self {
            Self::Embedded { .. } => Ok(()),
            Self::Remote(r) => r.ready().await,
        }
    }
}

/// The detector service's 200 body.
#[derive(Debug, Deserialize)]
struct RemoteResponse {
    model: String,
    detections: Vec<DetectionRecord>,
    #[serde(default)]
    #[allow(dead_code)]
    counts: BTreeMap<String, u32>,
    #[serde(default)]
    timings_ms: RemoteTimings,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RemoteTimings {
    decode: f64,
    preprocess: f64,
    inference: f64,
    postprocess: f64,
}

#[derive(Debug, Deserialize)]
struct RemoteError {
    error: RemoteErrorBody,
}

#[derive(Debug, Deserialize)]
struct RemoteErrorBody {
    code: String,
    message: String,
}

/// HTTP client of `yoloo-detector-svc`.
#[derive(Debug, Clone)]
pub struct RemoteDetector {
    base: String,
    http: reqwest::Client,
    confidence: f32,
    iou: f32,
}

impl RemoteDetector {
    /// `base` is `DETECTOR_SVC_URL`; `http` carries the timeouts.
    pub fn new(base: &str, http: reqwest::Client, confidence: f32, iou: f32) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
            confidence,
            iou,
        }
    }

    async fn send(
        &self,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<reqwest::Response, reqwest::Error> {
        self.http
            .post(format!("{}/v1/detect", self.base))
            .query(&[
                ("confidence", self.confidence.to_string()),
                ("iou", self.iou.to_string()),
                ("agnostic", "false".to_owned()),
                ("resize", "stretch".to_owned()),
            ])
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes)
            .send()
            .await
    }

    /// Detects; one retry when the connection could not be made.
    pub async fn detect(&self, bytes: Bytes, content_type: &str) -> Result<Outcome, DetectError> {
        let resp = match self.send(bytes.clone(), content_type).await {
            Err(e) if e.is_connect() => {
                tracing::warn!(error = %e, "detector connection failed; retrying once");
                tokio::time::sleep(Duration::from_millis(200)).await;
                self.send(bytes, content_type).await
            }
            other => other,
        }
        .map_err(|e| DetectError::Unavailable(describe(&e)))?;
        let status = resp.status();
        if status.is_success() {
            let body: RemoteResponse = resp
                .json()
                .await
                .map_err(|e| DetectError::Protocol(e.to_string()))?;
            return Ok(Outcome {
                model: body.model,
                detections: body.detections,
                timings: TimingsMs {
                    decode: body.timings_ms.decode,
                    preprocess: body.timings_ms.preprocess,
                    inference: body.timings_ms.inference,
                    postprocess: body.timings_ms.postprocess,
                    ..TimingsMs::default()
                },
            });
        }
        let text = resp.text().await.unwrap_or_default();
        let (code, message) = match serde_json::from_str::<RemoteError>(&text) {
            Ok(e) => (e.error.code, e.error.message),
            Err(_) => ("http_error".to_owned(), text.chars().take(200).collect()),
        };
        if status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429 {
            Err(DetectError::Rejected { code, message })
        } else {
            Err(DetectError::Unavailable(format!(
                "HTTP {status} ({code}): {message}"
            )))
        }
    }

    /// `GET /readyz` → 200.
    pub async fn ready(&self) -> Result<(), DetectError> {
        let resp = self
            .http
            .get(format!("{}/readyz", self.base))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .map_err(|e| DetectError::Unavailable(describe(&e)))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(DetectError::Unavailable(format!(
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
