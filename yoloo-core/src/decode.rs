//! Decoding YOLOv3 heads: raw network outputs → scored boxes ([`Candidate`]s).
//!
//! A YOLO head is a tensor `[1, A·(5+C), H, W]` (or `[A·(5+C), H, W]`): for
//! each of its `A` anchors and each grid cell, `tx, ty, tw, th, objectness`
//! and `C` class logits. As in Darknet and OpenCV:
//!
//! ```text
//! cx = (col + sigmoid(tx)) / W          (× input width for pixels)
//! cy = (row + sigmoid(ty)) / H
//! w  = exp(tw) · anchor_w / input_w
//! h  = exp(th) · anchor_h / input_h
//! score(c) = sigmoid(objectness) · sigmoid(class_c)
//! ```
//!
//! YOLOv4 heads may scale the centre offsets (`scale_x_y = s`:
//! `s·sigmoid(tx) − (s − 1)/2`), and scaled-YOLOv4 heads (`new_coords=1`)
//! hold probabilities already, with `w = (2·tw)² · anchor_w`.
//!
//! Each anchor of each cell yields at most one candidate: its best class,
//! kept when that score is above the threshold (what OpenCV-based YOLO code
//! does). Anchors come from the model's `[yolo]` sections, never from
//! constants.

use ndarray::ArrayViewD;

use crate::{BBox, Error, Result};

/// One YOLO output head: its anchors (in network-input pixels) and class count.
///
/// ```
/// use yoloo_core::decode::YoloHead;
/// // yolov3-tiny's 13×13 head: mask = 3,4,5 of its six anchors
/// let head = YoloHead::new(vec![(81.0, 82.0), (135.0, 169.0), (344.0, 319.0)], 80);
/// assert_eq!(head.channels(), 255);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct YoloHead {
    /// `(width, height)` of each anchor of this head, in network-input pixels.
    pub anchors: Vec<(f32, f32)>,
    /// Number of classes.
    pub num_classes: usize,
    /// Darknet's `scale_x_y` (1.0 for YOLOv3; YOLOv4 uses 1.05–1.2).
    pub scale_x_y: f32,
    /// Darknet's `new_coords=1` (scaled YOLOv4, e.g. yolov4-csp): the
    /// tensor holds probabilities already (the convolution before the head
    /// is `logistic`), and box sizes are `(2·t)²·anchor` instead of
    /// `exp(t)·anchor`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub new_coords: bool,
}

impl YoloHead {
    /// A head with `scale_x_y = 1`.
    pub fn new(anchors: Vec<(f32, f32)>, num_classes: usize) -> Self {
        Self {
            anchors,
            num_classes,
            scale_x_y: 1.0,
            new_coords: false,
        }
    }

    /// Channels this head's tensor must have: `anchors × (5 + classes)`.
    pub fn channels(&self) -> usize {
        self.anchors.len() * (5 + self.num_classes)
    }
}

/// A decoded, not yet suppressed, detection; its box is in network-input pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Best class.
    pub class_id: usize,
    /// `sigmoid(objectness) × sigmoid(class logit)` of the best class.
    pub confidence: f32,
    /// Box in network-input pixels.
    pub bbox: BBox,
}

/// A value that is a probability already (`new_coords` heads), kept in `[0, 1]`.
#[inline]
fn probability(x: f32) -> f32 {
    x.clamp(0.0, 1.0)
}

#[inline]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// The logit whose sigmoid is `p`, for comparing raw values against a threshold.
#[inline]
fn logit(p: f32) -> f32 {
    (p / (1.0 - p)).ln()
}

/// Decodes every head and appends the candidates whose score is above
/// `threshold` to `out` (which is not cleared).
///
/// `input_width`/`input_height` are the network's input size in pixels.
/// Fails when a tensor's shape does not fit its head; never panics.
///
/// ```
/// use ndarray::ArrayD;
/// use yoloo_core::decode::{decode, YoloHead};
/// let head = YoloHead::new(vec![(10.0, 10.0)], 1);
/// // one anchor, one class, a 1×1 grid: tx ty tw th obj cls
/// let raw = ArrayD::from_shape_vec(vec![1, 6, 1, 1], vec![0.0, 0.0, 0.0, 0.0, 5.0, 5.0]).unwrap();
/// let mut out = Vec::new();
/// decode(&[raw.view()], &[head], 32, 32, 0.5, &mut out).unwrap();
/// assert_eq!(out.len(), 1);
/// assert_eq!(out[0].bbox, yoloo_core::BBox::new(11.0, 11.0, 21.0, 21.0));
/// ```
pub fn decode(
    outputs: &[ArrayViewD<'_, f32>],
    heads: &[YoloHead],
    input_width: u32,
    input_height: u32,
    threshold: f32,
    out: &mut Vec<Candidate>,
) -> Result<()> {
    if outputs.len() != heads.len() {
        return Err(Error::Model(format!(
            "the model has {} outputs but {} YOLO heads are described",
            outputs.len(),
            heads.len()
        )));
    }
    for (output, head) in outputs.iter().zip(heads) {
        decode_head(output, head, input_width, input_height, threshold, out)?;
    }
    Ok(())
}

/// Decodes one head; see [`decode`].
pub fn decode_head(
    output: &ArrayViewD<'_, f32>,
    head: &YoloHead,
    input_width: u32,
    input_height: u32,
    threshold: f32,
    out: &mut Vec<Candidate>,
) -> Result<()> {
    let shape = output.shape();
    let (c, h, w) = match *shape {
        [1, c, h, w] | [c, h, w] => (c, h, w),
        _ => {
            return Err(Error::Model(format!(
                "a YOLO head must be [1, C, H, W], got {shape:?}"
            )));
        }
    };
    if c != head.channels() || head.anchors.is_empty() {
        return Err(Error::Model(format!(
            "a YOLO head with {} anchors and {} classes needs {} channels, the tensor has {c}",
            head.anchors.len(),
            head.num_classes,
            head.channels()
        )));
    }
    if !(0.0..=1.0).contains(&threshold) {
        return Err(Error::InvalidParameter(format!(
            "confidence threshold {threshold} is outside [0, 1]"
        )));
    }
    if h == 0 || w == 0 {
        return Ok(());
    }
    let owned;
    let data: &[f32] = match output.as_slice() {
        Some(s) => s,
        None => {
            owned = output.iter().copied().collect::<Vec<f32>>();
            &owned
        }
    };
    let plane = h * w;
    let per_anchor = 5 + head.num_classes;
    let (in_w, in_h) = (input_width as f32, input_height as f32);
    let (cell_w, cell_h) = (in_w / w as f32, in_h / h as f32);
    let scale = head.scale_x_y;
    let shift = (scale - 1.0) / 2.0;
    // score = obj·cls ≤ obj: skip a cell at once when objectness alone
    // cannot pass (the common case, and a cheap compare). With raw logits,
    // compare the logit against logit(threshold).
    let act: fn(f32) -> f32 = if head.new_coords {
        probability
    } else {
        sigmoid
    };
    let obj_cut = if threshold <= 0.0 {
        f32::NEG_INFINITY
    } else if head.new_coords {
        threshold
    } else {
        logit(threshold)
    };

    for (a, &(anchor_w, anchor_h)) in head.anchors.iter().enumerate() {
        let base = a * per_anchor * plane;
        let channel = |k: usize| &data[base + k * plane..base + (k + 1) * plane];
        let objectness = channel(4);
        for (cell, &obj_raw) in objectness.iter().enumerate() {
            // Written so that NaN is skipped too.
            if obj_raw.partial_cmp(&obj_cut) != Some(std::cmp::Ordering::Greater) {
                continue;
            }
            let mut best = 0;
            let mut best_raw = f32::NEG_INFINITY;
            for k in 0..head.num_classes {
                let v = data[base + (5 + k) * plane + cell];
                if v > best_raw {
                    best_raw = v;
                    best = k;
                }
            }
            let confidence = act(obj_raw) * act(best_raw);
            if confidence.partial_cmp(&threshold) != Some(std::cmp::Ordering::Greater) {
                continue;
            }
            let (row, col) = (cell / w, cell % w);
            let sx = act(channel(0)[cell]) * scale - shift;
            let sy = act(channel(1)[cell]) * scale - shift;
            let cx = (col as f32 + sx) * cell_w;
            let cy = (row as f32 + sy) * cell_h;
            let (tw, th) = (channel(2)[cell], channel(3)[cell]);
            let (bw, bh) = if head.new_coords {
                (4.0 * tw * tw * anchor_w, 4.0 * th * th * anchor_h)
            } else {
                (tw.exp() * anchor_w, th.exp() * anchor_h)
            };
            let bbox = BBox::from_center(cx, cy, bw, bh);
            if !bbox.is_finite() {
                continue;
            }
            out.push(Candidate {
                class_id: best,
                confidence,
                bbox,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::ArrayD;
    use proptest::prelude::*;

    fn head() -> YoloHead {
        YoloHead::new(vec![(10.0, 14.0), (23.0, 27.0)], 3)
    }

    #[test]
    fn picks_best_class_and_places_box_in_its_cell() {
        let h = head();
        let mut raw = ArrayD::<f32>::from_elem(vec![1, h.channels(), 2, 2], -10.0);
        // anchor 1, cell (row 1, col 0): centred offsets, w/h = anchor, class 2.
        let per = 8;
        for (k, v) in [
            (0, 0.0),
            (1, 0.0),
            (2, 0.0),
            (3, 0.0),
            (4, 4.0),
            (7, 3.0),
            (6, 1.0),
        ] {
            raw[[0, per + k, 1, 0]] = v;
        }
        let mut out = Vec::new();
        decode(&[raw.view()], &[h], 64, 64, 0.5, &mut out).unwrap();
        assert_eq!(out.len(), 1);
        let c = out[0];
        assert_eq!(c.class_id, 2);
        let expected = (1.0 / (1.0 + (-4.0f32).exp())) * (1.0 / (1.0 + (-3.0f32).exp()));
        assert!((c.confidence - expected).abs() < 1e-6);
        // cell is 32 px; centre at (0.5·32, 1.5·32)
        let want = BBox::from_center(16.0, 48.0, 23.0, 27.0);
        assert!((c.bbox.x1 - want.x1).abs() < 1e-4 && (c.bbox.y2 - want.y2).abs() < 1e-4);
    }

    #[test]
    fn scale_x_y_and_new_coords() {
        // One anchor (10×20), one class, a 2×2 grid on a 64×64 input.
        let mut head = YoloHead::new(vec![(10.0, 20.0)], 1);
        head.scale_x_y = 2.0;
        let mut raw = ArrayD::<f32>::from_elem(vec![1, 6, 2, 2], 0.0);
        // Cell (row 0, col 1).
        for (k, v) in [(0, 0.0), (1, 0.0), (2, 0.0), (3, 0.0), (4, 5.0), (5, 5.0)] {
            raw[[0, k, 0, 1]] = v;
        }
        let mut out = Vec::new();
        decode(
            &[raw.view()],
            std::slice::from_ref(&head),
            64,
            64,
            0.5,
            &mut out,
        )
        .unwrap();
        // sigmoid(0)·2 − 0.5 = 0.5: the centre of the cell, as without scaling.
        assert_eq!(out[0].bbox, BBox::from_center(48.0, 16.0, 10.0, 20.0));

        // new_coords: values are probabilities; x = (col + 2·0.75 − 0.5)·32,
        // w = (2·0.5)²·10, score = 0.9·0.8.
        head.new_coords = true;
        for (k, v) in [(0, 0.75), (1, 0.25), (2, 0.5), (3, 1.0), (4, 0.9), (5, 0.8)] {
            raw[[0, k, 0, 1]] = v;
        }
        let mut out = Vec::new();
        decode(&[raw.view()], &[head], 64, 64, 0.5, &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert!((out[0].confidence - 0.72).abs() < 1e-6);
        assert_eq!(out[0].bbox, BBox::from_center(64.0, 0.0, 10.0, 80.0));
    }

    #[test]
    fn wrong_shapes_are_errors() {
        let raw = ArrayD::<f32>::zeros(vec![1, 7, 2, 2]);
        assert!(decode(&[raw.view()], &[head()], 64, 64, 0.5, &mut Vec::new()).is_err());
        let raw = ArrayD::<f32>::zeros(vec![16, 2]);
        assert!(decode(&[raw.view()], &[head()], 64, 64, 0.5, &mut Vec::new()).is_err());
        assert!(decode(&[], &[head()], 64, 64, 0.5, &mut Vec::new()).is_err());
    }

    #[test]
    fn non_standard_layout_decodes_like_standard() {
        let h = head();
        let raw = ArrayD::from_shape_fn(vec![1, 2, 2, h.channels()], |ix| {
            ((ix[1] * 7 + ix[2] * 3 + ix[3]) % 11) as f32 - 3.0
        });
        let permuted = raw.view().permuted_axes(vec![0, 3, 1, 2]);
        let standard = permuted.as_standard_layout().into_owned();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        decode(
            &[permuted.view()],
            std::slice::from_ref(&h),
            64,
            64,
            0.3,
            &mut a,
        )
        .unwrap();
        decode(&[standard.view()], &[h], 64, 64, 0.3, &mut b).unwrap();
        assert!(!a.is_empty());
        assert_eq!(a, b);
    }

    proptest! {
        #[test]
        fn finite_and_above_threshold(
            values in proptest::collection::vec(prop_oneof![
                -20.0f32..20.0, Just(f32::NAN), Just(f32::INFINITY), Just(f32::NEG_INFINITY), Just(100.0f32)
            ], 2 * 8 * 3 * 2),
            threshold in 0.0f32..1.0,
            new_coords in any::<bool>(),
            scale_x_y in prop_oneof![Just(1.0f32), 1.0f32..2.0],
        ) {
            let mut h = head();
            h.new_coords = new_coords;
            h.scale_x_y = scale_x_y;
            let raw = ArrayD::from_shape_vec(vec![1, 16, 3, 2], values).unwrap();
            let mut out = Vec::new();
            decode(&[raw.view()], &[h], 96, 64, threshold, &mut out).unwrap();
            for c in &out {
                prop_assert!(c.confidence > threshold && c.confidence <= 1.0);
                prop_assert!(c.bbox.is_finite());
                prop_assert!(c.class_id < 3);
            }
        }
    }
}
