//! Non-maximum suppression: keep the best of each cluster of overlapping boxes.
//!
//! Greedy, as in Darknet and OpenCV's `NMSBoxes`: candidates are visited from
//! the most confident down, and one is dropped when its IoU with an already
//! kept box (of the same class, unless `agnostic`) is **above** the
//! threshold. Ties in confidence keep their input order, so the result is
//! deterministic.

use crate::decode::Candidate;

/// NMS settings.
///
/// ```
/// use yoloo_core::nms::NmsConfig;
/// let cfg = NmsConfig { agnostic: true, ..NmsConfig::default() };
/// assert_eq!(cfg.iou_threshold, 0.4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NmsConfig {
    /// A box is suppressed when its IoU with a kept one is above this (default 0.4).
    pub iou_threshold: f32,
    /// Suppress across classes (what the original OpenCV app did) instead of
    /// per class (the default, as Darknet does).
    pub agnostic: bool,
    /// At most this many boxes are kept (default 100).
    pub max_detections: usize,
}

impl Default for NmsConfig {
    fn default() -> Self {
        Self {
            iou_threshold: 0.4,
            agnostic: false,
            max_detections: 100,
        }
    }
}

/// Runs NMS and returns the kept candidates, most confident first.
///
/// ```
/// use yoloo_core::{BBox, decode::Candidate, nms::{nms, NmsConfig}};
/// let c = |class_id, confidence, x| Candidate { class_id, confidence, bbox: BBox::new(x, 0.0, x + 10.0, 10.0) };
/// let kept = nms(&[c(0, 0.6, 1.0), c(0, 0.9, 0.0), c(1, 0.8, 0.0)], &NmsConfig::default());
/// // the 0.6 box overlaps the 0.9 one of its class; the class-1 box survives per-class NMS
/// assert_eq!(kept.iter().map(|k| k.confidence).collect::<Vec<_>>(), vec![0.9, 0.8]);
/// let kept = nms(&[c(0, 0.6, 1.0), c(0, 0.9, 0.0), c(1, 0.8, 0.0)], &NmsConfig { agnostic: true, ..Default::default() });
/// assert_eq!(kept.len(), 1);
/// ```
pub fn nms(candidates: &[Candidate], config: &NmsConfig) -> Vec<Candidate> {
    let mut order: Vec<usize> = (0..candidates.len())
        .filter(|&i| !candidates[i].confidence.is_nan())
        .collect();
    // Stable: equal confidences keep input order.
    order.sort_by(|&a, &b| {
        candidates[b]
            .confidence
            .total_cmp(&candidates[a].confidence)
    });

    let mut kept: Vec<Candidate> = Vec::new();
    for i in order {
        if kept.len() >= config.max_detections {
            break;
        }
        let c = &candidates[i];
        let suppressed = kept.iter().any(|k| {
            (config.agnostic || k.class_id == c.class_id)
                && k.bbox.iou(&c.bbox) > config.iou_threshold
        });
        if !suppressed {
            kept.push(*c);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BBox;
    use proptest::prelude::*;

    fn candidate() -> impl Strategy<Value = Candidate> {
        (
            0usize..3,
            0.0f32..1.0,
            0.0f32..100.0,
            0.0f32..100.0,
            0.0f32..60.0,
            0.0f32..60.0,
        )
            .prop_map(|(class_id, confidence, x, y, w, h)| Candidate {
                class_id,
                confidence,
                bbox: BBox::new(x, y, x + w, y + h),
            })
    }

    fn config() -> impl Strategy<Value = NmsConfig> {
        (0.0f32..1.0, any::<bool>(), 0usize..50).prop_map(
            |(iou_threshold, agnostic, max_detections)| NmsConfig {
                iou_threshold,
                agnostic,
                max_detections,
            },
        )
    }

    #[test]
    fn identical_confidences_are_deterministic() {
        let c = |x: f32| Candidate {
            class_id: 0,
            confidence: 0.5,
            bbox: BBox::new(x, 0.0, x + 10.0, 10.0),
        };
        let kept = nms(&[c(0.0), c(1.0), c(50.0)], &NmsConfig::default());
        assert_eq!(kept, vec![c(0.0), c(50.0)]);
    }

    #[test]
    fn iou_equal_to_threshold_is_kept() {
        // IoU of these two is exactly 0.5: only IoU *above* the threshold suppresses.
        let a = Candidate {
            class_id: 0,
            confidence: 0.9,
            bbox: BBox::new(0.0, 0.0, 10.0, 10.0),
        };
        let b = Candidate {
            class_id: 0,
            confidence: 0.8,
            bbox: BBox::new(0.0, 0.0, 10.0, 5.0),
        };
        let cfg = NmsConfig {
            iou_threshold: 0.5,
            ..Default::default()
        };
        assert_eq!(nms(&[a, b], &cfg).len(), 2);
        let cfg = NmsConfig {
            iou_threshold: 0.49,
            ..Default::default()
        };
        assert_eq!(nms(&[a, b], &cfg).len(), 1);
    }

    proptest! {
        #[test]
        fn kept_is_a_sorted_subset_without_overlaps(
            cands in proptest::collection::vec(candidate(), 0..60),
            cfg in config(),
        ) {
            let kept = nms(&cands, &cfg);
            prop_assert!(kept.len() <= cfg.max_detections);
            for k in &kept {
                prop_assert!(cands.contains(k));
            }
            for w in kept.windows(2) {
                prop_assert!(w[0].confidence >= w[1].confidence);
            }
            for (i, a) in kept.iter().enumerate() {
                for b in &kept[i + 1..] {
                    if cfg.agnostic || a.class_id == b.class_id {
                        prop_assert!(a.bbox.iou(&b.bbox) <= cfg.iou_threshold);
                    }
                }
            }
            // The most confident candidate is always kept (when anything may be).
            if cfg.max_detections > 0 && !cands.is_empty() {
                let top = cands.iter().map(|c| c.confidence).fold(f32::MIN, f32::max);
                prop_assert_eq!(kept[0].confidence, top);
            }
        }

        #[test]
        fn idempotent(cands in proptest::collection::vec(candidate(), 0..60), cfg in config()) {
            let once = nms(&cands, &cfg);
            prop_assert_eq!(nms(&once, &cfg), once);
        }

        #[test]
        fn iou_symmetric_and_bounded(a in candidate(), b in candidate()) {
            let (x, y) = (a.bbox.iou(&b.bbox), b.bbox.iou(&a.bbox));
            prop_assert_eq!(x, y);
            prop_assert!((0.0..=1.0).contains(&x));
        }

        #[test]
        fn iou_bounded_for_any_floats(
            v in proptest::array::uniform8(proptest::num::f32::ANY)
        ) {
            let a = BBox::new(v[0], v[1], v[2], v[3]);
            let b = BBox::new(v[4], v[5], v[6], v[7]);
            let x = a.iou(&b);
            prop_assert!((0.0..=1.0).contains(&x));
        }
    }
}
