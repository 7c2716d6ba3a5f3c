//! Labelled boxes on images (feature `draw`).
//!
//! [`annotate`] / [`draw_detections`] draw each [`Detection`] as a rectangle
//! outline in its class colour ([`class_color`]) with a caption such as
//! `"dog 0.98"` on a filled background of the same colour, in white or black
//! text, whichever contrasts better. The caption font is DejaVu Sans Bold,
//! embedded in the binary (no font file is needed at run time). Rectangles
//! and text are drawn with `imageproc` (its `text` feature, on `ab_glyph`).
//!
//! Drawing never panics: boxes with non-finite coordinates are skipped, boxes
//! (partly) outside the image are clipped to it, reversed boxes (`x2 < x1`)
//! collapse to a line, and captions are shifted to stay inside the image,
//! shortened with `…` when wider than the image, and clipped when the image
//! is smaller than one line of text. Images wider or taller than 2³⁰ pixels
//! are left unchanged.

use std::borrow::Cow;
use std::sync::LazyLock;

use ab_glyph::{FontRef, PxScale};
use image::{DynamicImage, Rgb, RgbImage};
use imageproc::drawing::{draw_filled_rect_mut, draw_text_mut, text_size};
use imageproc::rect::Rect;

use crate::Detection;

/// The caption font: DejaVu Sans Bold (Regular as a fallback), parsed once.
/// `None` only if neither embedded font parses, in which case captions are
/// not drawn (boxes still are).
static FONT: LazyLock<Option<FontRef<'static>>> = LazyLock::new(|| {
    FontRef::try_from_slice(dejavu::sans::bold())
        .or_else(|_| FontRef::try_from_slice(dejavu::sans::regular()))
        .ok()
});

/// Smallest and largest automatic caption size, in pixels.
const AUTO_FONT_RANGE: (f32, f32) = (12.0, 48.0);
/// Explicit font sizes are clamped to this range (bounds the glyph
/// rasterisation cost and memory).
const FONT_SIZE_LIMITS: (f32, f32) = (1.0, 512.0);
/// Appended to captions shortened to fit the image width.
const ELLIPSIS: &str = "…";
/// Images wider or taller than this are left unchanged: imageproc works in
/// `i32` coordinates (and such an image is gigabytes per row or column).
const MAX_SIDE: u32 = 1 << 30;

/// How [`draw_detections`] draws boxes and captions.
///
/// `None` sizes are derived from the image, so one style suits both a 416×416
/// network input and a 4K photo.
///
/// ```
/// use yoloo_core::draw::DrawStyle;
/// let style = DrawStyle { line_width: Some(4), ..DrawStyle::default() };
/// assert!(style.show_confidence);
/// assert_eq!(style.font_size, None);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DrawStyle {
    /// Box outline width in pixels (`Some(0)` is treated as 1). `None` scales
    /// it with the image: `max(2, round(min(width, height) / 300))`.
    pub line_width: Option<u32>,
    /// Caption font size (pixel height of the em square), clamped to
    /// `1..=512`; non-finite or non-positive values mean automatic. `None`
    /// scales it with the image: `min(width, height) / 35`, clamped to `12..=48`.
    pub font_size: Option<f32>,
    /// Caption with the confidence (`"dog 0.98"`, the [`Detection`]'s
    /// `Display`) when `true`, just the label (`"dog"`) when `false`.
    pub show_confidence: bool,
}

impl Default for DrawStyle {
    /// Automatic line width and font size, confidence shown.
    fn default() -> Self {
        Self {
            line_width: None,
            font_size: None,
            show_confidence: true,
        }
    }
}

impl DrawStyle {
    /// The line width actually used on a `width × height` image (≥ 1).
    fn resolved_line_width(&self, width: u32, height: u32) -> u32 {
        match self.line_width {
            Some(w) => w.max(1),
            None => ((width.min(height) as f32 / 300.0).round() as u32).max(2),
        }
    }

    /// The font size actually used on a `width × height` image, in pixels.
    fn resolved_font_size(&self, width: u32, height: u32) -> f32 {
        match self.font_size {
            Some(s) if s.is_finite() && s > 0.0 => s.clamp(FONT_SIZE_LIMITS.0, FONT_SIZE_LIMITS.1),
            _ => (width.min(height) as f32 / 35.0).clamp(AUTO_FONT_RANGE.0, AUTO_FONT_RANGE.1),
        }
    }
}

/// The colour of class `class_id`: stable across runs and platforms, saturated,
/// and clearly different for neighbouring ids.
///
/// Hues step around the colour wheel by the golden ratio (≈ 222.5°, so
/// consecutive ids land far apart and the wheel fills evenly); saturation
/// and brightness cycle through a few levels so that ids whose hues happen to
/// coincide still differ. Class 0 (`person` in COCO) is red.
///
/// ```
/// use yoloo_core::draw::class_color;
/// assert_eq!(class_color(16), class_color(16));
/// assert_ne!(class_color(0), class_color(1));
/// ```
pub fn class_color(class_id: usize) -> Rgb<u8> {
    const GOLDEN: f64 = 0.618_033_988_749_894_9;
    const SATURATION: [f64; 3] = [0.90, 0.70, 0.80];
    const VALUE: [f64; 4] = [0.95, 0.75, 0.88, 0.65];
    // Reduce first so huge ids stay exact in f64.
    let step = (class_id % 1_000_003) as f64;
    let hue = (step * GOLDEN).fract();
    let s = SATURATION[class_id % SATURATION.len()];
    let v = VALUE[(class_id / SATURATION.len()) % VALUE.len()];
    hsv_to_rgb(hue, s, v)
}

/// HSV (all in `[0, 1]`) to 8-bit RGB.
fn hsv_to_rgb(h: f64, s: f64, v: f64) -> Rgb<u8> {
    let h6 = (h * 6.0).rem_euclid(6.0);
    let sector = h6.floor();
    let f = h6 - sector;
    let p = v * (1.0 - s);
    let q = v * (1.0 - s * f);
    let t = v * (1.0 - s * (1.0 - f));
    let (r, g, b) = match sector as u8 {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    };
    let to_u8 = |c: f64| (c * 255.0).round().clamp(0.0, 255.0) as u8;
    Rgb([to_u8(r), to_u8(g), to_u8(b)])
}

/// White or black, whichever has the higher WCAG contrast ratio against `bg`.
fn text_color(bg: Rgb<u8>) -> Rgb<u8> {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let [r, g, b] = bg.0;
    let lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    // contrast vs black: (L + 0.05) / 0.05; vs white: 1.05 / (L + 0.05).
    if (lum + 0.05) * (lum + 0.05) > 0.05 * 1.05 {
        Rgb([0, 0, 0])
    } else {
        Rgb([255, 255, 255])
    }
}

/// Draws `detections` onto `img`, in place.
///
/// Boxes are drawn in ascending confidence order, then the captions in the
/// same order, so the most confident detection ends up on top and no box
/// line crosses a caption. See the [module docs](self) for how odd inputs
/// (non-finite or out-of-image boxes, tiny images, long labels) are handled;
/// this function never panics.
pub fn draw_detections(img: &mut RgbImage, detections: &[Detection], style: &DrawStyle) {
    let (width, height) = img.dimensions();
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE || detections.is_empty() {
        return;
    }
    let line_width = style.resolved_line_width(width, height);
    let font_size = style.resolved_font_size(width, height);

    let mut order: Vec<(&Detection, PixelBox)> = detections
        .iter()
        .filter_map(|d| PixelBox::from_detection(d, width, height).map(|b| (d, b)))
        .collect();
    order.sort_by(|a, b| a.0.confidence.total_cmp(&b.0.confidence));

    for (d, b) in &order {
        draw_outline(img, b, line_width, class_color(d.class_id));
    }

    let Some(font) = FONT.as_ref() else { return };
    for (d, b) in &order {
        let caption: Cow<'_, str> = if style.show_confidence {
            Cow::Owned(d.to_string())
        } else {
            Cow::Borrowed(&d.label)
        };
        draw_caption(img, font, font_size, b, &caption, class_color(d.class_id));
    }
}

/// Converts `img` to 8-bit RGB and draws `detections` on the copy
/// (see [`draw_detections`]).
///
/// ```
/// use image::DynamicImage;
/// use yoloo_core::draw::{annotate, class_color, DrawStyle};
/// use yoloo_core::{BBox, Detection};
///
/// let photo = DynamicImage::new_rgba8(640, 480);
/// let dog = Detection {
///     class_id: 16,
///     label: "dog".into(),
///     confidence: 0.98,
///     bbox: BBox::new(100.0, 120.0, 400.0, 420.0),
/// };
/// let out = annotate(&photo, &[dog], &DrawStyle::default());
/// assert_eq!(out.dimensions(), (640, 480));
/// // The left edge of the box is in the class colour…
/// assert_eq!(*out.get_pixel(100, 300), class_color(16));
/// // …and the inside of the box is untouched.
/// assert_eq!(out.get_pixel(250, 300).0, [0, 0, 0]);
/// // out.save("dog.png")?;
/// ```
pub fn annotate(img: &DynamicImage, detections: &[Detection], style: &DrawStyle) -> RgbImage {
    let mut out = img.to_rgb8();
    draw_detections(&mut out, detections, style);
    out
}

/// A box in inclusive pixel coordinates, inside the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PixelBox {
    left: u32,
    top: u32,
    right: u32,
    bottom: u32,
}

impl PixelBox {
    /// The pixels covered by the detection's box (pixel `i` spans `[i, i+1)`),
    /// clipped to the image; `None` when the box is non-finite or does not
    /// reach into the image. A reversed or empty box becomes a 1-pixel line.
    fn from_detection(d: &Detection, width: u32, height: u32) -> Option<Self> {
        let b = &d.bbox;
        if !b.is_finite() {
            return None;
        }
        let (w, h) = (width as f32, height as f32);
        let (x1, y1) = (b.x1, b.y1);
        let (x2, y2) = (b.x2.max(x1), b.y2.max(y1));
        if x2 < 0.0 || y2 < 0.0 || x1 >= w || y1 >= h {
            return None;
        }
        // All values are finite and clamped, so the casts are exact-ish and in range.
        let px = |v: f32, size: u32| v.round().clamp(0.0, (size - 1) as f32) as u32;
        let left = px(x1, width);
        let top = px(y1, height);
        let right = px(x2 - 1.0, width).max(left);
        let bottom = px(y2 - 1.0, height).max(top);
        Some(Self {
            left,
            top,
            right,
            bottom,
        })
    }
}

/// Fills the `w × h` rectangle with its top-left corner at `(x, y)`, clipped
/// to the image; draws nothing when the clipped rectangle is empty (an
/// imageproc [`Rect`] cannot be).
fn fill(img: &mut RgbImage, x: u32, y: u32, w: u32, h: u32, color: Rgb<u8>) {
    let (width, height) = img.dimensions();
    let w = w.min(width.saturating_sub(x));
    let h = h.min(height.saturating_sub(y));
    if w == 0 || h == 0 {
        return;
    }
    // x < width and y < height, both <= MAX_SIDE (checked by draw_detections).
    draw_filled_rect_mut(img, Rect::at(x as i32, y as i32).of_size(w, h), color);
}

/// The box outline, `line_width` pixels thick, drawn inward from the box edges
/// (so it never spills outside the box).
fn draw_outline(img: &mut RgbImage, b: &PixelBox, line_width: u32, color: Rgb<u8>) {
    let (w, h) = (b.right - b.left + 1, b.bottom - b.top + 1);
    let (lw_x, lw_y) = (line_width.min(w), line_width.min(h));
    fill(img, b.left, b.top, w, lw_y, color); // top
    fill(img, b.left, b.bottom + 1 - lw_y, w, lw_y, color); // bottom
    fill(img, b.left, b.top, lw_x, h, color); // left
    fill(img, b.right + 1 - lw_x, b.top, lw_x, h, color); // right
}

/// Where a `label_w × label_h` caption goes for box `b` on a `width × height`
/// image: above the box's top-left corner if there is room, otherwise just
/// inside the box's top edge; then shifted left/up to stay inside the image,
/// and pinned to the top-left corner when it is larger than the image.
fn label_origin(b: &PixelBox, label_w: u32, label_h: u32, width: u32, height: u32) -> (u32, u32) {
    let y = if b.top >= label_h {
        b.top - label_h
    } else {
        b.top
    };
    let y = y.min(height.saturating_sub(label_h));
    let x = b.left.min(width.saturating_sub(label_w));
    (x, y)
}

/// `caption`, shortened with a trailing `…` if needed so that it measures at
/// most `max_width` pixels wide by [`text_size`] (just `…` if nothing else fits).
fn fit_caption<'a>(
    font: &FontRef<'_>,
    scale: PxScale,
    caption: &'a str,
    max_width: u32,
) -> Cow<'a, str> {
    // No glyph with a visible advance is narrower than ~0.1 em: cut obviously
    // overlong captions before measuring, bounding the work for huge labels
    // (and keeping imageproc's u32/i32 text arithmetic far from overflowing).
    let max_chars = (max_width as f32 / (scale.x * 0.1)).ceil() as usize + 1;
    let cut = caption
        .char_indices()
        .nth(max_chars)
        .map_or(caption.len(), |(i, _)| i);
    if cut == caption.len() && text_size(scale, font, caption).0 <= max_width {
        return Cow::Borrowed(caption);
    }
    let prefix = &caption[..cut];
    let bounds: Vec<usize> = prefix
        .char_indices()
        .map(|(i, _)| i)
        .chain([prefix.len()])
        .collect();
    let with_ellipsis = |n: usize| format!("{}{ELLIPSIS}", prefix[..bounds[n]].trim_end());
    // Largest n with width(prefix of n chars + "…") <= max_width; n = 0 always "fits".
    let (mut lo, mut hi) = (0, bounds.len() - 1);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if text_size(scale, font, &with_ellipsis(mid)).0 <= max_width {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Cow::Owned(with_ellipsis(lo))
}

/// The caption on its filled background, placed by [`label_origin`].
fn draw_caption(
    img: &mut RgbImage,
    font: &FontRef<'_>,
    font_size: f32,
    b: &PixelBox,
    caption: &str,
    bg: Rgb<u8>,
) {
    if caption.trim().is_empty() {
        return;
    }
    let (width, height) = img.dimensions();
    let scale = PxScale::from(font_size);
    let pad = ((font_size * 0.15).round() as u32).max(1);
    let text = fit_caption(font, scale, caption, width.saturating_sub(2 * pad));
    let (text_w, text_h) = text_size(scale, font, &text);
    let (label_w, label_h) = (
        text_w.saturating_add(2 * pad),
        text_h.saturating_add(2 * pad),
    );
    let (x, y) = label_origin(b, label_w, label_h, width, height);
    fill(img, x, y, label_w, label_h, bg);
    // x < width, y < height (<= MAX_SIDE) and pad <= 77: no overflow.
    let (tx, ty) = ((x + pad) as i32, (y + pad) as i32);
    draw_text_mut(img, text_color(bg), tx, ty, scale, font, &text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BBox;
    use proptest::prelude::*;

    const BLACK: Rgb<u8> = Rgb([0, 0, 0]);

    fn det(class_id: usize, label: &str, confidence: f32, bbox: BBox) -> Detection {
        Detection {
            class_id,
            label: label.into(),
            confidence,
            bbox,
        }
    }

    fn count(
        img: &RgbImage,
        color: Rgb<u8>,
        xs: std::ops::Range<u32>,
        ys: std::ops::Range<u32>,
    ) -> usize {
        ys.flat_map(|y| xs.clone().map(move |x| (x, y)))
            .filter(|&(x, y)| *img.get_pixel(x, y) == color)
            .count()
    }

    fn dist(a: Rgb<u8>, b: Rgb<u8>) -> f64 {
        a.0.iter()
            .zip(b.0)
            .map(|(&x, y)| (f64::from(x) - f64::from(y)).powi(2))
            .sum::<f64>()
            .sqrt()
    }

    fn style(line_width: u32, font_size: f32) -> DrawStyle {
        DrawStyle {
            line_width: Some(line_width),
            font_size: Some(font_size),
            show_confidence: true,
        }
    }

    #[test]
    fn font_is_embedded_and_parses() {
        assert!(FONT.is_some());
    }

    #[test]
    fn box_edges_in_class_colour_and_interior_untouched() {
        let mut img = RgbImage::new(200, 200);
        let d = det(3, "car", 0.9, BBox::new(40.0, 60.0, 160.0, 180.0));
        draw_detections(&mut img, &[d], &style(3, 14.0));
        let c = class_color(3);
        // Every edge, all three pixels of the line width, inward from the box.
        for i in 0..3 {
            assert_eq!(*img.get_pixel(40 + i, 120), c, "left edge");
            assert_eq!(*img.get_pixel(159 - i, 120), c, "right edge");
            assert_eq!(*img.get_pixel(100, 60 + i), c, "top edge");
            assert_eq!(*img.get_pixel(100, 179 - i), c, "bottom edge");
        }
        assert_eq!(*img.get_pixel(43, 120), BLACK, "line is exactly 3 px");
        assert_eq!(
            *img.get_pixel(39, 120),
            BLACK,
            "nothing outside the left edge"
        );
        assert_eq!(
            *img.get_pixel(160, 120),
            BLACK,
            "nothing outside the right edge"
        );
        assert_eq!(*img.get_pixel(100, 180), BLACK, "nothing below the box");
        assert_eq!(
            count(&img, BLACK, 43..157, 63..177),
            114 * 114,
            "interior untouched"
        );
    }

    #[test]
    fn caption_has_background_and_text_above_the_box() {
        let mut img = RgbImage::new(200, 200);
        let d = det(16, "dog", 0.98, BBox::new(50.0, 80.0, 150.0, 150.0));
        draw_detections(&mut img, std::slice::from_ref(&d), &style(2, 20.0));
        let bg = class_color(16);
        let fg = text_color(bg);
        assert_ne!(fg, bg);
        // The caption sits directly above the box, starting at its left edge.
        let above = 50..80;
        assert!(
            count(&img, bg, 50..150, above.clone()) > 200,
            "label background"
        );
        assert!(count(&img, fg, 50..150, above.clone()) > 30, "text pixels");
        assert_eq!(
            count(&img, BLACK, 0..50, 0..200),
            50 * 200,
            "nothing left of the box"
        );
        assert_eq!(
            *img.get_pixel(50, 79),
            bg,
            "background touches the box top-left corner"
        );

        // Without the confidence the caption is narrower.
        let widest = |img: &RgbImage| {
            (50..200)
                .filter(|&x| *img.get_pixel(x, 78) == bg)
                .max()
                .unwrap()
        };
        let mut short = RgbImage::new(200, 200);
        let st = DrawStyle {
            show_confidence: false,
            ..style(2, 20.0)
        };
        draw_detections(&mut short, &[d], &st);
        assert!(
            widest(&short) + 20 < widest(&img),
            "{} vs {}",
            widest(&short),
            widest(&img)
        );
    }

    #[test]
    fn caption_goes_inside_when_no_room_above() {
        let mut img = RgbImage::new(200, 200);
        let d = det(16, "dog", 0.98, BBox::new(50.0, 2.0, 150.0, 150.0));
        draw_detections(&mut img, &[d], &style(2, 20.0));
        let fg = text_color(class_color(16));
        assert!(
            count(&img, fg, 50..150, 2..40) > 30,
            "text inside the box top"
        );
        assert_eq!(
            count(&img, BLACK, 0..200, 0..2),
            400,
            "nothing above the box"
        );
    }

    #[test]
    fn class_colors_are_stable_saturated_and_distinct() {
        let colors: Vec<_> = (0..80).map(class_color).collect();
        assert_eq!(colors, (0..80).map(class_color).collect::<Vec<_>>());
        assert_eq!(
            class_color(0),
            Rgb([242, 24, 24]),
            "pinned: colours must not change between releases"
        );
        for (i, a) in colors.iter().enumerate() {
            let (max, min) = (*a.0.iter().max().unwrap(), *a.0.iter().min().unwrap());
            assert!(max >= 160 && max - min >= 100, "class {i} {a:?} is dull");
            for (j, b) in colors.iter().enumerate().skip(i + 1) {
                let d = dist(*a, *b);
                assert!(d >= 15.0, "classes {i} and {j}: {a:?} vs {b:?} ({d:.1})");
                if j == i + 1 {
                    assert!(
                        d >= 120.0,
                        "adjacent classes {i} and {j}: {a:?} vs {b:?} ({d:.1})"
                    );
                }
            }
        }
        let _ = class_color(usize::MAX);
    }

    #[test]
    fn text_colour_by_luminance() {
        assert_eq!(text_color(Rgb([255, 255, 0])), BLACK);
        assert_eq!(text_color(Rgb([0, 0, 200])), Rgb([255, 255, 255]));
        assert_eq!(text_color(Rgb([255, 255, 255])), BLACK);
        assert_eq!(text_color(BLACK), Rgb([255, 255, 255]));
    }

    #[test]
    fn caption_near_right_and_bottom_edges_stays_whole() {
        let bg = class_color(9);
        let fg = text_color(bg);
        let st = style(1, 16.0);
        // Reference: plenty of room.
        let mut free = RgbImage::new(400, 400);
        draw_detections(
            &mut free,
            &[det(
                9,
                "traffic light",
                0.99,
                BBox::new(150.0, 150.0, 250.0, 250.0),
            )],
            &st,
        );
        let text_px = count(&free, fg, 0..400, 0..400);
        assert!(text_px > 50);
        for bbox in [
            BBox::new(190.0, 190.0, 200.0, 200.0), // bottom-right corner
            BBox::new(195.0, 50.0, 199.0, 100.0),  // right edge
            BBox::new(20.0, 196.0, 80.0, 199.0),   // bottom edge
            BBox::new(199.0, 0.0, 250.0, 30.0),    // top-right, partly outside
        ] {
            let mut img = RgbImage::new(200, 200);
            draw_detections(&mut img, &[det(9, "traffic light", 0.99, bbox)], &st);
            assert_eq!(
                count(&img, fg, 0..200, 0..200),
                text_px,
                "caption clipped for {bbox:?}"
            );
            // The background reaches the image's right edge or bottom edge, not beyond.
            let bg_right = (0..200)
                .rev()
                .find(|&x| (0..200).any(|y| *img.get_pixel(x, y) == bg));
            assert!(bg_right.is_some());
        }
    }

    #[test]
    fn label_origin_cases() {
        let b = PixelBox {
            left: 10,
            top: 50,
            right: 40,
            bottom: 90,
        };
        assert_eq!(label_origin(&b, 30, 20, 200, 200), (10, 30), "above");
        let b = PixelBox {
            left: 10,
            top: 5,
            right: 40,
            bottom: 90,
        };
        assert_eq!(label_origin(&b, 30, 20, 200, 200), (10, 5), "inside");
        let b = PixelBox {
            left: 190,
            top: 195,
            right: 199,
            bottom: 199,
        };
        assert_eq!(label_origin(&b, 30, 20, 200, 200), (170, 175), "shifted");
        assert_eq!(
            label_origin(&b, 300, 250, 200, 200),
            (0, 0),
            "larger than the image"
        );
    }

    #[test]
    fn long_captions_are_shortened_to_fit() {
        let font = FONT.as_ref().unwrap();
        let scale = PxScale::from(16.0);
        assert_eq!(fit_caption(font, scale, "dog 0.98", 200), "dog 0.98");
        let long = "a very long label that cannot possibly fit ".repeat(1000);
        let fitted = fit_caption(font, scale, &long, 150);
        assert!(fitted.ends_with('…') && fitted.len() > 5, "{fitted}");
        assert!(text_size(scale, font, &fitted).0 <= 150);
        assert_eq!(fit_caption(font, scale, "wide", 0), "…");

        let mut img = RgbImage::new(120, 60);
        draw_detections(
            &mut img,
            &[det(1, &long, 0.5, BBox::new(0.0, 0.0, 120.0, 60.0))],
            &DrawStyle::default(),
        );
        assert!(count(&img, text_color(class_color(1)), 0..120, 0..60) > 20);
    }

    #[test]
    fn most_confident_on_top() {
        let bbox = BBox::new(10.0, 40.0, 90.0, 90.0);
        for dets in [
            vec![det(1, "a", 0.9, bbox), det(2, "b", 0.5, bbox)],
            vec![det(2, "b", 0.5, bbox), det(1, "a", 0.9, bbox)],
        ] {
            let mut img = RgbImage::new(100, 100);
            draw_detections(&mut img, &dets, &style(2, 12.0));
            assert_eq!(*img.get_pixel(10, 80), class_color(1));
            assert_eq!(*img.get_pixel(60, 89), class_color(1));
        }
    }

    #[test]
    fn bad_boxes_are_skipped_or_collapsed() {
        let st = style(2, 12.0);
        for bbox in [
            BBox::new(f32::NAN, 0.0, 10.0, 10.0),
            BBox::new(0.0, 0.0, f32::INFINITY, 10.0),
            BBox::new(-50.0, -50.0, -10.0, -10.0),
            BBox::new(300.0, 10.0, 400.0, 20.0),
            BBox::new(1e30, 1e30, 2e30, 2e30),
        ] {
            let mut img = RgbImage::new(100, 100);
            draw_detections(&mut img, &[det(0, "x", 0.5, bbox)], &st);
            assert_eq!(
                count(&img, BLACK, 0..100, 0..100),
                100 * 100,
                "{bbox:?} drew something"
            );
        }
        // Huge but overlapping: clipped to the whole image border.
        let mut img = RgbImage::new(100, 100);
        draw_detections(
            &mut img,
            &[det(0, "", 0.5, BBox::new(-1e30, -1e30, 1e30, 1e30))],
            &st,
        );
        assert_eq!(*img.get_pixel(0, 50), class_color(0));
        assert_eq!(*img.get_pixel(99, 50), class_color(0));
        assert_eq!(*img.get_pixel(50, 50), BLACK);
        // Reversed (x2 < x1): at most a one-pixel vertical line.
        let mut img = RgbImage::new(100, 100);
        let st = DrawStyle {
            show_confidence: false,
            ..st
        };
        draw_detections(
            &mut img,
            &[det(0, "", 0.5, BBox::new(50.0, 20.0, 40.0, 80.0))],
            &st,
        );
        let changed: Vec<_> = img
            .enumerate_pixels()
            .filter(|p| *p.2 != BLACK)
            .map(|p| p.0)
            .collect();
        assert!(!changed.is_empty());
        assert!(changed.iter().all(|&x| x == 50), "{changed:?}");
    }

    #[test]
    fn tiny_images() {
        for (w, h) in [(0, 0), (0, 10), (10, 0), (1, 1), (2, 3)] {
            let mut img = RgbImage::new(w, h);
            let d = det(5, "bus", 0.7, BBox::new(0.0, 0.0, 1.0, 1.0));
            draw_detections(&mut img, &[d], &DrawStyle::default());
            if (w, h) == (1, 1) {
                assert_ne!(*img.get_pixel(0, 0), BLACK);
            }
        }
    }

    #[test]
    fn annotate_converts_to_rgb() {
        let gray =
            DynamicImage::ImageLuma8(image::GrayImage::from_pixel(50, 40, image::Luma([100])));
        let out = annotate(&gray, &[], &DrawStyle::default());
        assert_eq!(out.dimensions(), (50, 40));
        assert_eq!(*out.get_pixel(3, 3), Rgb([100, 100, 100]));
    }

    /// Renders a sample to `$YOLOO_DRAW_PNG` for eyeballing:
    /// `YOLOO_DRAW_PNG=/tmp/draw.png cargo test … draw::tests::render_sample -- --ignored`
    /// (`YOLOO_DRAW_FONT_SIZE=32` for a larger caption).
    #[test]
    #[ignore = "writes a PNG for visual inspection"]
    fn render_sample() {
        let path = std::env::var("YOLOO_DRAW_PNG").unwrap_or_else(|_| "/tmp/yoloo-draw.png".into());
        let mut img = RgbImage::from_fn(640, 400, |x, y| {
            Rgb([(x * 255 / 640) as u8, (y * 255 / 400) as u8, 128])
        });
        let dets = [
            det(16, "dog", 0.98, BBox::new(60.0, 120.0, 300.0, 380.0)),
            det(1, "bicycle", 0.91, BBox::new(120.0, 80.0, 520.0, 330.0)),
            det(7, "truck", 0.62, BBox::new(450.0, 40.0, 630.0, 140.0)),
            det(0, "person", 0.55, BBox::new(560.0, 300.0, 700.0, 420.0)),
            det(9, "traffic light", 0.40, BBox::new(5.0, 2.0, 40.0, 90.0)),
            det(
                58,
                "potted plant — ünïcödé ✓",
                0.33,
                BBox::new(320.0, 200.0, 420.0, 260.0),
            ),
        ];
        let font_size = std::env::var("YOLOO_DRAW_FONT_SIZE")
            .ok()
            .and_then(|s| s.parse().ok());
        draw_detections(
            &mut img,
            &dets,
            &DrawStyle {
                font_size,
                ..DrawStyle::default()
            },
        );
        img.save(&path).unwrap();
    }

    fn detection_strategy() -> impl Strategy<Value = Detection> {
        let coord = prop_oneof![proptest::num::f32::ANY, -50.0f32..250.0];
        (
            any::<usize>(),
            prop_oneof![any::<String>(), "[a-z ]{0,20}"],
            proptest::num::f32::ANY,
            [coord.clone(), coord.clone(), coord.clone(), coord],
        )
            .prop_map(
                |(class_id, label, confidence, [x1, y1, x2, y2])| Detection {
                    class_id,
                    label,
                    confidence,
                    bbox: BBox::new(x1, y1, x2, y2),
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn never_panics(
            w in 0u32..200,
            h in 0u32..200,
            dets in proptest::collection::vec(detection_strategy(), 0..8),
            line_width in proptest::option::of(0u32..=u32::MAX),
            font_size in proptest::option::of(proptest::num::f32::ANY),
            show_confidence in any::<bool>(),
        ) {
            let mut img = RgbImage::new(w, h);
            let style = DrawStyle { line_width, font_size, show_confidence };
            draw_detections(&mut img, &dets, &style);
            prop_assert_eq!(img.dimensions(), (w, h));
            // Nothing is drawn for boxes that are all non-finite.
            if dets.iter().all(|d| !d.bbox.is_finite()) {
                prop_assert!(img.pixels().all(|p| *p == BLACK));
            }
        }

        #[test]
        fn annotate_never_panics(
            w in 0u32..64,
            h in 0u32..64,
            dets in proptest::collection::vec(detection_strategy(), 0..4),
        ) {
            let img = DynamicImage::new_rgba16(w, h);
            let out = annotate(&img, &dets, &DrawStyle::default());
            prop_assert_eq!(out.dimensions(), (w, h));
        }
    }
}
