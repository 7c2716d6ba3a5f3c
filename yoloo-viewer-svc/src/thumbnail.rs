//! The gallery thumbnail: the very pixels of the `image` crate's
//! `DynamicImage::thumbnail` (what the viewer has always stored), computed
//! in one pass over the rows instead of pixel by pixel.
//!
//! `image`'s thumbnail gives each output pixel the rounded mean of a block
//! of whole source pixels (block edges at `ceil(k · ratio)`, in `f32`). The
//! block mean is separable: the block's rows are summed column by column,
//! then each output pixel's columns, and divided with the same rounding —
//! several times faster on a phone photo, the same bytes (`tests/annotate.rs` checks it on random
//! sizes). Enlarging (an image under the thumbnail size, where blocks are
//! fractions of a pixel) is left to `image` itself.

use image::{DynamicImage, RgbImage};

/// The thumbnail's size for a `width`×`height` image: scaled to fit
/// `max`×`max`, aspect kept, rounded as `DynamicImage::thumbnail` does.
///
/// ```
/// use yoloo_viewer_svc::thumbnail::thumbnail_size;
/// assert_eq!(thumbnail_size(810, 1080, 480), (360, 480));
/// assert_eq!(thumbnail_size(5000, 1, 480), (480, 1));
/// ```
pub fn thumbnail_size(width: u32, height: u32, max: u32) -> (u32, u32) {
    let ratio = (f64::from(max) / f64::from(width)).min(f64::from(max) / f64::from(height));
    let side = |len: u32| {
        let scaled = (f64::from(len) * ratio).round();
        // In range: `ratio ≤ max / len`, so `scaled ≤ max`.
        (scaled as u32).max(1)
    };
    (side(width), side(height))
}

/// Each output pixel's block of source pixels along one axis,
/// `[start, end)`, as `image`'s thumbnail bounds it.
fn blocks(len: u32, new_len: u32) -> Vec<(usize, usize)> {
    let ratio = len as f32 / new_len as f32;
    (0..new_len)
        .map(|k| {
            let start_f = k as f32 * ratio;
            let end_f = start_f + ratio;
            let start = (start_f.ceil() as u32).min(len - 1);
            let end = (end_f.ceil() as u32).clamp(start, len);
            (start as usize, end as usize)
        })
        .collect()
}

/// `image` at most `max` pixels on its longer side: the same image as
/// `DynamicImage::ImageRgb8(image).thumbnail(max, max)`.
///
/// ```
/// use image::{DynamicImage, RgbImage};
/// use yoloo_viewer_svc::thumbnail::thumbnail;
///
/// let photo = RgbImage::from_fn(810, 1080, |x, y| image::Rgb([x as u8, y as u8, (x ^ y) as u8]));
/// let small = thumbnail(&photo, 480);
/// assert_eq!(small.dimensions(), (360, 480));
/// assert_eq!(small, DynamicImage::ImageRgb8(photo).thumbnail(480, 480).into_rgb8());
/// ```
pub fn thumbnail(image: &RgbImage, max: u32) -> RgbImage {
    let (width, height) = image.dimensions();
    let by_image = || {
        DynamicImage::ImageRgb8(image.clone())
            .thumbnail(max, max)
            .into_rgb8()
    };
    if width == 0 || height == 0 {
        return by_image();
    }
    let (new_width, new_height) = thumbnail_size(width, height, max);
    let columns = blocks(width, new_width);
    let rows = blocks(height, new_height);
    if columns.iter().chain(&rows).any(|(start, end)| start == end) {
        return by_image();
    }
    // Column sums of a block of rows fit a u32 (at most 255 per row).
    if u64::from(height) * 255 > u64::from(u32::MAX) {
        return by_image();
    }
    let stride = width as usize * 3;
    let raw = image.as_raw();
    let mut out = Vec::with_capacity(new_width as usize * new_height as usize * 3);
    let mut columns_sum = vec![0u32; stride];
    for &(top, bottom) in &rows {
        // Down the block's rows first (a straight loop the compiler
        // vectorises), then across each output pixel's columns.
        columns_sum.fill(0);
        for row in raw[top * stride..bottom * stride].chunks_exact(stride) {
            for (sum, &v) in columns_sum.iter_mut().zip(row) {
                *sum += u32::from(v);
            }
        }
        let tall = (bottom - top) as u64;
        for &(left, right) in &columns {
            let n = (right - left) as u64 * tall;
            let mut sum = [0u64; 3];
            for px in columns_sum[left * 3..right * 3].chunks_exact(3) {
                sum[0] += u64::from(px[0]);
                sum[1] += u64::from(px[1]);
                sum[2] += u64::from(px[2]);
            }
            // A mean of u8 values: at most 255.
            out.extend(sum.iter().map(|&s| ((s + n / 2) / n) as u8));
        }
    }
    RgbImage::from_raw(new_width, new_height, out).unwrap_or_else(by_image)
}
