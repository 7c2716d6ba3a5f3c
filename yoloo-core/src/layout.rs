//! The head layouts of the YOLO families, recognised from a model's output
//! shapes (and its metadata), and the decoding of each into scored boxes
//! ([`Candidate`]s in network-input pixels).
//!
//! | layout | output | who writes it |
//! |---|---|---|
//! | [`HeadLayout::Darknet`] | one `[1, A·(5+C), H, W]` per `[yolo]` head | Darknet cfg+weights (YOLOv3, v4 and their tiny versions), yoloo's `convert` |
//! | [`HeadLayout::AnchorFree`] | `[1, 4+C, N]` | Ultralytics YOLOv8, YOLO11 (also v9-style exports) |
//! | [`HeadLayout::AnchorBased`] | `[1, N, 5+C]` | YOLOv5, YOLOv7 exports |
//! | [`HeadLayout::Yolox`] | `[1, N, 5+C]` before grid decoding | YOLOX exports |
//! | [`HeadLayout::NmsIncluded`] | `[1, K, 6]` | exports with NMS inside (Ultralytics `nms=True`, YOLOv10-style end-to-end) |
//!
//! `N` is the number of grid cells over the strides 8, 16 and 32
//! (`(W/8)(H/8) + (W/16)(H/16) + (W/32)(H/32)`: 8400 at 640×640, 3549 at
//! 416×416), three times that for the anchor-based heads. Coordinates are
//! in network-input pixels: `cx, cy, w, h` for the first three layouts
//! (YOLOX after its grid decoding), `x1, y1, x2, y2` for the last.
//!
//! ```
//! use yoloo_core::layout::{HeadLayout, LayoutHints};
//! let layout = HeadLayout::detect(&[vec![1, 84, 8400]], (640, 640), &LayoutHints::default()).unwrap();
//! assert_eq!(layout, HeadLayout::AnchorFree { classes: 80, transposed: false });
//! let err = HeadLayout::detect(&[vec![1, 7, 7]], (640, 640), &LayoutHints::default()).unwrap_err();
//! assert!(err.to_string().contains("[1, 7, 7]"));
//! ```

use std::cmp::Ordering;
use std::fmt;

use ndarray::ArrayViewD;

use crate::decode::{self, Candidate, YoloHead};
use crate::metadata::ModelMetadata;
use crate::preprocess::InputFormat;
use crate::{BBox, Error, Result};

/// The strides of the grid-based families' feature maps.
pub const STRIDES: [u32; 3] = [8, 16, 32];

/// What a model's outputs hold, and so how they are decoded.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", tag = "kind"))]
pub enum HeadLayout {
    /// Darknet `[yolo]` heads, one output each: raw logits per anchor and
    /// cell, decoded with the anchors (see [`crate::decode`]).
    Darknet {
        /// The heads, in output order.
        heads: Vec<YoloHead>,
    },
    /// `[1, 4+C, N]` (`[1, N, 4+C]` when `transposed`): per box `cx, cy, w, h`
    /// then `C` class scores, no objectness (Ultralytics YOLOv8 / YOLO11).
    AnchorFree {
        /// Number of classes `C`.
        classes: usize,
        /// Boxes along the second axis instead of the third.
        transposed: bool,
    },
    /// `[1, N, 5+C]`: per box `cx, cy, w, h`, objectness, `C` class
    /// probabilities; score = objectness × class (YOLOv5, YOLOv7).
    AnchorBased {
        /// Number of classes `C`.
        classes: usize,
    },
    /// YOLOX's raw head, `[1, N, 5+C]`: per grid cell of each stride `s`,
    /// offsets `tx, ty` (`cx = (col + tx)·s`), log-sizes `tw, th`
    /// (`w = exp(tw)·s`), then objectness and class probabilities.
    Yolox {
        /// Number of classes `C`.
        classes: usize,
        /// The strides, in output order (8, 16, 32).
        strides: Vec<u32>,
    },
    /// `[1, K, 6]`: NMS already done in the graph, per row
    /// `x1, y1, x2, y2, score, class`; rows with a score above the
    /// threshold are passed through, without a second NMS.
    NmsIncluded,
}

/// What a model says about itself, beyond its output shapes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayoutHints {
    /// Darknet heads described in the model (yoloo's `yoloo.heads` metadata).
    pub darknet_heads: Option<Vec<YoloHead>>,
    /// Ultralytics metadata, when present.
    pub metadata: ModelMetadata,
}

/// The family a model belongs to: it decides preprocessing and defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "lowercase")
)]
pub enum Family {
    /// Darknet YOLOv3 / YOLOv4 (cfg + weights, or yoloo's ONNX export).
    Darknet,
    /// Ultralytics YOLOv8, YOLO11 and later, and end-to-end exports.
    Ultralytics,
    /// YOLOv5 / YOLOv7 anchor-based exports.
    Yolov5,
    /// YOLOX.
    Yolox,
}

/// The detection settings a family's own tool uses by default.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FamilyDefaults {
    /// Minimum score.
    pub confidence: f32,
    /// NMS IoU threshold.
    pub iou: f32,
    /// Class-agnostic NMS.
    pub agnostic: bool,
    /// At most this many detections.
    pub max_detections: usize,
    /// Letterbox (the family's own) rather than stretch.
    pub letterbox: bool,
}

impl Family {
    /// What the family's own tool does by default:
    ///
    /// | family | confidence | IoU | NMS | max | resize | from |
    /// |---|---|---|---|---|---|---|
    /// | darknet | 0.5 | 0.4 | per class | 100 | stretch | the original OpenCV app, Darknet's NMS |
    /// | ultralytics | 0.25 | 0.7 | per class | 300 | letterbox | `ultralytics` predict |
    /// | yolov5 | 0.25 | 0.45 | per class | 1000 | letterbox | YOLOv5's `detect.py` |
    /// | yolox | 0.3 | 0.45 | class-agnostic | 300 | letterbox | YOLOX's ONNX demo |
    ///
    /// ```
    /// use yoloo_core::layout::Family;
    /// let d = Family::Ultralytics.defaults();
    /// assert_eq!((d.confidence, d.iou, d.agnostic, d.max_detections), (0.25, 0.7, false, 300));
    /// ```
    pub const fn defaults(self) -> FamilyDefaults {
        let (confidence, iou, agnostic, max_detections, letterbox) = match self {
            Family::Darknet => (0.5, 0.4, false, 100, false),
            Family::Ultralytics => (0.25, 0.7, false, 300, true),
            Family::Yolov5 => (0.25, 0.45, false, 1000, true),
            Family::Yolox => (0.3, 0.45, true, 300, true),
        };
        FamilyDefaults {
            confidence,
            iou,
            agnostic,
            max_detections,
            letterbox,
        }
    }

    /// The input the family's networks expect (see [`InputFormat`]).
    pub const fn input_format(self) -> InputFormat {
        match self {
            Family::Darknet => InputFormat::DARKNET,
            Family::Ultralytics | Family::Yolov5 => InputFormat::ULTRALYTICS,
            Family::Yolox => InputFormat::YOLOX,
        }
    }

    /// The input size of the family's usual exports, for a model whose
    /// input is dynamic and whose metadata does not say (640 for the
    /// Ultralytics families, 416 otherwise).
    pub const fn default_input(self) -> (u32, u32) {
        match self {
            Family::Ultralytics | Family::Yolov5 => (640, 640),
            Family::Darknet | Family::Yolox => (416, 416),
        }
    }

    /// The lowercase name (`darknet`, `ultralytics`, `yolov5`, `yolox`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Family::Darknet => "darknet",
            Family::Ultralytics => "ultralytics",
            Family::Yolov5 => "yolov5",
            Family::Yolox => "yolox",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Grid cells over `strides` for a `width × height` input (0 when a side
/// is not a multiple of every stride).
fn cells(width: u32, height: u32, strides: &[u32]) -> usize {
    if strides
        .iter()
        .any(|s| !width.is_multiple_of(*s) || !height.is_multiple_of(*s))
    {
        return 0;
    }
    strides
        .iter()
        .map(|s| (width / s) as usize * (height / s) as usize)
        .sum()
}

impl HeadLayout {
    /// Recognises the layout from the output shapes of a model whose input
    /// is `input = (width, height)`, helped by what the model says about
    /// itself.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownLayout`], naming the shapes seen, when they fit no
    /// layout (or the metadata names a task other than detection).
    pub fn detect(shapes: &[Vec<usize>], input: (u32, u32), hints: &LayoutHints) -> Result<Self> {
        let unknown = |reason: String| Error::UnknownLayout {
            shapes: shapes.to_vec(),
            reason,
        };
        if let Some(heads) = &hints.darknet_heads {
            if heads.len() != shapes.len() {
                return Err(unknown(format!(
                    "the model describes {} Darknet heads but has {} outputs",
                    heads.len(),
                    shapes.len()
                )));
            }
            for (shape, head) in shapes.iter().zip(heads) {
                if !matches!(shape.as_slice(), [1, c, _, _] if *c == head.channels()) {
                    return Err(unknown(format!(
                        "a Darknet head with {} anchors and {} classes is [1, {}, H, W]",
                        head.anchors.len(),
                        head.num_classes,
                        head.channels()
                    )));
                }
            }
            return Ok(HeadLayout::Darknet {
                heads: heads.clone(),
            });
        }
        let meta = &hints.metadata;
        if let Some(task) = meta.task.as_deref().filter(|t| *t != "detect") {
            return Err(unknown(format!(
                "the model's task is {task:?}; only detection models (task \"detect\") are supported"
            )));
        }
        let [shape] = shapes else {
            return Err(unknown(format!(
                "a YOLO export has one output (Darknet heads need yoloo's metadata), this model has {}",
                shapes.len()
            )));
        };
        let &[1, a, b] = shape.as_slice() else {
            return Err(unknown("a single output must be [1, A, B]".into()));
        };
        let (w, h) = input;
        let grid = cells(w, h, &STRIDES);
        let names = meta.names.as_ref().map(Vec::len);
        if meta.nms == Some(true) || meta.end2end == Some(true) {
            return if b == 6 {
                Ok(HeadLayout::NmsIncluded)
            } else {
                Err(unknown(
                    "the metadata says NMS is inside the model, whose output must then be [1, K, 6]".into(),
                ))
            };
        }
        // Ultralytics' own layout, as its metadata says.
        if let Some(nc) = names {
            if meta.is_ultralytics() && a == 4 + nc && b > a {
                return Ok(HeadLayout::AnchorFree {
                    classes: nc,
                    transposed: false,
                });
            }
            if meta.task.is_some() && b == 4 + nc && a > b {
                return Ok(HeadLayout::AnchorFree {
                    classes: nc,
                    transposed: true,
                });
            }
        }
        let classes_fit = |c: usize| names.is_none_or(|n| n == c);
        if grid > 0 && a == 3 * grid && b > 5 && classes_fit(b - 5) {
            return Ok(HeadLayout::AnchorBased { classes: b - 5 });
        }
        if grid > 0 && a == grid && b > 5 && classes_fit(b - 5) {
            return Ok(HeadLayout::Yolox {
                classes: b - 5,
                strides: STRIDES.to_vec(),
            });
        }
        if grid > 0 && b == grid && a > 4 && classes_fit(a - 4) {
            return Ok(HeadLayout::AnchorFree {
                classes: a - 4,
                transposed: false,
            });
        }
        if b == 6 && a <= 10_000 {
            return Ok(HeadLayout::NmsIncluded);
        }
        Err(unknown(format!(
            "at {w}×{h} a grid head has N = {grid} boxes ({} for 3 anchors per cell)",
            3 * grid
        )))
    }

    /// The family this layout belongs to.
    pub fn family(&self) -> Family {
        match self {
            HeadLayout::Darknet { .. } => Family::Darknet,
            HeadLayout::AnchorFree { .. } | HeadLayout::NmsIncluded => Family::Ultralytics,
            HeadLayout::AnchorBased { .. } => Family::Yolov5,
            HeadLayout::Yolox { .. } => Family::Yolox,
        }
    }

    /// Number of classes (`None` for [`HeadLayout::NmsIncluded`], whose
    /// output does not say).
    pub fn classes(&self) -> Option<usize> {
        match self {
            HeadLayout::Darknet { heads } => heads.iter().map(|h| h.num_classes).max(),
            HeadLayout::AnchorFree { classes, .. }
            | HeadLayout::AnchorBased { classes }
            | HeadLayout::Yolox { classes, .. } => Some(*classes),
            HeadLayout::NmsIncluded => None,
        }
    }

    /// `true` when the model did NMS itself (no second NMS must run).
    pub fn has_nms(&self) -> bool {
        matches!(self, HeadLayout::NmsIncluded)
    }

    /// A short name: `darknet`, `anchor-free`, `anchor-based`, `yolox`, `nms-included`.
    pub fn name(&self) -> &'static str {
        match self {
            HeadLayout::Darknet { .. } => "darknet",
            HeadLayout::AnchorFree { .. } => "anchor-free",
            HeadLayout::AnchorBased { .. } => "anchor-based",
            HeadLayout::Yolox { .. } => "yolox",
            HeadLayout::NmsIncluded => "nms-included",
        }
    }

    /// Decodes the model's outputs into candidates whose score is above
    /// `threshold` (appended to `out`), boxes in network-input pixels;
    /// `input = (width, height)`. Never panics; non-finite values are skipped.
    ///
    /// # Errors
    ///
    /// [`Error::Model`] when the outputs do not have this layout's shapes,
    /// [`Error::InvalidParameter`] for a threshold outside `[0, 1]`.
    pub fn decode(
        &self,
        outputs: &[ArrayViewD<'_, f32>],
        input: (u32, u32),
        threshold: f32,
        out: &mut Vec<Candidate>,
    ) -> Result<()> {
        if !(0.0..=1.0).contains(&threshold) {
            return Err(Error::InvalidParameter(format!(
                "confidence threshold {threshold} is outside [0, 1]"
            )));
        }
        if let HeadLayout::Darknet { heads } = self {
            return decode::decode(outputs, heads, input.0, input.1, threshold, out);
        }
        let [output] = outputs else {
            return Err(Error::Model(format!(
                "a {} head has one output, got {}",
                self.name(),
                outputs.len()
            )));
        };
        let rows = Rows::new(output, self)?;
        match self {
            HeadLayout::Darknet { .. } => unreachable!("decoded above"),
            HeadLayout::AnchorFree { .. } => decode_anchor_free(&rows, threshold, out),
            HeadLayout::AnchorBased { .. } => decode_anchor_based(&rows, threshold, out),
            HeadLayout::Yolox { strides, .. } => {
                decode_yolox(&rows, strides, input, threshold, out)?
            }
            HeadLayout::NmsIncluded => decode_nms_included(&rows, threshold, out),
        }
        Ok(())
    }
}

/// A `[1, A, B]` output seen as `n` rows of `width` values (transposed
/// when the rows run along the last axis).
struct Rows<'a> {
    data: std::borrow::Cow<'a, [f32]>,
    n: usize,
    width: usize,
    /// Values of one row are `n` apart (the `[1, 4+C, N]` layout).
    strided: bool,
}

impl<'a> Rows<'a> {
    fn new(output: &'a ArrayViewD<'_, f32>, layout: &HeadLayout) -> Result<Self> {
        let shape = output.shape();
        let &[1, a, b] = shape else {
            return Err(Error::Model(format!(
                "a {} head must be [1, A, B], got {shape:?}",
                layout.name()
            )));
        };
        let (n, width, strided) = match layout {
            HeadLayout::AnchorFree {
                transposed: false, ..
            } => (b, a, true),
            _ => (a, b, false),
        };
        let want = match layout {
            HeadLayout::AnchorFree { classes, .. } => 4 + classes,
            HeadLayout::AnchorBased { classes } | HeadLayout::Yolox { classes, .. } => 5 + classes,
            _ => 6,
        };
        if width != want {
            return Err(Error::Model(format!(
                "a {} head needs {want} values per box, the output {shape:?} has {width}",
                layout.name()
            )));
        }
        let data = match output.as_slice() {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => std::borrow::Cow::Owned(output.iter().copied().collect()),
        };
        Ok(Self {
            data,
            n,
            width,
            strided,
        })
    }

    #[inline]
    fn get(&self, row: usize, k: usize) -> f32 {
        if self.strided {
            self.data[k * self.n + row]
        } else {
            self.data[row * self.width + k]
        }
    }

    /// The best of values `from..width` of a row (first one on ties) and its index.
    #[inline]
    fn best(&self, row: usize, from: usize) -> (usize, f32) {
        let mut best = (0, f32::NEG_INFINITY);
        for k in from..self.width {
            let v = self.get(row, k);
            if v > best.1 {
                best = (k - from, v);
            }
        }
        best
    }

    fn center_box(&self, row: usize) -> BBox {
        BBox::from_center(
            self.get(row, 0),
            self.get(row, 1),
            self.get(row, 2),
            self.get(row, 3),
        )
    }
}

fn above(v: f32, threshold: f32) -> bool {
    v.partial_cmp(&threshold) == Some(Ordering::Greater)
}

fn push(out: &mut Vec<Candidate>, class_id: usize, confidence: f32, bbox: BBox) {
    if bbox.is_finite() && confidence <= 1.0 {
        out.push(Candidate {
            class_id,
            confidence,
            bbox,
        });
    }
}

/// Ultralytics: best class score above the threshold (no objectness).
fn decode_anchor_free(rows: &Rows<'_>, threshold: f32, out: &mut Vec<Candidate>) {
    for i in 0..rows.n {
        let (class_id, score) = rows.best(i, 4);
        if above(score, threshold) {
            push(out, class_id, score, rows.center_box(i));
        }
    }
}

/// YOLOv5: objectness above the threshold, then objectness × best class.
fn decode_anchor_based(rows: &Rows<'_>, threshold: f32, out: &mut Vec<Candidate>) {
    for i in 0..rows.n {
        let obj = rows.get(i, 4);
        if !above(obj, threshold) {
            continue;
        }
        let (class_id, cls) = rows.best(i, 5);
        let score = obj * cls;
        if above(score, threshold) {
            push(out, class_id, score, rows.center_box(i));
        }
    }
}

/// YOLOX: grid decoding (`(t + cell)·stride`, `exp(t)·stride`), score =
/// objectness × best class.
fn decode_yolox(
    rows: &Rows<'_>,
    strides: &[u32],
    (w, h): (u32, u32),
    threshold: f32,
    out: &mut Vec<Candidate>,
) -> Result<()> {
    let total = cells(w, h, strides);
    if total != rows.n {
        return Err(Error::Model(format!(
            "a YOLOX head at {w}×{h} with strides {strides:?} has {total} rows, the output has {}",
            rows.n
        )));
    }
    let mut i = 0;
    for &s in strides {
        let (gw, gh) = ((w / s) as usize, (h / s) as usize);
        let sf = s as f32;
        for row in 0..gh {
            for col in 0..gw {
                let obj = rows.get(i, 4);
                if above(obj, threshold) {
                    let (class_id, cls) = rows.best(i, 5);
                    let score = obj * cls;
                    if above(score, threshold) {
                        let cx = (rows.get(i, 0) + col as f32) * sf;
                        let cy = (rows.get(i, 1) + row as f32) * sf;
                        let bw = rows.get(i, 2).exp() * sf;
                        let bh = rows.get(i, 3).exp() * sf;
                        push(out, class_id, score, BBox::from_center(cx, cy, bw, bh));
                    }
                }
                i += 1;
            }
        }
    }
    Ok(())
}

/// NMS inside: rows above the threshold as they are.
fn decode_nms_included(rows: &Rows<'_>, threshold: f32, out: &mut Vec<Candidate>) {
    for i in 0..rows.n {
        let score = rows.get(i, 4);
        let class = rows.get(i, 5);
        if !above(score, threshold) || !(0.0..1e6).contains(&class) {
            continue;
        }
        let bbox = BBox::new(
            rows.get(i, 0),
            rows.get(i, 1),
            rows.get(i, 2),
            rows.get(i, 3),
        );
        push(out, class as usize, score, bbox);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::ArrayD;
    use proptest::prelude::*;

    fn hints(names: Option<usize>, task: bool) -> LayoutHints {
        LayoutHints {
            darknet_heads: None,
            metadata: ModelMetadata {
                names: names.map(|n| (0..n).map(|i| format!("c{i}")).collect()),
                task: task.then(|| "detect".to_owned()),
                ..Default::default()
            },
        }
    }

    #[test]
    fn layouts_from_shapes() {
        let none = LayoutHints::default();
        let d = |s: &[usize], input, h: &LayoutHints| HeadLayout::detect(&[s.to_vec()], input, h);
        assert_eq!(
            d(&[1, 84, 8400], (640, 640), &hints(Some(80), true)).unwrap(),
            HeadLayout::AnchorFree {
                classes: 80,
                transposed: false
            }
        );
        assert_eq!(
            d(&[1, 6, 8400], (640, 640), &none).unwrap(),
            HeadLayout::AnchorFree {
                classes: 2,
                transposed: false
            }
        );
        assert_eq!(
            d(&[1, 8400, 84], (640, 640), &hints(Some(80), true)).unwrap(),
            HeadLayout::AnchorFree {
                classes: 80,
                transposed: true
            }
        );
        assert_eq!(
            d(&[1, 25200, 85], (640, 640), &none).unwrap(),
            HeadLayout::AnchorBased { classes: 80 }
        );
        // YOLOv5 writes names and stride, no task: still anchor-based.
        assert_eq!(
            d(&[1, 10647, 85], (416, 416), &hints(Some(80), false)).unwrap(),
            HeadLayout::AnchorBased { classes: 80 }
        );
        assert_eq!(
            d(&[1, 3549, 6], (416, 416), &none).unwrap(),
            HeadLayout::Yolox {
                classes: 1,
                strides: vec![8, 16, 32]
            }
        );
        assert_eq!(
            d(&[1, 300, 6], (640, 640), &none).unwrap(),
            HeadLayout::NmsIncluded
        );
        let nms = LayoutHints {
            metadata: ModelMetadata {
                nms: Some(true),
                ..hints(Some(80), true).metadata
            },
            ..Default::default()
        };
        assert_eq!(
            d(&[1, 300, 6], (640, 640), &nms).unwrap(),
            HeadLayout::NmsIncluded
        );
        assert!(d(&[1, 84, 8400], (640, 640), &nms).is_err());
    }

    #[test]
    fn unknown_layouts_name_the_shapes() {
        let none = LayoutHints::default();
        for (shapes, input) in [
            (vec![vec![1, 7, 7]], (640, 640)),
            (vec![vec![1, 84, 8400]], (416, 416)),
            (vec![vec![2, 84, 8400]], (640, 640)),
            (vec![vec![1, 84, 8400], vec![1, 32, 160, 160]], (640, 640)),
            (vec![], (640, 640)),
            (vec![vec![1, 255, 13, 13]], (416, 416)),
        ] {
            let e = HeadLayout::detect(&shapes, input, &none).unwrap_err();
            assert!(matches!(&e, Error::UnknownLayout { shapes: s, .. } if *s == shapes));
            let msg = e.to_string();
            for s in &shapes {
                assert!(msg.contains(&format!("{s:?}")), "{msg}");
            }
        }
        let seg = LayoutHints {
            metadata: ModelMetadata {
                task: Some("segment".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let e = HeadLayout::detect(&[vec![1, 116, 8400]], (640, 640), &seg).unwrap_err();
        assert!(e.to_string().contains("segment"), "{e}");
        // Names that contradict the shape.
        assert!(
            HeadLayout::detect(&[vec![1, 25200, 85]], (640, 640), &hints(Some(3), false)).is_err()
        );
    }

    fn run(
        layout: &HeadLayout,
        shape: &[usize],
        values: Vec<f32>,
        input: (u32, u32),
        t: f32,
    ) -> Vec<Candidate> {
        let raw = ArrayD::from_shape_vec(shape.to_vec(), values).unwrap();
        let mut out = Vec::new();
        layout.decode(&[raw.view()], input, t, &mut out).unwrap();
        out
    }

    #[test]
    fn anchor_free_rows_are_strided() {
        // [1, 4+2, 3]: box 1 is class 1 at 0.9.
        let v = vec![
            10.0, 20.0, 30.0, // cx
            10.0, 20.0, 30.0, // cy
            4.0, 8.0, 2.0, // w
            4.0, 8.0, 2.0, // h
            0.1, 0.2, 0.3, // class 0
            0.2, 0.9, 0.25, // class 1
        ];
        let layout = HeadLayout::AnchorFree {
            classes: 2,
            transposed: false,
        };
        let out = run(&layout, &[1, 6, 3], v, (64, 64), 0.25);
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].class_id, out[0].confidence), (1, 0.9));
        assert_eq!(out[0].bbox, BBox::new(16.0, 16.0, 24.0, 24.0));
        assert_eq!((out[1].class_id, out[1].confidence), (0, 0.3));
    }

    #[test]
    fn anchor_based_multiplies_objectness() {
        let layout = HeadLayout::AnchorBased { classes: 2 };
        let v = vec![
            8.0, 8.0, 4.0, 4.0, 0.9, 0.1, 0.8, // 0.72, class 1
            8.0, 8.0, 4.0, 4.0, 0.2, 1.0, 1.0, // objectness below
        ];
        let out = run(&layout, &[1, 2, 7], v, (32, 32), 0.5);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].class_id, 1);
        assert!((out[0].confidence - 0.72).abs() < 1e-6);
    }

    #[test]
    fn yolox_grid_decoding() {
        // 32×32 input: grids 4×4, 2×2, 1×1 = 21 rows of 6.
        let layout = HeadLayout::Yolox {
            classes: 1,
            strides: vec![8, 16, 32],
        };
        let mut v = vec![0.0; 21 * 6];
        // Row 6 = stride 8, row 1, col 2; row 16 + 3 = stride 16, row 1, col 1.
        for (row, t) in [
            (6usize, [0.5, 0.25, 0.0, 1.0f32.ln(), 0.9, 0.9]),
            (19, [0.0, 0.0, 2.0f32.ln(), 0.0, 0.8, 1.0]),
        ] {
            v[row * 6..row * 6 + 6].copy_from_slice(&t);
        }
        let out = run(&layout, &[1, 21, 6], v, (32, 32), 0.5);
        assert_eq!(out.len(), 2);
        // (2 + 0.5)·8 = 20, (1 + 0.25)·8 = 10, w = 8, h = 8.
        assert_eq!(out[0].bbox, BBox::new(16.0, 6.0, 24.0, 14.0));
        assert!((out[0].confidence - 0.81).abs() < 1e-6);
        // (1 + 0)·16 = 16, w = 32, h = 16.
        assert_eq!(out[1].bbox, BBox::new(0.0, 8.0, 32.0, 24.0));
        let raw = ArrayD::zeros(vec![1, 20, 6]);
        assert!(
            layout
                .decode(&[raw.view()], (32, 32), 0.5, &mut Vec::new())
                .is_err()
        );
    }

    #[test]
    fn nms_included_passes_rows_through() {
        let v = vec![
            1.0, 2.0, 3.0, 4.0, 0.9, 5.0, //
            1.0, 2.0, 3.0, 4.0, 0.1, 1.0, //
            1.0, 2.0, 3.0, 4.0, 0.8, -1.0, // no class
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, // padding row
        ];
        let out = run(&HeadLayout::NmsIncluded, &[1, 4, 6], v, (64, 64), 0.25);
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].class_id, out[0].bbox),
            (5, BBox::new(1.0, 2.0, 3.0, 4.0))
        );
    }

    #[test]
    fn wrong_shapes_and_thresholds_are_errors() {
        let layout = HeadLayout::AnchorFree {
            classes: 80,
            transposed: false,
        };
        for shape in [vec![1, 83, 10], vec![84, 10], vec![2, 84, 10]] {
            let raw = ArrayD::zeros(shape);
            assert!(
                layout
                    .decode(&[raw.view()], (64, 64), 0.5, &mut Vec::new())
                    .is_err()
            );
        }
        let raw = ArrayD::zeros(vec![1, 84, 10]);
        assert!(
            layout
                .decode(&[raw.view()], (64, 64), 1.5, &mut Vec::new())
                .is_err()
        );
        assert!(
            layout
                .decode(&[raw.view(), raw.view()], (64, 64), 0.5, &mut Vec::new())
                .is_err()
        );
    }

    fn value() -> impl Strategy<Value = f32> {
        prop_oneof![
            8 => -2.0f32..2.0,
            1 => -1e4f32..1e4,
            1 => Just(f32::NAN),
            1 => Just(f32::INFINITY),
            1 => Just(f32::NEG_INFINITY),
        ]
    }

    proptest! {
        /// Every layout's decoder, on arbitrary values (NaN and ±inf
        /// included): finite boxes, scores above the threshold and ≤ 1
        /// (the model's probabilities), class ids in range.
        #[test]
        fn decoders_give_finite_boxes_above_threshold(
            values in proptest::collection::vec(value(), 21 * 7),
            threshold in 0.0f32..1.0,
        ) {
            let clamp01 = |v: &f32| if v.is_finite() { v.abs().min(1.0) } else { *v };
            let cases: Vec<(HeadLayout, Vec<usize>, Vec<f32>)> = vec![
                (HeadLayout::AnchorFree { classes: 3, transposed: false }, vec![1, 7, 21],
                    values.iter().enumerate().map(|(i, v)| if i >= 4 * 21 { clamp01(v) } else { *v }).collect()),
                (HeadLayout::AnchorFree { classes: 3, transposed: true }, vec![1, 21, 7],
                    values.iter().enumerate().map(|(i, v)| if i % 7 >= 4 { clamp01(v) } else { *v }).collect()),
                (HeadLayout::AnchorBased { classes: 2 }, vec![1, 21, 7],
                    values.iter().enumerate().map(|(i, v)| if i % 7 >= 4 { clamp01(v) } else { *v }).collect()),
                (HeadLayout::Yolox { classes: 2, strides: vec![8, 16, 32] }, vec![1, 21, 7],
                    values.iter().enumerate().map(|(i, v)| if i % 7 >= 4 { clamp01(v) } else { *v }).collect()),
                (HeadLayout::NmsIncluded, vec![1, 24, 6],
                    values.iter().copied().take(24 * 6).enumerate().map(|(i, v)| if i % 6 == 4 { clamp01(&v) } else { v }).collect()),
            ];
            for (layout, shape, v) in cases {
                let raw = ArrayD::from_shape_vec(shape, v).unwrap();
                let mut out = Vec::new();
                layout.decode(&[raw.view()], (32, 32), threshold, &mut out).unwrap();
                for c in &out {
                    prop_assert!(c.confidence > threshold && c.confidence <= 1.0, "{layout:?}: {c:?}");
                    prop_assert!(c.bbox.is_finite(), "{layout:?}: {c:?}");
                    prop_assert!(c.confidence.is_finite());
                    if let Some(n) = layout.classes() {
                        prop_assert!(c.class_id < n);
                    }
                }
            }
        }
    }
}
