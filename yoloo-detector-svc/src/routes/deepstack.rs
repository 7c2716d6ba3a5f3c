//! `POST /v1/vision/detection`: the DeepStack / CodeProject.AI object
//! detection API, as spoken by Home Assistant, Frigate, Blue Iris and the
//! `deepstack-python` / `deepstack-sdk` clients.

use axum::Json;
use axum::extract::{Request, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, DeepStackError, DeepStackErrorBody, ErrorCode};
use crate::inference::Render;
use crate::routes::{jobs, upload};
use crate::state::AppState;

/// DeepStack's default `min_confidence`.
pub const DEFAULT_MIN_CONFIDENCE: f32 = 0.4;

/// The multipart form of `POST /v1/detect`: the image file (other fields are
/// ignored).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the form for OpenAPI; read field by field
pub struct DetectForm {
    /// The image file.
    #[schema(value_type = String, format = Binary, min_length = 1)]
    pub image: Vec<u8>,
}

/// DeepStack's multipart form: the image plus its optional text fields
/// (each at most 4096 bytes; other fields are ignored).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the form for OpenAPI; read field by field
pub struct ImageForm {
    /// The image file.
    #[schema(value_type = String, format = Binary, min_length = 1)]
    pub image: Vec<u8>,
    /// Minimum confidence, in [0, 1] (default 0.4).
    #[schema(value_type = f32, required = false, minimum = 0.0, maximum = 1.0)]
    pub min_confidence: Option<f32>,
    /// Required when the service has `YOLOO_API_KEY`.
    #[schema(value_type = String, required = false, max_length = 4096)]
    pub api_key: Option<String>,
}

/// One prediction, in integer pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Prediction {
    /// Class label.
    pub label: String,
    /// Confidence, in [0, 1].
    pub confidence: f32,
    /// Left edge.
    pub x_min: i64,
    /// Top edge.
    pub y_min: i64,
    /// Right edge.
    pub x_max: i64,
    /// Bottom edge.
    pub y_max: i64,
}

/// DeepStack's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeepStackResponse {
    /// Always `true` here (errors use `{"success": false, "error"}`).
    pub success: bool,
    /// Predictions, most confident first.
    pub predictions: Vec<Prediction>,
    /// Processing time in milliseconds.
    pub duration: f64,
}

/// Constant-time comparison, so the key cannot be guessed byte by byte from timings.
fn same_key(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    let mut diff = a.len() ^ b.len();
    for (i, &y) in b.iter().enumerate() {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ y);
    }
    diff == 0
}

/// Detect objects, DeepStack-style (multipart field `image`, optional
/// `min_confidence` and `api_key`).
#[utoipa::path(
    post, path = "/v1/vision/detection", tag = "deepstack",
    request_body(content = inline(ImageForm), content_type = "multipart/form-data"),
    responses(
        (status = 200, body = DeepStackResponse),
        (status = 400, description = "Bad input: `{\"success\": false, \"error\"}`", body = DeepStackErrorBody),
        (status = 401, description = "Wrong or missing api_key (only when YOLOO_API_KEY is set)", body = DeepStackErrorBody),
        (status = 503, description = "Overloaded or not ready; see Retry-After", body = DeepStackErrorBody),
    )
)]
pub async fn detection(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<DeepStackResponse>, DeepStackError> {
    let started = std::time::Instant::now();
    let (admission, req) = jobs::admit(&state, req)?;
    let upload = upload::read(req, state.config().max_body_bytes, false).await?;
    if let Some(expected) = &state.config().api_key {
        let given = upload.fields.get("api_key").map_or("", String::as_str);
        if !same_key(given, expected) {
            return Err(ApiError::new(ErrorCode::Unauthorized, "invalid api_key").into());
        }
    }
    let min_confidence = match upload.fields.get("min_confidence").map(|s| s.trim()) {
        None | Some("") => DEFAULT_MIN_CONFIDENCE,
        Some(s) => s
            .parse::<f32>()
            .map_err(|_| ApiError::invalid(format!("min_confidence {s:?} is not a number")))?,
    };
    let Some(image) = upload.image else {
        return Err(ApiError::new(
            ErrorCode::MissingImage,
            "the form has no file field \"image\"",
        )
        .into());
    };
    let options = yoloo_core::detector::DetectOptions {
        confidence: min_confidence,
        ..state.defaults().clone()
    };
    let outcome = jobs::detect(&state, admission, image, options, Render::None).await?;
    let mut predictions: Vec<Prediction> = outcome
        .detections
        .detections
        .iter()
        .map(|d| Prediction {
            label: d.label.clone(),
            confidence: d.confidence,
            x_min: d.bbox.x1.round() as i64,
            y_min: d.bbox.y1.round() as i64,
            x_max: d.bbox.x2.round() as i64,
            y_max: d.bbox.y2.round() as i64,
        })
        .collect();
    // Frigate reads predictions in order and stops at the first below its threshold.
    predictions.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    Ok(Json(DeepStackResponse {
        success: true,
        predictions,
        duration: started.elapsed().as_secs_f64() * 1e3,
    }))
}

#[cfg(test)]
mod tests {
    use super::same_key;

    #[test]
    fn keys_compare_exactly() {
        assert!(same_key("secret", "secret"));
        assert!(!same_key("secreT", "secret"));
        assert!(!same_key("secret1", "secret"));
        assert!(!same_key("secre", "secret"));
        assert!(!same_key("", "secret"));
    }
}
