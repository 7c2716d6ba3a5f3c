//! Detections and where the time went, as they travel between the services
//! and as the viewer stores them.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One detected object; coordinates in pixels of the (EXIF-rotated) input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Detection {
    /// Index into the model's class list.
    pub class_id: usize,
    /// Class label.
    pub label: String,
    /// Objectness × class probability, in [0, 1].
    pub confidence: f32,
    /// Left edge.
    pub x1: f32,
    /// Top edge.
    pub y1: f32,
    /// Right edge.
    pub x2: f32,
    /// Bottom edge.
    pub y2: f32,
}

impl From<&yoloo_core::Detection> for Detection {
    fn from(d: &yoloo_core::Detection) -> Self {
        Self {
            class_id: d.class_id,
            label: d.label.clone(),
            confidence: d.confidence,
            x1: d.bbox.x1,
            y1: d.bbox.y1,
            x2: d.bbox.x2,
            y2: d.bbox.y2,
        }
    }
}

impl From<&Detection> for yoloo_core::Detection {
    fn from(d: &Detection) -> Self {
        Self {
            class_id: d.class_id,
            label: d.label.clone(),
            confidence: d.confidence,
            bbox: yoloo_core::BBox::new(d.x1, d.y1, d.x2, d.y2),
        }
    }
}

/// Number of detections per label.
pub type Counts = BTreeMap<String, usize>;

/// Counts per label of `detections`.
///
/// ```
/// use yoloo_api::{Detection, counts};
/// let d = |label: &str| Detection {
///     class_id: 0, label: label.into(), confidence: 0.9, x1: 0.0, y1: 0.0, x2: 1.0, y2: 1.0,
/// };
/// let c = counts([d("person"), d("dog"), d("person")].iter().map(|d| d.label.as_str()));
/// assert_eq!(c["person"], 2);
/// assert_eq!(c["dog"], 1);
/// ```
pub fn counts<'a>(labels: impl IntoIterator<Item = &'a str>) -> Counts {
    let mut counts = Counts::new();
    for label in labels {
        *counts.entry(label.to_owned()).or_insert(0) += 1;
    }
    counts
}

/// Where the time went, in milliseconds. Stages a party did not run are
/// absent (`queue` is the detector's, `annotate` the viewer's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Timings {
    /// Waiting for a free inference worker (the detector).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<f64>,
    /// Decoding the image.
    pub decode: f64,
    /// Resizing into the network's input.
    pub preprocess: f64,
    /// The network.
    pub inference: f64,
    /// Decoding the heads and NMS.
    pub postprocess: f64,
    /// Drawing and encoding the annotated image and thumbnail (the viewer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotate: Option<f64>,
    /// The detector: the whole request, from the body received to the answer
    /// ready. The viewer: detection as it saw it (with the HTTP round trip in
    /// remote mode).
    pub total: f64,
}

/// A duration in milliseconds, as every timing here is given.
///
/// ```
/// assert_eq!(yoloo_api::ms(std::time::Duration::from_micros(1500)), 1.5);
/// ```
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The answer of `POST /v1/detect`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DetectResponse {
    /// The model's name.
    pub model: String,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Detections, most confident first (after NMS).
    pub detections: Vec<Detection>,
    /// Number of detections per label (after NMS).
    #[serde(default)]
    pub counts: Counts,
    /// Stage timings.
    #[serde(default)]
    pub timings_ms: Timings,
}

/// The resize modes `resize` takes (the OpenAPI enum; the field itself is
/// text, checked by the service).
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ResizeName {
    /// Stretched to the network input, as OpenCV's `blobFromImage`.
    Stretch,
    /// Scaled keeping the aspect ratio, padded.
    Letterbox,
}

/// Query parameters of `POST /v1/detect`; unset ones take the service's defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DetectParams {
    /// Minimum confidence, in [0, 1] (default: the model family's, e.g. Darknet 0.5, Ultralytics 0.25).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[param(minimum = 0.0, maximum = 1.0)]
    pub confidence: Option<f32>,
    /// NMS IoU threshold, in [0, 1] (default: the model family's, e.g. Darknet 0.4, Ultralytics 0.7).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[param(minimum = 0.0, maximum = 1.0)]
    pub iou: Option<f32>,
    /// Class-agnostic NMS (default: the model family's; per class except YOLOX).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agnostic: Option<bool>,
    /// `stretch` or `letterbox` (default: the model family's: Darknet stretch, others letterbox).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[param(value_type = Option<ResizeName>, inline)]
    pub resize: Option<String>,
    /// Comma-separated class labels to keep, e.g. `person,car` (names from
    /// `GET /v1/models`; an unknown one is a 400).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[param(min_length = 1)]
    pub classes: Option<String>,
    /// At most this many detections (default: the model family's, e.g. Darknet 100, Ultralytics 300).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_detections: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timings_leave_out_stages_not_run() {
        let detector = Timings {
            queue: Some(1.0),
            total: 2.0,
            ..Timings::default()
        };
        let json = serde_json::to_value(&detector).unwrap();
        assert!(json.get("annotate").is_none(), "{json}");
        assert_eq!(json["queue"], 1.0);
        let viewer: Timings = serde_json::from_str(r#"{"decode": 1, "annotate": 3}"#).unwrap();
        assert_eq!((viewer.queue, viewer.annotate), (None, Some(3.0)));
    }

    #[test]
    fn detections_round_trip_through_the_library_type() {
        let wire = Detection {
            class_id: 16,
            label: "dog".into(),
            confidence: 0.75,
            x1: 1.0,
            y1: 2.0,
            x2: 30.0,
            y2: 40.0,
        };
        let core = yoloo_core::Detection::from(&wire);
        assert_eq!(Detection::from(&core), wire);
    }
}
