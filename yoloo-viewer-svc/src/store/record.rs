//! The record of one upload, and a page of them: what every store holds.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yoloo_api::{Counts, Detection, Timings};

/// Where a record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Detected, annotated and stored.
    Done,
    /// The original is kept; detection failed (see `error`); can be retried.
    Failed,
}

impl Status {
    /// `done` / `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// Which image of a record a key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobKind {
    /// The upload as sent.
    Original,
    /// With boxes drawn (JPEG).
    Annotated,
    /// Small annotated JPEG for the gallery.
    Thumbnail,
}

/// The stored record of one upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Record {
    /// ULID: time-sortable, 26 characters.
    pub id: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC: last change (a retry).
    pub updated_at: String,
    /// `done` or `failed`.
    pub status: Status,
    /// Why detection failed.
    pub error: Option<String>,
    /// The uploaded file's name (display only; never used as a path).
    pub filename: String,
    /// Sniffed MIME type of the original.
    pub content_type: String,
    /// Size of the original in bytes.
    pub bytes: u64,
    /// Original width in pixels (after EXIF orientation).
    pub width: u32,
    /// Original height in pixels.
    pub height: u32,
    /// Model name, once detected.
    pub model: Option<String>,
    /// Label → count.
    pub counts: Counts,
    /// Most confident first.
    pub detections: Vec<Detection>,
    /// Stage timings of the last detection.
    pub timings_ms: Option<Timings>,
    /// Storage key of the original (generated).
    pub original_key: String,
    /// Where the original is served.
    pub original_url: String,
    /// Where the annotated image is served.
    pub annotated_url: Option<String>,
    /// Where the thumbnail is served.
    pub thumbnail_url: Option<String>,
}

impl Record {
    /// "person ×3 · tie ×1", most frequent first.
    pub fn counts_text(&self) -> String {
        let mut v: Vec<(&String, &usize)> = self.counts.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.iter()
            .map(|(l, n)| format!("{l} ×{n}"))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// Counts most frequent first.
    pub fn counts_sorted(&self) -> Vec<(String, usize)> {
        let mut v: Vec<(String, usize)> =
            self.counts.iter().map(|(k, v)| (k.clone(), *v)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }
}

/// True for a well-formed ULID (Crockford base32, 26 characters), the only ids we generate.
pub fn valid_id(id: &str) -> bool {
    id.len() == 26
        && ulid::Ulid::from_string(id).is_ok()
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// One page of records, newest first.
#[derive(Debug, Clone)]
pub struct Page {
    /// The records.
    pub records: Vec<Record>,
    /// Pass as `cursor` for the next (older) page.
    pub next_cursor: Option<String>,
}
