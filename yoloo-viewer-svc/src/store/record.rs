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
    /// The record as it may be shown: its file name cleaned
    /// ([`clean_filename`]), for records stored before names were.
    pub fn cleaned(mut self) -> Self {
        self.filename = clean_filename(&self.filename);
        self
    }

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

/// The longest file name kept, in characters (longer ones are cut).
pub const MAX_FILENAME_CHARS: usize = 120;

/// Characters that change how the text around them is shown without being
/// seen themselves: the bidirectional controls (U+202E turns
/// `\u{202E}gpj.exe` into what reads as `exe.jpg`), zero-width characters and
/// the byte-order mark.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{061C}' // ARABIC LETTER MARK
        | '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}' // LRE, RLE, PDF, LRO, RLO
        | '\u{2060}'..='\u{2069}' // word joiner … LRI, RLI, FSI, PDI
        | '\u{FEFF}' // BOM
        | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation
    )
}

/// A file name fit to store and show: the last path segment, without
/// control or invisible formatting characters ([`invisible`]), at most
/// [`MAX_FILENAME_CHARS`] characters; `image` when nothing is left.
///
/// ```
/// use yoloo_viewer_svc::store::record::clean_filename;
/// assert_eq!(clean_filename("C:\\photos\\cat.jpg"), "cat.jpg");
/// assert_eq!(clean_filename("\u{202E}gpj.exe"), "gpj.exe");
/// assert_eq!(clean_filename("\u{0}\n"), "image");
/// ```
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let s: String = base
        .chars()
        .filter(|&c| !c.is_control() && !invisible(c))
        .take(MAX_FILENAME_CHARS)
        .collect();
    let s = s.trim();
    if s.is_empty() {
        "image".into()
    } else {
        s.to_owned()
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
