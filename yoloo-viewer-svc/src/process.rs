//! The upload flow: validate → store the original → detect → draw → store
//! the annotated image and thumbnail → write the record. A record is written
//! last; when that (or a store step) fails, every image stored for it is
//! deleted again, so nothing is reported or kept that is not recorded.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use image::DynamicImage;
use yoloo_api::upload::{decode_rejection, inspect};
use yoloo_api::{Timings, counts, ms};
use yoloo_core::Detection;
use yoloo_core::image_io::{DecodeLimits, decode_image};

use crate::annotate;
use crate::deletion;
use crate::error::{AppError, BlobError, DetectError};
use crate::state::AppState;
use crate::store::blobs::{ext_for_mime, key_for};
use crate::store::record::clean_filename;
use crate::store::{BlobKind, Record, Status, Write};

/// One file from a form.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The name the browser sent (display only).
    pub filename: String,
    /// The content.
    pub bytes: Bytes,
}

/// An upload that passed every check.
pub struct Validated {
    /// Display name.
    pub filename: String,
    /// Encoded bytes.
    pub bytes: Bytes,
    /// Sniffed type.
    pub mime: &'static str,
    /// Width, upright.
    pub width: u32,
    /// Height, upright.
    pub height: u32,
    /// Decoded, upright; `None` once [`Validated::without_pixels`] dropped it
    /// ([`ingest`] then decodes again).
    pub image: Option<DynamicImage>,
    /// Time spent decoding.
    pub decode_ms: f64,
}

impl Validated {
    /// Drops the decoded pixels, keeping what was learned from them: a form
    /// checks all its files before storing any, one decoded image at a time.
    pub fn without_pixels(mut self) -> Self {
        self.image = None;
        self
    }
}

fn decode_limits(state: &AppState) -> DecodeLimits {
    DecodeLimits {
        max_pixels: state.config.max_pixels,
        ..DecodeLimits::default()
    }
}

/// A ULID, monotonic within this process (two uploads in the same
/// millisecond still list in upload order).
pub fn new_id() -> ulid::Ulid {
    static GENERATOR: std::sync::Mutex<ulid::Generator> =
        std::sync::Mutex::new(ulid::Generator::new());
    match GENERATOR.lock() {
        Ok(mut g) => g.generate().unwrap_or_else(|_| ulid::Ulid::generate()),
        Err(_) => ulid::Ulid::generate(),
    }
}

/// RFC 3339 of a time (UTC, whole milliseconds).
pub fn rfc3339(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    let t = t
        .replace_nanosecond(t.millisecond() as u32 * 1_000_000)
        .unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// Checks an upload: not empty, under the size limit, a supported type by
/// content (not by name), under the pixel limit (from the header), decodable
/// — the checks and codes the detector uses too ([`yoloo_api::upload`]).
pub async fn validate(state: &AppState, upload: Upload) -> Result<Validated, AppError> {
    let filename = clean_filename(&upload.filename);
    let refused = |reason| AppError::Upload {
        filename: filename.clone(),
        reason,
    };
    let info = inspect(
        &upload.bytes,
        state.config.max_body_bytes,
        state.config.max_pixels,
    )
    .map_err(refused)?;
    let limits = decode_limits(state);
    let bytes = upload.bytes.clone();
    let start = Instant::now();
    let image = tokio::task::spawn_blocking(move || decode_image(&bytes, &limits))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| refused(decode_rejection(e)))?;
    Ok(Validated {
        filename,
        bytes: upload.bytes,
        mime: info.mime,
        width: image.width(),
        height: image.height(),
        image: Some(image),
        decode_ms: ms(start.elapsed()),
    })
}

/// A record's timings before (or without) detection: decoding only.
fn failed_timings(decode_ms: f64) -> Timings {
    Timings {
        decode: decode_ms,
        annotate: Some(0.0),
        ..Timings::default()
    }
}

/// Why detecting-and-annotating stopped.
enum Stage {
    /// Detection failed: keep the original, record `failed`.
    Detect(DetectError),
    /// Storing or drawing failed: nothing is recorded.
    Store(AppError),
}

/// Detects, draws, stores the two derived images (their keys pushed to `stored`).
async fn detect_and_store(
    state: &AppState,
    record: &mut Record,
    image: Arc<DynamicImage>,
    bytes: Bytes,
    stored: &mut Vec<String>,
) -> Result<(), Stage> {
    let mut outcome = state
        .detector
        .detect(image.clone(), bytes, &record.content_type)
        .await
        .map_err(Stage::Detect)?;
    // The detector's copy of the Arc is gone once it answered: take the
    // image back to draw on it (a clone only if something still shares it).
    let image = Arc::try_unwrap(image).unwrap_or_else(|shared| (*shared).clone());
    let start = Instant::now();
    let dets: Vec<Detection> = outcome.detections.iter().map(Detection::from).collect();
    let rendered = tokio::task::spawn_blocking(move || annotate::render(image, &dets))
        .await
        .map_err(|e| Stage::Store(AppError::Internal(e.to_string())))?
        .map_err(|e| {
            Stage::Store(AppError::Internal(format!(
                "encoding the annotated image: {e}"
            )))
        })?;
    outcome.timings.annotate = Some(ms(start.elapsed()));
    let akey = key_for(&record.id, BlobKind::Annotated, "jpg");
    let annotated_url = put(state, &akey, rendered.annotated.into(), stored).await?;
    let tkey = key_for(&record.id, BlobKind::Thumbnail, "jpg");
    let thumbnail_url = put(state, &tkey, rendered.thumbnail.into(), stored).await?;
    let counts = counts(outcome.detections.iter().map(|d| d.label.as_str()));
    let decode = record.timings_ms.as_ref().map_or(0.0, |t| t.decode);
    record.status = Status::Done;
    record.error = None;
    record.model = Some(outcome.model);
    record.counts = counts;
    record.detections = outcome.detections;
    record.timings_ms = Some(Timings {
        decode,
        ..outcome.timings
    });
    record.annotated_url = Some(annotated_url);
    record.thumbnail_url = Some(thumbnail_url);
    Ok(())
}

async fn put(
    state: &AppState,
    key: &str,
    bytes: Bytes,
    stored: &mut Vec<String>,
) -> Result<String, Stage> {
    match state.blobs.put(key, bytes, "image/jpeg").await {
        Ok(url) => {
            stored.push(key.to_owned());
            Ok(url)
        }
        Err(e) => Err(Stage::Store(e.into())),
    }
}

/// Stores, detects and records one validated upload, by `uploaded_by` (the
/// signed-in user, if sign-in is on). `Ok` means recorded (status `done`, or
/// `failed` with the original kept for a retry).
pub async fn ingest(
    state: &AppState,
    v: Validated,
    uploaded_by: Option<String>,
) -> Result<Record, AppError> {
    // Decoded again when the pixels were dropped after validation (a form).
    let image = match v.image {
        Some(image) => image,
        None => decode(state, v.bytes.clone(), "the upload").await?.0,
    };
    let ulid = new_id();
    let id = ulid.to_string();
    let now = rfc3339(ulid.datetime());
    let original_key = key_for(&id, BlobKind::Original, ext_for_mime(v.mime));
    let original_url = state
        .blobs
        .put(&original_key, v.bytes.clone(), v.mime)
        .await?;
    let mut stored = vec![original_key.clone()];
    let mut record = Record {
        id,
        created_at: now.clone(),
        updated_at: now,
        status: Status::Failed,
        error: None,
        filename: v.filename,
        content_type: v.mime.to_owned(),
        bytes: v.bytes.len() as u64,
        width: v.width,
        height: v.height,
        model: None,
        counts: Default::default(),
        detections: Vec::new(),
        timings_ms: Some(failed_timings(v.decode_ms)),
        original_key,
        original_url,
        annotated_url: None,
        thumbnail_url: None,
        uploaded_by,
    };
    match detect_and_store(state, &mut record, Arc::new(image), v.bytes, &mut stored).await {
        Ok(()) => {}
        Err(Stage::Detect(e)) => {
            tracing::warn!(id = %record.id, error = %e, "detection failed; recording the upload as failed");
            record.status = Status::Failed;
            record.error = Some(e.to_string());
        }
        Err(Stage::Store(e)) => {
            deletion::discard(state, &stored).await;
            return Err(e);
        }
    }
    if let Err(e) = state.records.put(&record, Write::Create).await {
        deletion::discard(state, &stored).await;
        return Err(e.into());
    }
    metrics::counter!("viewer_uploads_total", "status" => record.status.as_str()).increment(1);
    tracing::info!(id = %record.id, status = record.status.as_str(), objects = record.detections.len(), "recorded");
    Ok(record)
}

/// The record with this id: `NotFound` for an id we could not have made,
/// or one with no record.
pub async fn find(state: &AppState, id: &str) -> Result<Record, AppError> {
    if !crate::store::valid_id(id) {
        return Err(AppError::NotFound(id.to_owned()));
    }
    state
        .records
        .get(id)
        .await?
        .ok_or_else(|| AppError::NotFound(id.to_owned()))
}

/// Detects again on a record's stored original. `Ok` carries the updated
/// record (`done`, or still `failed` with the new error).
pub async fn retry(state: &AppState, id: &str) -> Result<Record, AppError> {
    let mut record = find(state, id).await?;
    if record.status == Status::Done {
        return Ok(record);
    }
    let bytes = state
        .blobs
        .fetch(&record.original_key, &record.original_url, &state.http)
        .await?;
    let (image, decode_ms) = decode(state, bytes.clone(), "the stored original").await?;
    record.timings_ms = Some(failed_timings(decode_ms));
    let mut stored = Vec::new();
    match detect_and_store(state, &mut record, Arc::new(image), bytes, &mut stored).await {
        Ok(()) => {}
        Err(Stage::Detect(e)) => {
            record.error = Some(e.to_string());
        }
        Err(Stage::Store(e)) => {
            deletion::discard(state, &stored).await;
            return Err(e);
        }
    }
    record.updated_at = rfc3339(SystemTime::now());
    // Only if the record is still there: deleted meanwhile, the images made
    // for it are removed again and the retry answers "no such image".
    match state.records.put(&record, Write::Update).await {
        Ok(true) => {}
        Ok(false) => {
            deletion::discard(state, &stored).await;
            tracing::info!(id, "deleted during its retry; nothing kept");
            return Err(AppError::NotFound(id.to_owned()));
        }
        Err(e) => {
            deletion::discard(state, &stored).await;
            return Err(e.into());
        }
    }
    metrics::counter!("viewer_retries_total", "status" => record.status.as_str()).increment(1);
    Ok(record)
}

/// Decodes an image that passed validation before (an upload, a stored
/// original), so failing is our fault (500); also the time it took, in ms.
async fn decode(
    state: &AppState,
    bytes: Bytes,
    what: &str,
) -> Result<(DynamicImage, f64), AppError> {
    let limits = decode_limits(state);
    let start = Instant::now();
    let image = tokio::task::spawn_blocking(move || decode_image(&bytes, &limits))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(format!("{what} no longer decodes: {e}")))?;
    Ok((image, ms(start.elapsed())))
}

/// Maps a blob error for callers that only have `AppError`.
impl From<BlobError> for Stage {
    fn from(e: BlobError) -> Self {
        Stage::Store(e.into())
    }
}
