//! Axis-aligned boxes in pixel coordinates and their geometry (area, IoU).

/// An axis-aligned box: `(x1, y1)` is the top-left corner, `(x2, y2)` the
/// bottom-right one, in pixels of whatever image the box refers to.
///
/// A box with `x2 < x1` or `y2 < y1` is *degenerate*: its area is 0 and it
/// overlaps nothing.
///
/// ```
/// use yoloo_core::BBox;
/// let a = BBox::new(0.0, 0.0, 10.0, 10.0);
/// let b = BBox::new(5.0, 0.0, 15.0, 10.0);
/// assert_eq!(a.area(), 100.0);
/// assert!((a.iou(&b) - 1.0 / 3.0).abs() < 1e-6);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BBox {
    /// Left edge.
    pub x1: f32,
    /// Top edge.
    pub y1: f32,
    /// Right edge.
    pub x2: f32,
    /// Bottom edge.
    pub y2: f32,
}

impl BBox {
    /// A box from its corners.
    pub const fn new(x1: f32, y1: f32, x2: f32, y2: f32) -> Self {
        Self { x1, y1, x2, y2 }
    }

    /// A box from its centre and size.
    ///
    /// ```
    /// use yoloo_core::BBox;
    /// assert_eq!(BBox::from_center(5.0, 5.0, 4.0, 2.0), BBox::new(3.0, 4.0, 7.0, 6.0));
    /// ```
    pub fn from_center(cx: f32, cy: f32, w: f32, h: f32) -> Self {
        Self::new(cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0)
    }

    /// Width, never negative (0 for a degenerate or non-finite box).
    pub fn width(&self) -> f32 {
        let w = self.x2 - self.x1;
        if w > 0.0 { w } else { 0.0 }
    }

    /// Height, never negative (0 for a degenerate or non-finite box).
    pub fn height(&self) -> f32 {
        let h = self.y2 - self.y1;
        if h > 0.0 { h } else { 0.0 }
    }

    /// Area, never negative.
    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }

    /// Area of the intersection with `other`.
    pub fn intersection(&self, other: &BBox) -> f32 {
        let w = self.x2.min(other.x2) - self.x1.max(other.x1);
        let h = self.y2.min(other.y2) - self.y1.max(other.y1);
        if w > 0.0 && h > 0.0 { w * h } else { 0.0 }
    }

    /// Intersection over union, always in `[0, 1]`; 0 when either box is empty
    /// or not finite.
    pub fn iou(&self, other: &BBox) -> f32 {
        let inter = self.intersection(other);
        if inter <= 0.0 {
            return 0.0;
        }
        let union = self.area() + other.area() - inter;
        let iou = inter / union;
        // Non-finite boxes can give NaN; they overlap nothing.
        if iou >= 0.0 { iou.min(1.0) } else { 0.0 }
    }

    /// The box clipped to `[0, width] × [0, height]`.
    ///
    /// ```
    /// use yoloo_core::BBox;
    /// let b = BBox::new(-5.0, 2.0, 120.0, 30.0).clamp(100.0, 20.0);
    /// assert_eq!(b, BBox::new(0.0, 2.0, 100.0, 20.0));
    /// ```
    pub fn clamp(&self, width: f32, height: f32) -> Self {
        Self::new(
            self.x1.clamp(0.0, width),
            self.y1.clamp(0.0, height),
            self.x2.clamp(0.0, width),
            self.y2.clamp(0.0, height),
        )
    }

    /// `true` when all four coordinates are finite numbers.
    pub fn is_finite(&self) -> bool {
        self.x1.is_finite() && self.y1.is_finite() && self.x2.is_finite() && self.y2.is_finite()
    }
}
