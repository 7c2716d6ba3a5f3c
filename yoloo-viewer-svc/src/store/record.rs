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
    /// Who uploaded it, when sign-in is on (`null` otherwise, and in records
    /// written before sign-in existed).
    #[serde(default)]
    pub uploaded_by: Option<String>,
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

/// The longest class label a filter accepts, in characters.
pub const MAX_LABEL_CHARS: usize = 100;

/// Labels a filter may name at once.
pub const MAX_FILTER_LABELS: usize = 20;

/// Which records a list shows: all, or those whose counts name any of the
/// labels (`class=dog,person`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassFilter {
    labels: Vec<String>,
}

impl ClassFilter {
    /// Every record.
    pub fn all() -> Self {
        Self::default()
    }

    /// Parses `dog,person`: up to [`MAX_FILTER_LABELS`] comma-separated
    /// labels of 1 to [`MAX_LABEL_CHARS`] characters, none a control
    /// character; each is trimmed and duplicates are dropped. An empty value
    /// means no filter. Exactly the OpenAPI pattern of `class` (in
    /// `routes/api.rs`); `Err` says
    /// why a value cannot be a filter.
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        let value = value.unwrap_or("");
        let mut labels: Vec<String> = Vec::new();
        if value.is_empty() {
            return Ok(Self { labels });
        }
        let entries: Vec<&str> = value.split(',').collect();
        if entries.len() > MAX_FILTER_LABELS {
            return Err(format!("at most {MAX_FILTER_LABELS} classes at once"));
        }
        for entry in entries {
            let chars = entry.chars().count();
            if chars == 0 || chars > MAX_LABEL_CHARS || entry.chars().any(char::is_control) {
                return Err(format!(
                    "class labels are 1 to {MAX_LABEL_CHARS} characters, without control characters, separated by single commas"
                ));
            }
            let label = entry.trim();
            if !label.is_empty() && !labels.iter().any(|l| l == label) {
                labels.push(label.to_owned());
            }
        }
        Ok(Self { labels })
    }

    /// The labels (none: every record).
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// No filter?
    pub fn is_all(&self) -> bool {
        self.labels.is_empty()
    }

    /// The value for `?class=`.
    pub fn query_value(&self) -> String {
        self.labels.join(",")
    }
}

/// Merges per-label id lists (each newest first) into one, newest first,
/// without duplicates, cut at `limit + 1` (one more tells there is a next page).
pub fn merge_newest(lists: Vec<Vec<String>>, limit: usize) -> Vec<String> {
    let mut ids: Vec<String> = lists.into_iter().flatten().collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.dedup();
    ids.truncate(limit.saturating_add(1));
    ids
}

/// Label → objects counted over all `done` records, most first.
pub type ClassTotals = Vec<(String, u64)>;

/// Sorts totals most first, then by label; drops zeroes.
pub fn sorted_totals(mut totals: ClassTotals) -> ClassTotals {
    totals.retain(|(_, n)| *n > 0);
    totals.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    totals
}

/// One page of records, newest first.
#[derive(Debug, Clone)]
pub struct Page {
    /// The records.
    pub records: Vec<Record>,
    /// Pass as `cursor` for the next (older) page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_trim_and_dedupe() {
        let f = ClassFilter::parse(Some(" dog,person, ,dog ,traffic light")).expect("valid");
        assert_eq!(f.labels(), ["dog", "person", "traffic light"]);
        assert!(ClassFilter::parse(Some("dog,,person")).is_err());
        assert!(ClassFilter::parse(Some("dog,")).is_err());
        // Characters, not bytes: 100 four-byte characters are a label.
        assert!(ClassFilter::parse(Some(&"😀".repeat(MAX_LABEL_CHARS))).is_ok());
        let same: Vec<&str> = vec!["a"; MAX_FILTER_LABELS + 1];
        assert!(ClassFilter::parse(Some(&same.join(","))).is_err());
        assert_eq!(f.query_value(), "dog,person,traffic light");
        assert!(ClassFilter::parse(Some("")).expect("valid").is_all());
        assert!(ClassFilter::parse(None).expect("valid").is_all());
        assert!(ClassFilter::parse(Some("a\u{7}b")).is_err());
        assert!(ClassFilter::parse(Some(&"x".repeat(MAX_LABEL_CHARS + 1))).is_err());
        let many: Vec<String> = (0..=MAX_FILTER_LABELS).map(|i| format!("c{i}")).collect();
        assert!(ClassFilter::parse(Some(&many.join(","))).is_err());
    }

    #[test]
    fn merge_is_newest_first_without_duplicates() {
        let a = vec!["05".to_owned(), "03".to_owned(), "01".to_owned()];
        let b = vec!["04".to_owned(), "03".to_owned(), "02".to_owned()];
        assert_eq!(merge_newest(vec![a, b], 3), ["05", "04", "03", "02"]);
        assert!(merge_newest(Vec::new(), 3).is_empty());
    }

    #[test]
    fn totals_most_first_without_zeroes() {
        let t = sorted_totals(vec![
            ("dog".into(), 2),
            ("cat".into(), 0),
            ("person".into(), 9),
            ("bus".into(), 2),
        ]);
        assert_eq!(
            t,
            [("person".into(), 9), ("bus".into(), 2), ("dog".into(), 2)]
        );
    }
}
