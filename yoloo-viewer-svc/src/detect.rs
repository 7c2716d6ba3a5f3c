//! Detection: in-process with yoloo-core, or over HTTP with `yoloo-detector-svc`
//! (`POST {DETECTOR_SVC_URL}/v1/detect`, raw image body) through
//! [`yoloo_api::client::DetectorClient`].

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use bytes::Bytes;
use image::DynamicImage;
use yoloo_api::client::DetectorClient;
use yoloo_api::{DetectParams, Detection, Timings, ms};
use yoloo_core::Detector;
use yoloo_core::detector::DetectOptions;

use crate::error::DetectError;

static SERVING: OnceLock<String> = OnceLock::new();

/// What this process detects with ([`Backend::describe`] of the first
/// backend started), for the pages' footer; `yoloo` before any.
pub fn serving() -> &'static str {
    SERVING.get().map_or("yoloo", String::as_str)
}

/// Records `backend` as what [`serving`] says.
pub fn announce(backend: &Backend) {
    let _ = SERVING.set(backend.describe());
}

/// What one detection produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Model name.
    pub model: String,
    /// Most confident first.
    pub detections: Vec<Detection>,
    /// Stage timings (decode and total filled in by the caller for in-process detection).
    pub timings: Timings,
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
    Remote {
        /// Its client.
        client: DetectorClient,
        /// The thresholds sent with every image.
        params: DetectParams,
    },
}

impl Backend {
    /// What detects, in a line: the model, its family and input, the
    /// engine (in-process), or the detector's address.
    pub fn describe(&self) -> String {
        match self {
            Self::Embedded { detector, .. } => {
                let (w, h) = detector.input_size();
                let engine = detector.engine();
                format!(
                    "{} ({}, {w}×{h}, {} {})",
                    detector.name(),
                    detector.model().family,
                    engine.backend,
                    engine.precision
                )
            }
            Self::Remote { client, .. } => format!("yoloo-detector-svc at {}", client.base()),
        }
    }

    /// `embedded` / `remote`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Embedded { .. } => "embedded",
            Self::Remote { .. } => "remote",
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
                let (model, d) = tokio::task::spawn_blocking(move || {
                    detector
                        .detect_with(&image, &options)
                        .map(|d| (detector.name().to_owned(), d))
                })
                .await
                .map_err(|e| DetectError::Join(e.to_string()))??;
                Outcome {
                    model,
                    detections: d.detections.iter().map(Detection::from).collect(),
                    timings: Timings {
                        preprocess: ms(d.timings.preprocess),
                        inference: ms(d.timings.inference),
                        postprocess: ms(d.timings.postprocess),
                        ..Timings::default()
                    },
                }
            }
            Self::Remote { client, params } => {
                let r = client.detect(bytes, content_type, params).await?;
                Outcome {
                    model: r.model,
                    detections: r.detections,
                    // The detector's own stages; its queue and total are not ours.
                    timings: Timings {
                        decode: r.timings_ms.decode,
                        preprocess: r.timings_ms.preprocess,
                        inference: r.timings_ms.inference,
                        postprocess: r.timings_ms.postprocess,
                        ..Timings::default()
                    },
                }
            }
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
            Self::Remote { client, .. } => Ok(client.ready().await?),
        }
    }
}
