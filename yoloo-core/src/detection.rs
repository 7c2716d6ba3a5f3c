//! What a detector reports: a labelled, scored box.

use crate::BBox;

/// One detected object.
///
/// ```
/// use yoloo_core::{BBox, Detection};
/// let d = Detection { class_id: 16, label: "dog".into(), confidence: 0.98, bbox: BBox::new(1.0, 2.0, 3.0, 4.0) };
/// assert_eq!(d.to_string(), "dog 0.98");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Detection {
    /// Index of the class in the model's names file.
    pub class_id: usize,
    /// Human-readable class name (from the names file; `class_N` when unknown).
    pub label: String,
    /// Score in `[0, 1]`: objectness × class probability.
    pub confidence: f32,
    /// Box in pixels of the original image.
    pub bbox: BBox,
}

impl std::fmt::Display for Detection {
    /// The caption drawn on images: `"dog 0.98"`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:.2}", self.label, self.confidence)
    }
}
