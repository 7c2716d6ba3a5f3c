//! `POST /v1/detect` and `GET /v1/models`.

use std::time::Instant;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use image::ImageFormat;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yoloo_api::upload::{ImageBytes, UploadRefused};
use yoloo_api::{DetectParams, DetectResponse, Detection, Timings, counts, ms};
use yoloo_core::Labels;
use yoloo_core::detector::DetectOptions;
use yoloo_core::preprocess::ResizeMode;

use crate::error::{ApiError, ErrorBody};
use crate::inference::Render;
use crate::routes::{jobs, upload};
use crate::state::AppState;

/// The options for a request: the service's defaults overridden by what
/// `params` sets.
pub fn options(
    params: &DetectParams,
    defaults: &DetectOptions,
    labels: &Labels,
) -> Result<DetectOptions, ApiError> {
    let mut o = defaults.clone();
    if let Some(c) = params.confidence {
        o.confidence = c;
    }
    if let Some(i) = params.iou {
        o.iou = i;
    }
    if let Some(a) = params.agnostic {
        o.agnostic = a;
    }
    if let Some(r) = &params.resize {
        o.resize = r.parse::<ResizeMode>()?;
    }
    if let Some(m) = params.max_detections {
        o.max_detections = m;
    }
    if let Some(list) = &params.classes {
        let names: Vec<&str> = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if names.is_empty() {
            return Err(ApiError::invalid(
                "classes is empty: give comma-separated labels, e.g. person,car",
            ));
        }
        let ids = labels
            .ids(names.iter().copied())
            .map_err(|e| ApiError::invalid(e.to_string()))?;
        o.classes = Some(ids);
    }
    o.validate()?;
    Ok(o)
}

/// What the client asked for with `Accept`: JSON unless an image type is
/// named (and preferred over JSON by order).
fn render_for(headers: &HeaderMap) -> Render {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Render::None;
    };
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if refused {
            continue;
        }
        match media.as_str() {
            "image/jpeg" | "image/jpg" => return Render::Annotated(ImageFormat::Jpeg),
            "image/png" => return Render::Annotated(ImageFormat::Png),
            "application/json" | "application/*" => return Render::None,
            _ => {}
        }
    }
    Render::None
}

/// Detect objects in an image.
///
/// The body is the raw image (`image/*` or `application/octet-stream`), or a
/// `multipart/form-data` form with the file in field `image`. With
/// `Accept: image/jpeg` or `image/png` the answer is the image with the boxes
/// drawn (and the counts in the `x-yoloo-counts` header, as JSON) instead of JSON.
#[utoipa::path(
    post, path = "/v1/detect", tag = "detection",
    params(DetectParams),
    request_body(
        description = "The image: raw bytes, or multipart with file field `image`",
        content(
            (ImageBytes = "image/jpeg"),
            (ImageBytes = "image/png"),
            (ImageBytes = "application/octet-stream"),
            (inline(crate::routes::deepstack::DetectForm) = "multipart/form-data"),
        )
    ),
    responses(
        (status = 200, description = "Detections (or the annotated image with Accept: image/jpeg|image/png)",
            content((DetectResponse = "application/json"), (ImageBytes = "image/jpeg"), (ImageBytes = "image/png"))),
        (status = 400, description = "Bad parameter, empty body or malformed form", body = ErrorBody),
        UploadRefused,
        (status = 503, description = "Overloaded or not ready; see Retry-After", body = ErrorBody),
    )
)]
pub async fn detect(
    State(state): State<AppState>,
    query: Result<Query<DetectParams>, QueryRejection>,
    req: Request,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let checked = query
        .map_err(|e| ApiError::invalid(e.body_text()))
        .and_then(|Query(params)| {
            let engine = state.engine_or_503()?;
            options(&params, state.defaults(), engine.detector().labels())
        });
    let options = match checked {
        Ok(options) => options,
        Err(e) => {
            // Refused before reading the body: drain it so the connection stays usable.
            upload::discard(req.into_body());
            return Err(e);
        }
    };
    let (admission, req) = jobs::admit(&state, req)?;
    let engine = state.engine_or_503()?;
    let render = render_for(req.headers());
    let upload = upload::read(req, state.config().max_body_bytes, true).await?;
    let Some(image) = upload.image else {
        return Err(ApiError::new(
            crate::error::ErrorCode::MissingImage,
            "the form has no file field \"image\"",
        ));
    };
    let outcome = jobs::detect(&state, admission, image, options, render).await?;
    let found = &outcome.detections;
    let counts = counts(found.detections.iter().map(|d| d.label.as_str()));
    if let Some(bytes) = outcome.image {
        let content_type = match render {
            Render::Annotated(ImageFormat::Png) => "image/png",
            _ => "image/jpeg",
        };
        let mut response = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
        if let Ok(v) = HeaderValue::from_str(&serde_json::to_string(&counts).unwrap_or_default()) {
            response.headers_mut().insert("x-yoloo-counts", v);
        }
        return Ok(response);
    }
    let t = &found.timings;
    let body = DetectResponse {
        model: engine.detector().name().to_owned(),
        width: found.width,
        height: found.height,
        detections: found.detections.iter().map(Detection::from).collect(),
        counts,
        timings_ms: Timings {
            queue: Some(ms(outcome.queued)),
            decode: ms(outcome.decode),
            preprocess: ms(t.preprocess),
            inference: ms(t.inference),
            postprocess: ms(t.postprocess),
            annotate: None,
            total: ms(started.elapsed()),
        },
    };
    Ok(Json(body).into_response())
}

/// The loaded model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModelInfo {
    /// The model's name (file stem).
    pub name: String,
    /// Network input width.
    pub input_width: u32,
    /// Network input height.
    pub input_height: u32,
    /// The model family: `darknet`, `ultralytics`, `yolov5` or `yolox`
    /// (decides preprocessing and defaults).
    pub family: String,
    /// How its outputs are decoded: `darknet` (`[yolo]` heads),
    /// `anchor-free` (`[1, 4+C, N]`), `anchor-based` (`[1, N, 5+C]`),
    /// `yolox` or `nms-included` (`[1, K, 6]`).
    pub layout: String,
    /// Number of Darknet YOLO heads (0 for the other layouts).
    pub heads: usize,
    /// Class labels, by class id.
    pub classes: Vec<String>,
    /// The engine running the model: `tract`, `onnxruntime` or `openvino`.
    pub backend: String,
    /// Its precision: `fp32`, `bf16` or `int8`.
    pub precision: String,
    /// The engine's library version.
    pub engine_version: String,
    /// Defaults applied when a request sets nothing.
    pub defaults: DefaultsJson,
}

/// Default detection parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DefaultsJson {
    /// Minimum confidence.
    pub confidence: f32,
    /// NMS IoU threshold.
    pub iou: f32,
    /// Class-agnostic NMS.
    pub agnostic: bool,
    /// `stretch` or `letterbox`.
    pub resize: String,
    /// At most this many detections.
    pub max_detections: usize,
}

/// `GET /v1/models`: the models this service runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModelsResponse {
    /// One entry: this service runs one model.
    pub models: Vec<ModelInfo>,
}

/// The loaded model: name, input size, class names, defaults.
#[utoipa::path(
    get, path = "/v1/models", tag = "detection",
    responses(
        (status = 200, body = ModelsResponse),
        (status = 503, description = "The model is still loading", body = ErrorBody),
    )
)]
pub async fn models(State(state): State<AppState>) -> Result<Json<ModelsResponse>, ApiError> {
    let engine = state.engine_or_503()?;
    let d = engine.detector();
    let (input_width, input_height) = d.input_size();
    let o = state.defaults();
    Ok(Json(ModelsResponse {
        models: vec![ModelInfo {
            name: d.name().to_owned(),
            input_width,
            input_height,
            family: d.model().family.to_string(),
            layout: d.model().layout.name().to_owned(),
            heads: d.heads().len(),
            classes: d.labels().names().to_vec(),
            backend: d.engine().backend.to_string(),
            precision: d.engine().precision.to_string(),
            engine_version: d.engine().version.clone(),
            defaults: DefaultsJson {
                confidence: o.confidence,
                iou: o.iou,
                agnostic: o.agnostic,
                resize: o.resize.as_str().to_owned(),
                max_detections: o.max_detections,
            },
        }],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> Render {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        render_for(&h)
    }

    #[test]
    fn accept_negotiation() {
        assert_eq!(render_for(&HeaderMap::new()), Render::None);
        assert_eq!(accept("image/jpeg"), Render::Annotated(ImageFormat::Jpeg));
        assert_eq!(accept("image/png"), Render::Annotated(ImageFormat::Png));
        assert_eq!(accept("application/json, image/jpeg"), Render::None);
        assert_eq!(
            accept("image/png;q=0, image/jpeg"),
            Render::Annotated(ImageFormat::Jpeg)
        );
        assert_eq!(accept("*/*"), Render::None);
    }

    #[test]
    fn query_overrides_defaults() {
        let labels = Labels::from_names(["person", "car"]);
        let q = DetectParams {
            confidence: Some(0.25),
            classes: Some("car, person".into()),
            resize: Some("letterbox".into()),
            ..DetectParams::default()
        };
        let o = options(&q, &DetectOptions::default(), &labels).unwrap();
        assert_eq!(o.confidence, 0.25);
        assert_eq!(o.classes, Some(vec![1, 0]));
        assert_eq!(o.resize, ResizeMode::Letterbox);
        let bad = DetectParams {
            classes: Some("unicorn".into()),
            ..DetectParams::default()
        };
        assert!(options(&bad, &DetectOptions::default(), &labels).is_err());
        let bad = DetectParams {
            confidence: Some(1.5),
            ..DetectParams::default()
        };
        assert!(options(&bad, &DetectOptions::default(), &labels).is_err());
    }
}
