//! From a decoded image to the network input: an NCHW `f32` tensor, RGB
//! planes, values in `[0, 1]`, plus the [`Transform`] that maps boxes between
//! network-input pixels and original-image pixels.
//!
//! Two ways of fitting the image to the network input size ([`ResizeMode`]):
//!
//! * [`ResizeMode::Stretch`] (the default) resizes the whole image to the
//!   network size, ignoring the aspect ratio. This is what OpenCV's
//!   `cv2.dnn.blobFromImage(img, 1/255, (W, H), swapRB=True, crop=False)` does,
//!   and what detections are compared against.
//! * [`ResizeMode::Letterbox`] keeps the aspect ratio and pads with grey
//!   (0.5), placing the image in the centre, like Darknet's `letterbox_image`.
//!
//! Resizing is bilinear on 8-bit pixels, bit-exact with OpenCV's
//! `INTER_LINEAR` (see [`crate::resize`] for why and how), then scaled by 1/255.
//! Darknet itself resizes with a corner-aligned bilinear filter in `f32`; the
//! letterbox here uses the OpenCV filter too, only the geometry is Darknet's.
//!
//! Any [`DynamicImage`] is accepted. 8-bit grey, grey+alpha, RGB and RGBA are
//! resized directly from their own buffers (grey gives three equal planes);
//! other pixel types are first converted to 8-bit RGB. An alpha channel is
//! ignored (not composited), as OpenCV's `imread` does.
//!
//! For repeated calls, a [`Preprocessor`] keeps the resizer and its scratch
//! buffers, and [`Preprocessor::preprocess_into`] writes into a caller-owned
//! buffer, so the hot path allocates nothing.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use image::DynamicImage;
use ndarray::Array4;

use crate::bbox::BBox;
use crate::error::{Error, Result};
use crate::resize::{PlanesOut, ResizeScratch, resize_bilinear_planes};

/// How an image is fitted to the network input size.
///
/// Parses case-insensitively from `"stretch"` or `"letterbox"`:
///
/// ```
/// use yoloo_core::ResizeMode;
/// assert_eq!("Letterbox".parse::<ResizeMode>().unwrap(), ResizeMode::Letterbox);
/// assert_eq!(ResizeMode::default().to_string(), "stretch");
/// assert!("crop".parse::<ResizeMode>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "lowercase")
)]
pub enum ResizeMode {
    /// Resize the whole image to the network size, ignoring the aspect ratio,
    /// like OpenCV's `blobFromImage(..., crop=false)`.
    #[default]
    Stretch,
    /// Keep the aspect ratio: resize to fit, centre, and pad with grey (0.5),
    /// like Darknet's `letterbox_image`.
    Letterbox,
}

impl ResizeMode {
    /// Every mode, in declaration order.
    pub const ALL: [ResizeMode; 2] = [ResizeMode::Stretch, ResizeMode::Letterbox];

    /// The lowercase name used by [`FromStr`] and [`Display`](fmt::Display).
    pub const fn as_str(self) -> &'static str {
        match self {
            ResizeMode::Stretch => "stretch",
            ResizeMode::Letterbox => "letterbox",
        }
    }
}

impl fmt::Display for ResizeMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ResizeMode {
    type Err = Error;

    /// Case-insensitive; surrounding whitespace is ignored.
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        ResizeMode::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| {
                Error::InvalidParameter(format!(
                    "unknown resize mode {s:?}: expected one of \"stretch\", \"letterbox\""
                ))
            })
    }
}

/// Where a letterbox puts the image and how it rounds: each family's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "lowercase")
)]
pub enum LetterboxStyle {
    /// Darknet's `letterbox_image`: sides by integer division, centred.
    #[default]
    Darknet,
    /// Ultralytics' `LetterBox`: sides `round(s·r)` (ties to even, as
    /// Python rounds), centred with `round(d/2 − 0.1)` before; boxes back
    /// with its `scale_boxes`.
    Ultralytics,
    /// YOLOX's `preproc`: sides `int(s·r)`, at the top-left; boxes back
    /// divided by `r`.
    Yolox,
}

/// Channel order of the network input planes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "lowercase")
)]
pub enum ChannelOrder {
    /// Red, green, blue (Darknet, Ultralytics).
    #[default]
    Rgb,
    /// Blue, green, red (YOLOX, as OpenCV reads images).
    Bgr,
}

/// The input a model family expects: letterbox geometry, channel order,
/// value range and padding value.
///
/// ```
/// use yoloo_core::preprocess::InputFormat;
/// assert_eq!(InputFormat::DARKNET.pad_value(), 0.5);
/// assert_eq!(InputFormat::ULTRALYTICS.pad_value(), 114.0 / 255.0);
/// assert_eq!(InputFormat::YOLOX.pad_value(), 114.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct InputFormat {
    /// Letterbox geometry (used with [`ResizeMode::Letterbox`]).
    pub letterbox: LetterboxStyle,
    /// Plane order.
    pub channels: ChannelOrder,
    /// `true`: values are 8-bit levels `0..=255`; `false`: levels / 255, in `[0, 1]`.
    pub raw_levels: bool,
    /// The padding level, `0..=255` (grey 127.5 for Darknet, 114 for the others).
    pub pad_level: f32,
}

impl InputFormat {
    /// Darknet / OpenCV: RGB in `[0, 1]`, letterbox padded with 0.5.
    pub const DARKNET: Self = Self {
        letterbox: LetterboxStyle::Darknet,
        channels: ChannelOrder::Rgb,
        raw_levels: false,
        pad_level: 127.5,
    };
    /// Ultralytics (YOLOv5 and later): RGB in `[0, 1]`, centred letterbox padded with 114.
    pub const ULTRALYTICS: Self = Self {
        letterbox: LetterboxStyle::Ultralytics,
        channels: ChannelOrder::Rgb,
        raw_levels: false,
        pad_level: 114.0,
    };
    /// YOLOX: BGR levels `0..=255`, top-left letterbox padded with 114.
    pub const YOLOX: Self = Self {
        letterbox: LetterboxStyle::Yolox,
        channels: ChannelOrder::Bgr,
        raw_levels: true,
        pad_level: 114.0,
    };

    /// The padding as a network-input value.
    pub fn pad_value(&self) -> f32 {
        if self.raw_levels {
            self.pad_level
        } else {
            self.pad_level / 255.0
        }
    }
}

impl Default for InputFormat {
    fn default() -> Self {
        Self::DARKNET
    }
}

/// The geometry of one preprocessing: where the source image ended up in the
/// network input, and the mapping of boxes between the two.
///
/// The image content occupies the rectangle `[pad_x, pad_x + content_width) ×
/// [pad_y, pad_y + content_height)` of the network input; a source pixel
/// coordinate `x` maps to `x * scale_x + pad_x` with `scale_x = content_width /
/// src_width` (likewise for `y`). For [`ResizeMode::Stretch`] the content is the
/// whole input and the padding is 0.
///
/// ```
/// use yoloo_core::{BBox, ResizeMode};
/// use yoloo_core::preprocess::Transform;
///
/// // A 1920x1080 frame letterboxed into 416x416: 416x234 content, 91 px bars.
/// let t = Transform::new(ResizeMode::Letterbox, 1920, 1080, 416, 416);
/// assert_eq!((t.content_width(), t.content_height()), (416, 234));
/// assert_eq!((t.pad_x(), t.pad_y()), (0.0, 91.0));
///
/// // A detection in network-input pixels, back to the original frame.
/// let b = t.to_source(BBox::new(0.0, 91.0, 208.0, 325.0));
/// assert_eq!(b, BBox::new(0.0, 0.0, 960.0, 1080.0));
/// assert_eq!(t.to_network(b), BBox::new(0.0, 91.0, 208.0, 325.0));
///
/// // Stretch just scales each axis.
/// let t = Transform::new(ResizeMode::Stretch, 832, 624, 416, 416);
/// assert_eq!(t.to_source(BBox::new(0.0, 0.0, 208.0, 208.0)), BBox::new(0.0, 0.0, 416.0, 312.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Transform {
    mode: ResizeMode,
    letterbox: LetterboxStyle,
    src_width: u32,
    src_height: u32,
    dst_width: u32,
    dst_height: u32,
    content_width: u32,
    content_height: u32,
    scale_x: f32,
    scale_y: f32,
    pad_x: f32,
    pad_y: f32,
    /// Source pixels per network-input pixel, as each family maps boxes back.
    src_per_net: (f64, f64),
}

impl Transform {
    /// The transform for fitting a `src_width × src_height` image into a
    /// `dst_width × dst_height` network input with `mode`.
    ///
    /// Letterbox follows Darknet's `letterbox_image`: if `dst_w / src_w <
    /// dst_h / src_h` (in `f32`) the content is `dst_w × (src_h * dst_w / src_w)`,
    /// otherwise `(src_w * dst_h / src_h) × dst_h` (integer division), placed at
    /// `((dst_w - content_w) / 2, (dst_h - content_h) / 2)`.
    ///
    /// A content side that would round down to 0 pixels (an extremely thin
    /// image) is made 1 pixel, and a dimension of 0 is treated as 1, so that
    /// the mapping is always finite; [`preprocess`] rejects zero sizes.
    pub fn new(
        mode: ResizeMode,
        src_width: u32,
        src_height: u32,
        dst_width: u32,
        dst_height: u32,
    ) -> Self {
        let (sw, sh) = (src_width.max(1), src_height.max(1));
        let (dw, dh) = (dst_width.max(1), dst_height.max(1));
        let (cw, ch) = match mode {
            ResizeMode::Stretch => (dw, dh),
            ResizeMode::Letterbox => {
                let div = |a: u32, b: u32, c: u32| {
                    // a * b / c, in u64 so that it cannot overflow; <= dst side
                    ((u64::from(a) * u64::from(b) / u64::from(c)) as u32).max(1)
                };
                if (dw as f32 / sw as f32) < (dh as f32 / sh as f32) {
                    (dw, div(sh, dw, sw).min(dh))
                } else {
                    (div(sw, dh, sh).min(dw), dh)
                }
            }
        };
        Self::placed(
            mode,
            LetterboxStyle::Darknet,
            (src_width, src_height),
            (dw, dh),
            (cw, ch),
            ((dw - cw) / 2, (dh - ch) / 2),
            None,
        )
    }

    /// The transform of `mode` with a family's letterbox geometry (see
    /// [`LetterboxStyle`]); [`Transform::new`] is `LetterboxStyle::Darknet`.
    /// [`ResizeMode::Stretch`] is the same for every style.
    ///
    /// ```
    /// use yoloo_core::{BBox, ResizeMode};
    /// use yoloo_core::preprocess::{LetterboxStyle, Transform};
    /// // Ultralytics: 810×1080 into 640×640 is 480×640, centred at x = 80.
    /// let t = Transform::with_style(ResizeMode::Letterbox, LetterboxStyle::Ultralytics, 810, 1080, 640, 640);
    /// assert_eq!((t.content_width(), t.content_height(), t.pad_x(), t.pad_y()), (480, 640, 80.0, 0.0));
    /// // YOLOX: top-left, sides truncated, boxes divided by the ratio.
    /// let t = Transform::with_style(ResizeMode::Letterbox, LetterboxStyle::Yolox, 1280, 720, 416, 416);
    /// assert_eq!((t.content_width(), t.content_height(), t.pad_x()), (416, 234, 0.0));
    /// assert_eq!(t.to_source(BBox::new(0.0, 0.0, 416.0, 234.0)), BBox::new(0.0, 0.0, 1280.0, 720.0));
    /// ```
    pub fn with_style(
        mode: ResizeMode,
        style: LetterboxStyle,
        src_width: u32,
        src_height: u32,
        dst_width: u32,
        dst_height: u32,
    ) -> Self {
        if mode == ResizeMode::Stretch || style == LetterboxStyle::Darknet {
            let mut t = Self::new(mode, src_width, src_height, dst_width, dst_height);
            t.letterbox = style;
            return t;
        }
        let (sw, sh) = (src_width.max(1), src_height.max(1));
        let (dw, dh) = (dst_width.max(1), dst_height.max(1));
        // Both compute the ratio as Python does, in f64.
        let r = (f64::from(dh) / f64::from(sh)).min(f64::from(dw) / f64::from(sw));
        let side = |s: u32, d: u32, round: bool| {
            let v = f64::from(s) * r;
            let v = if round {
                v.round_ties_even()
            } else {
                v.floor()
            };
            (v as u32).clamp(1, d)
        };
        match style {
            LetterboxStyle::Ultralytics => {
                // LetterBox: new_unpad = round(w·r), round(h·r) (≥ 1); pads
                // round(d/2 − 0.1) before, the rest after; scale_boxes maps
                // back with the same rounded sides.
                let (cw, ch) = (side(sw, dw, true), side(sh, dh, true));
                let pad = |d: u32, c: u32| (f64::from(d - c) / 2.0 - 0.1).round_ties_even() as u32;
                Self::placed(
                    mode,
                    style,
                    (src_width, src_height),
                    (dw, dh),
                    (cw, ch),
                    (pad(dw, cw), pad(dh, ch)),
                    None,
                )
            }
            _ => {
                // YOLOX's preproc: int(w·r) × int(h·r) at the top-left;
                // boxes are divided by r.
                let (cw, ch) = (side(sw, dw, false), side(sh, dh, false));
                Self::placed(
                    mode,
                    style,
                    (src_width, src_height),
                    (dw, dh),
                    (cw, ch),
                    (0, 0),
                    Some((1.0 / r, 1.0 / r)),
                )
            }
        }
    }

    /// Content of `content` pixels at `pad` in a `dst` input; boxes map
    /// back by `src_per_net` (default: source size / content size per axis).
    fn placed(
        mode: ResizeMode,
        letterbox: LetterboxStyle,
        (src_width, src_height): (u32, u32),
        (dw, dh): (u32, u32),
        (cw, ch): (u32, u32),
        (px, py): (u32, u32),
        src_per_net: Option<(f64, f64)>,
    ) -> Self {
        let (sw, sh) = (f64::from(src_width.max(1)), f64::from(src_height.max(1)));
        let (cwf, chf) = (f64::from(cw), f64::from(ch));
        let (scale_x, scale_y) = match src_per_net {
            Some((x, y)) => (1.0 / x, 1.0 / y),
            None => (cwf / sw, chf / sh),
        };
        let src_per_net = src_per_net.unwrap_or((sw / cwf, sh / chf));
        Self {
            mode,
            letterbox,
            src_width,
            src_height,
            dst_width: dw,
            dst_height: dh,
            content_width: cw,
            content_height: ch,
            scale_x: scale_x as f32,
            scale_y: scale_y as f32,
            pad_x: px as f32,
            pad_y: py as f32,
            src_per_net,
        }
    }

    /// Maps a box from network-input pixels to original-image pixels
    /// (`x_src = (x_net - pad_x) * src_width / content_width`). The result is not
    /// clamped to the image; see [`BBox::clamp`].
    pub fn to_source(&self, b: BBox) -> BBox {
        let (sx, sy) = self.src_per_content();
        let (px, py) = (f64::from(self.pad_x), f64::from(self.pad_y));
        let fx = |x: f32| ((f64::from(x) - px) * sx) as f32;
        let fy = |y: f32| ((f64::from(y) - py) * sy) as f32;
        BBox::new(fx(b.x1), fy(b.y1), fx(b.x2), fy(b.y2))
    }

    /// Maps a box from original-image pixels to network-input pixels; the
    /// inverse of [`to_source`](Self::to_source).
    pub fn to_network(&self, b: BBox) -> BBox {
        let (sx, sy) = self.src_per_content();
        let (px, py) = (f64::from(self.pad_x), f64::from(self.pad_y));
        let fx = |x: f32| (f64::from(x) / sx + px) as f32;
        let fy = |y: f32| (f64::from(y) / sy + py) as f32;
        BBox::new(fx(b.x1), fy(b.y1), fx(b.x2), fy(b.y2))
    }

    fn src_per_content(&self) -> (f64, f64) {
        self.src_per_net
    }

    /// The resize mode.
    pub fn mode(&self) -> ResizeMode {
        self.mode
    }

    /// The letterbox geometry (meaningful for [`ResizeMode::Letterbox`]).
    pub fn letterbox_style(&self) -> LetterboxStyle {
        self.letterbox
    }

    /// Width of the original image.
    pub fn src_width(&self) -> u32 {
        self.src_width
    }

    /// Height of the original image.
    pub fn src_height(&self) -> u32 {
        self.src_height
    }

    /// Width of the network input.
    pub fn dst_width(&self) -> u32 {
        self.dst_width
    }

    /// Height of the network input.
    pub fn dst_height(&self) -> u32 {
        self.dst_height
    }

    /// Width of the image content inside the network input (the network width
    /// for [`ResizeMode::Stretch`]).
    pub fn content_width(&self) -> u32 {
        self.content_width
    }

    /// Height of the image content inside the network input.
    pub fn content_height(&self) -> u32 {
        self.content_height
    }

    /// Network-input pixels per source pixel, horizontally.
    pub fn scale_x(&self) -> f32 {
        self.scale_x
    }

    /// Network-input pixels per source pixel, vertically.
    pub fn scale_y(&self) -> f32 {
        self.scale_y
    }

    /// Left padding of the content, in network-input pixels.
    pub fn pad_x(&self) -> f32 {
        self.pad_x
    }

    /// Top padding of the content, in network-input pixels.
    pub fn pad_y(&self) -> f32 {
        self.pad_y
    }
}

/// Preprocesses an image into a new `[1, 3, height, width]` tensor: RGB planes,
/// values in `[0, 1]`, and the [`Transform`] used.
///
/// Allocates the tensor on each call (the resizer and its scratch buffers are
/// cached per thread); in a video loop, [`preprocess_into`] or a
/// [`Preprocessor`] writing into a reused buffer avoids that allocation.
///
/// # Errors
///
/// [`Error::InvalidParameter`] when `width` or `height` is 0 or the image is
/// empty.
///
/// # Example
///
/// ```
/// use yoloo_core::ResizeMode;
/// use yoloo_core::preprocess::preprocess;
///
/// let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(640, 480, image::Rgb([255, 0, 51])));
/// let (x, t) = preprocess(&img, 416, 416, ResizeMode::Letterbox).unwrap();
/// assert_eq!(x.shape(), &[1, 3, 416, 416]);
/// assert_eq!((t.content_width(), t.content_height()), (416, 312));
/// // Red plane inside the content, grey padding above it.
/// assert_eq!(x[[0, 0, 208, 208]], 1.0);
/// assert_eq!(x[[0, 2, 208, 208]], 0.2);
/// assert_eq!(x[[0, 0, 10, 208]], 0.5);
/// ```
pub fn preprocess(
    img: &DynamicImage,
    width: u32,
    height: u32,
    mode: ResizeMode,
) -> Result<(Array4<f32>, Transform)> {
    with_thread_preprocessor(|p| p.preprocess(img, width, height, mode))
}

/// Like [`preprocess`], in a model family's input `format` (see
/// [`InputFormat`]): Ultralytics' centred letterbox padded with 114, or
/// YOLOX's top-left one in BGR levels.
///
/// ```
/// use yoloo_core::ResizeMode;
/// use yoloo_core::preprocess::{preprocess_format, InputFormat};
/// let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(64, 32, image::Rgb([255, 0, 51])));
/// let (x, t) = preprocess_format(&img, 64, 64, ResizeMode::Letterbox, &InputFormat::YOLOX).unwrap();
/// assert_eq!((t.pad_y(), t.content_height()), (0.0, 32));
/// assert_eq!([x[[0, 0, 5, 5]], x[[0, 2, 5, 5]], x[[0, 0, 40, 5]]], [51.0, 255.0, 114.0]);
/// ```
///
/// # Errors
///
/// As [`preprocess`].
pub fn preprocess_format(
    img: &DynamicImage,
    width: u32,
    height: u32,
    mode: ResizeMode,
    format: &InputFormat,
) -> Result<(Array4<f32>, Transform)> {
    with_thread_preprocessor(|p| p.preprocess_format(img, width, height, mode, format))
}

/// Like [`preprocess`], writing into `out`: planar `f32`, the R plane then G
/// then B, each `height` rows of `width` values.
///
/// # Errors
///
/// [`Error::InvalidParameter`] when `width` or `height` is 0, the image is
/// empty, or `out.len() != 3 * width * height`.
pub fn preprocess_into(
    img: &DynamicImage,
    width: u32,
    height: u32,
    mode: ResizeMode,
    out: &mut [f32],
) -> Result<Transform> {
    with_thread_preprocessor(|p| p.preprocess_into(img, width, height, mode, out))
}

/// Scratch memory a thread keeps between calls of the free functions; above
/// this, the buffers are released after the call.
const THREAD_SCRATCH_LIMIT: usize = 16 << 20;

thread_local! {
    static THREAD_PREPROCESSOR: std::cell::RefCell<Preprocessor> =
        std::cell::RefCell::new(Preprocessor::new());
}

/// Runs `f` with this thread's cached [`Preprocessor`]: fresh multi-megabyte
/// scratch buffers cost more (page faults) than the resize itself.
fn with_thread_preprocessor<T>(f: impl FnOnce(&mut Preprocessor) -> T) -> T {
    let mut f = Some(f);
    let cached = THREAD_PREPROCESSOR.try_with(|cell| {
        let mut pre = cell.try_borrow_mut().ok()?;
        let out = (f.take().expect("called once"))(&mut pre);
        if pre.scratch_bytes() > THREAD_SCRATCH_LIMIT {
            *pre = Preprocessor::new();
        }
        Some(out)
    });
    match cached {
        Ok(Some(out)) => out,
        // Thread-local storage being torn down, or a re-entrant call.
        _ => (f.take().expect("not called yet"))(&mut Preprocessor::new()),
    }
}

/// A reusable preprocessor: keeps the resizer and the scratch buffers between
/// calls, so that [`preprocess_into`](Self::preprocess_into) does not allocate
/// once warmed up.
///
/// (The free functions [`preprocess`] and [`preprocess_into`] use one cached
/// per thread, dropping its buffers when they grow over 16 MiB.)
///
/// ```
/// use yoloo_core::ResizeMode;
/// use yoloo_core::preprocess::Preprocessor;
///
/// let mut pre = Preprocessor::new();
/// let mut input = vec![0.0f32; 3 * 416 * 416];
/// for _frame in 0..3 {
///     let img = image::DynamicImage::new_rgb8(1280, 720);
///     let t = pre.preprocess_into(&img, 416, 416, ResizeMode::Stretch, &mut input).unwrap();
///     assert_eq!(t.scale_x(), 416.0 / 1280.0);
/// }
/// ```
pub struct Preprocessor {
    scratch: ResizeScratch,
}

impl fmt::Debug for Preprocessor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Preprocessor")
            .field("scratch_bytes", &self.scratch_bytes())
            .finish()
    }
}

impl Default for Preprocessor {
    fn default() -> Self {
        Self::new()
    }
}

impl Preprocessor {
    /// A preprocessor with empty scratch buffers.
    pub fn new() -> Self {
        Self {
            scratch: ResizeScratch::default(),
        }
    }

    /// Bytes of scratch memory currently held (the
    /// resizer's coefficient and row buffers).
    pub fn scratch_bytes(&self) -> usize {
        self.scratch.capacity_bytes()
    }

    /// Same as the free function [`preprocess`].
    ///
    /// # Errors
    ///
    /// As [`preprocess`].
    pub fn preprocess(
        &mut self,
        img: &DynamicImage,
        width: u32,
        height: u32,
        mode: ResizeMode,
    ) -> Result<(Array4<f32>, Transform)> {
        check_sizes(img, width, height)?;
        let mut x = Array4::<f32>::zeros((1, 3, height as usize, width as usize));
        let out = x.as_slice_mut().expect("a fresh array is contiguous");
        let t = self.preprocess_into(img, width, height, mode, out)?;
        Ok((x, t))
    }

    /// Same as the free function [`preprocess_into`].
    ///
    /// # Errors
    ///
    /// As [`preprocess_into`].
    pub fn preprocess_into(
        &mut self,
        img: &DynamicImage,
        width: u32,
        height: u32,
        mode: ResizeMode,
        out: &mut [f32],
    ) -> Result<Transform> {
        self.preprocess_format_into(img, width, height, mode, &InputFormat::DARKNET, out)
    }

    /// Same as the free function [`preprocess_format`].
    ///
    /// # Errors
    ///
    /// As [`preprocess_into`].
    pub fn preprocess_format(
        &mut self,
        img: &DynamicImage,
        width: u32,
        height: u32,
        mode: ResizeMode,
        format: &InputFormat,
    ) -> Result<(Array4<f32>, Transform)> {
        check_sizes(img, width, height)?;
        let mut x = Array4::<f32>::zeros((1, 3, height as usize, width as usize));
        let out = x.as_slice_mut().expect("a fresh array is contiguous");
        let t = self.preprocess_format_into(img, width, height, mode, format, out)?;
        Ok((x, t))
    }

    /// Like [`Preprocessor::preprocess_into`], in a family's input `format`:
    /// its letterbox geometry, channel order, value range and padding.
    /// The resize is the same OpenCV-exact bilinear for every family (each
    /// family's reference resizes with `cv2.resize(…, INTER_LINEAR)`).
    ///
    /// # Errors
    ///
    /// As [`preprocess_into`].
    pub fn preprocess_format_into(
        &mut self,
        img: &DynamicImage,
        width: u32,
        height: u32,
        mode: ResizeMode,
        format: &InputFormat,
        out: &mut [f32],
    ) -> Result<Transform> {
        let t = self.resize_into(img, width, height, mode, format.letterbox, out)?;
        let plane = width as usize * height as usize;
        if format.channels == ChannelOrder::Bgr {
            let (r, rest) = out.split_at_mut(plane);
            r.swap_with_slice(&mut rest[plane..]);
        }
        if format.raw_levels {
            // Exact: every value is k/255, and k/255·255 rounds back to k.
            for v in out.iter_mut() {
                *v = (*v * 255.0).round();
            }
        }
        let pad = format.pad_value();
        if pad != 0.5 {
            let [r, g, b] = split_planes(out, plane);
            fill_padding(&t, [r, g, b], pad);
        }
        Ok(t)
    }

    /// The Darknet-format resize into `out` with `style`'s geometry.
    fn resize_into(
        &mut self,
        img: &DynamicImage,
        width: u32,
        height: u32,
        mode: ResizeMode,
        style: LetterboxStyle,
        out: &mut [f32],
    ) -> Result<Transform> {
        check_sizes(img, width, height)?;
        let plane = width as usize * height as usize;
        if out.len() != 3 * plane {
            return Err(Error::InvalidParameter(format!(
                "output buffer has {} values, expected 3 * {width} * {height} = {}",
                out.len(),
                3 * plane
            )));
        }
        let t = Transform::with_style(mode, style, img.width(), img.height(), width, height);

        let (src, layout): (Cow<'_, [u8]>, Layout) = match img {
            DynamicImage::ImageLuma8(b) => (Cow::Borrowed(b.as_raw()), Layout::Gray),
            DynamicImage::ImageLumaA8(b) => (Cow::Borrowed(b.as_raw()), Layout::GrayAlpha),
            DynamicImage::ImageRgb8(b) => (Cow::Borrowed(b.as_raw()), Layout::Rgb),
            DynamicImage::ImageRgba8(b) => (Cow::Borrowed(b.as_raw()), Layout::Rgba),
            other => (Cow::Owned(other.to_rgb8().into_raw()), Layout::Rgb),
        };
        let (sw, sh) = (img.width(), img.height());
        let (cw, ch) = (t.content_width(), t.content_height());

        let (r, rest) = out.split_at_mut(plane);
        let (g, b) = rest.split_at_mut(plane);
        if (cw, ch) == (sw, sh) {
            match layout {
                Layout::Gray => write_planes::<1>(&src, &t, [r, g, b]),
                Layout::GrayAlpha => write_planes::<2>(&src, &t, [r, g, b]),
                Layout::Rgb => write_planes::<3>(&src, &t, [r, g, b]),
                Layout::Rgba => write_planes::<4>(&src, &t, [r, g, b]),
            }
            return Ok(t);
        }
        // Resize straight into the planes (no intermediate 8-bit image),
        // then grey around the content.
        let (px, py) = (t.pad_x() as usize, t.pad_y() as usize);
        let ok = resize_bilinear_planes(
            &src,
            sw as usize,
            sh as usize,
            layout.channels(),
            cw as usize,
            ch as usize,
            PlanesOut {
                planes: [&mut *r, &mut *g, &mut *b],
                stride: width as usize,
                x: px,
                y: py,
            },
            &mut self.scratch,
        );
        if !ok {
            return Err(Error::InvalidParameter(format!(
                "cannot resize {sw}x{sh} to {cw}x{ch}"
            )));
        }
        fill_padding(&t, [r, g, b], 0.5);
        Ok(t)
    }
}

fn split_planes(out: &mut [f32], plane: usize) -> [&mut [f32]; 3] {
    let (r, rest) = out.split_at_mut(plane);
    let (g, b) = rest.split_at_mut(plane);
    [r, g, b]
}

fn check_sizes(img: &DynamicImage, width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::InvalidParameter(format!(
            "network input size must be positive, got {width}x{height}"
        )));
    }
    if (width as usize)
        .checked_mul(height as usize)
        .and_then(|p| p.checked_mul(3))
        .is_none()
    {
        return Err(Error::InvalidParameter(format!(
            "network input {width}x{height} is too large"
        )));
    }
    if img.width() == 0 || img.height() == 0 {
        return Err(Error::InvalidParameter(format!(
            "image is empty ({}x{})",
            img.width(),
            img.height()
        )));
    }
    Ok(())
}

/// Interleaved 8-bit pixel layouts resized without conversion.
#[derive(Clone, Copy)]
enum Layout {
    Gray,
    GrayAlpha,
    Rgb,
    Rgba,
}

impl Layout {
    fn channels(self) -> usize {
        match self {
            Layout::Gray => 1,
            Layout::GrayAlpha => 2,
            Layout::Rgb => 3,
            Layout::Rgba => 4,
        }
    }
}

/// Writes the resized content (`C` interleaved channels; 1 or 2 = grey, the
/// second being alpha; 3 or 4 = RGB, the fourth being alpha) into the three
/// planes at the content rectangle of `t`, and grey 0.5 around it.
fn write_planes<const C: usize>(content: &[u8], t: &Transform, planes: [&mut [f32]; 3]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { write_planes_avx2::<C>(content, t, planes) };
    }
    write_planes_impl::<C>(content, t, planes);
}

/// [`write_planes_impl`] compiled for AVX2: the de-interleaving loop
/// vectorises about 1.6x better than with the baseline SSE2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn write_planes_avx2<const C: usize>(content: &[u8], t: &Transform, planes: [&mut [f32]; 3]) {
    write_planes_impl::<C>(content, t, planes);
}

#[inline(always)]
fn write_planes_impl<const C: usize>(content: &[u8], t: &Transform, planes: [&mut [f32]; 3]) {
    let (w, h) = (t.dst_width() as usize, t.dst_height() as usize);
    let (cw, ch) = (t.content_width() as usize, t.content_height() as usize);
    let (px, py) = (t.pad_x() as usize, t.pad_y() as usize);
    let [r, g, b] = planes;
    let content = &content[..cw * ch * C];

    if (cw, ch) == (w, h) {
        deinterleave::<C>(content, r, g, b);
        return;
    }
    for p in [&mut *r, &mut *g, &mut *b] {
        p[..py * w].fill(0.5);
        p[(py + ch) * w..].fill(0.5);
    }
    let rows = content.chunks_exact(cw * C);
    let r_rows = r[py * w..(py + ch) * w].chunks_exact_mut(w);
    let g_rows = g[py * w..(py + ch) * w].chunks_exact_mut(w);
    let b_rows = b[py * w..(py + ch) * w].chunks_exact_mut(w);
    for (((src, r), g), b) in rows.zip(r_rows).zip(g_rows).zip(b_rows) {
        for p in [&mut *r, &mut *g, &mut *b] {
            p[..px].fill(0.5);
            p[px + cw..].fill(0.5);
        }
        deinterleave::<C>(
            src,
            &mut r[px..px + cw],
            &mut g[px..px + cw],
            &mut b[px..px + cw],
        );
    }
}

/// `r[i], g[i], b[i] = src[C*i + (0, 1, 2)] / 255` (all from channel 0 for
/// grey). A division rather than a multiplication by `1/255` so that the
/// result is exactly rounded (255 gives exactly 1.0); it vectorises, unlike a
/// lookup table.
#[inline(always)]
/// `value` around the content rectangle of `t` in the three planes.
fn fill_padding(t: &Transform, planes: [&mut [f32]; 3], value: f32) {
    let (w, h) = (t.dst_width() as usize, t.dst_height() as usize);
    let (cw, ch) = (t.content_width() as usize, t.content_height() as usize);
    if (cw, ch) == (w, h) {
        return;
    }
    let (px, py) = (t.pad_x() as usize, t.pad_y() as usize);
    for p in planes {
        p[..py * w].fill(value);
        p[(py + ch) * w..h * w].fill(value);
        for row in p[py * w..(py + ch) * w].chunks_exact_mut(w) {
            row[..px].fill(value);
            row[px + cw..].fill(value);
        }
    }
}

fn deinterleave<const C: usize>(src: &[u8], r: &mut [f32], g: &mut [f32], b: &mut [f32]) {
    let (ig, ib) = if C >= 3 { (1, 2) } else { (0, 0) };
    let px = src.chunks_exact(C);
    for (((s, r), g), b) in px.zip(r.iter_mut()).zip(g.iter_mut()).zip(b.iter_mut()) {
        *r = f32::from(s[0]) / 255.0;
        *g = f32::from(s[ig]) / 255.0;
        *b = f32::from(s[ib]) / 255.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, ImageBuffer, Luma, LumaA, Rgb, RgbImage, Rgba};
    use proptest::prelude::*;

    fn rgb(w: u32, h: u32, mut f: impl FnMut(u32, u32) -> [u8; 3]) -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| Rgb(f(x, y))))
    }

    fn pattern(x: u32, y: u32) -> [u8; 3] {
        [
            (x * 7 + y * 3) as u8,
            ((x * 13) ^ (y * 5)) as u8,
            (x + y * 11) as u8,
        ]
    }

    fn plane(x: &Array4<f32>, c: usize) -> Vec<f32> {
        x.slice(ndarray::s![0, c, .., ..]).iter().copied().collect()
    }

    #[test]
    fn resize_mode_parse_display() {
        for m in ResizeMode::ALL {
            assert_eq!(m.to_string().parse::<ResizeMode>().unwrap(), m);
            assert_eq!(
                m.to_string().to_uppercase().parse::<ResizeMode>().unwrap(),
                m
            );
        }
        assert_eq!(
            " LetterBox ".parse::<ResizeMode>().unwrap(),
            ResizeMode::Letterbox
        );
        let e = "fit".parse::<ResizeMode>().unwrap_err();
        assert!(matches!(e, Error::InvalidParameter(_)));
        let m = e.to_string();
        assert!(
            m.contains("stretch") && m.contains("letterbox") && m.contains("fit"),
            "{m}"
        );
        assert_eq!(ResizeMode::default(), ResizeMode::Stretch);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn resize_mode_serde_lowercase() {
        assert_eq!(
            serde_json::to_string(&ResizeMode::Letterbox).unwrap(),
            "\"letterbox\""
        );
        let m: ResizeMode = serde_json::from_str("\"stretch\"").unwrap();
        assert_eq!(m, ResizeMode::Stretch);
    }

    #[test]
    fn darknet_letterbox_geometry() {
        // Wide image: width-limited.
        let t = Transform::new(ResizeMode::Letterbox, 768, 576, 416, 416);
        assert_eq!((t.content_width(), t.content_height()), (416, 312));
        assert_eq!((t.pad_x(), t.pad_y()), (0.0, 52.0));
        // Tall image: height-limited; 810 * 416 / 1080 = 312.
        let t = Transform::new(ResizeMode::Letterbox, 810, 1080, 416, 416);
        assert_eq!((t.content_width(), t.content_height()), (312, 416));
        assert_eq!((t.pad_x(), t.pad_y()), (52.0, 0.0));
        // Integer division truncates: 1000 * 416 / 1234 = 337.1 -> 337, pad (416-337)/2 = 39.
        let t = Transform::new(ResizeMode::Letterbox, 1234, 1000, 416, 416);
        assert_eq!((t.content_width(), t.content_height()), (416, 337));
        assert_eq!(t.pad_y(), 39.0);
        // Non-square network.
        let t = Transform::new(ResizeMode::Letterbox, 100, 100, 608, 320);
        assert_eq!((t.content_width(), t.content_height()), (320, 320));
        assert_eq!((t.pad_x(), t.pad_y()), (144.0, 0.0));
        // Stretch.
        let t = Transform::new(ResizeMode::Stretch, 1920, 1080, 416, 416);
        assert_eq!((t.content_width(), t.content_height()), (416, 416));
        assert_eq!((t.pad_x(), t.pad_y()), (0.0, 0.0));
        assert_eq!(
            t.to_source(BBox::new(0.0, 0.0, 416.0, 416.0)),
            BBox::new(0.0, 0.0, 1920.0, 1080.0)
        );
    }

    /// Geometry of Ultralytics' LetterBox and scale_boxes, and of YOLOX's
    /// preproc, on sizes whose rounding differs from Darknet's.
    #[test]
    fn family_letterbox_geometry() {
        let ul = |sw, sh, dw, dh| {
            let t = Transform::with_style(
                ResizeMode::Letterbox,
                LetterboxStyle::Ultralytics,
                sw,
                sh,
                dw,
                dh,
            );
            (t.content_width(), t.content_height(), t.pad_x(), t.pad_y())
        };
        // bus.jpg: r = 640/1080; 810·r = 480 exactly.
        assert_eq!(ul(810, 1080, 640, 640), (480, 640, 80.0, 0.0));
        // zidane.jpg: 1280×720 → 640×360, pads 140 / 140.
        assert_eq!(ul(1280, 720, 640, 640), (640, 360, 0.0, 140.0));
        // coffee.png: 600×400 → r = 1.0667, 426.67 rounds to 427; dh = 213 → 106.5 − 0.1 → 106.
        assert_eq!(ul(600, 400, 640, 640), (640, 427, 0.0, 106.0));
        // motorcycle_left.png: 741×500 → 431.85 rounds to 432; pads round(103.9) = 104.
        assert_eq!(ul(741, 500, 640, 640), (640, 432, 0.0, 104.0));
        // Ties round to even, as Python's round(): 5·0.5 = 2.5 → 2.
        assert_eq!(ul(5, 128, 64, 64).0, 2);
        assert_eq!(ul(7, 128, 64, 64).0, 4); // 3.5 → 4
        assert_eq!(ul(3, 1000, 640, 640).0, 2); // 1.92 → 2, never 0
        let t = Transform::with_style(
            ResizeMode::Letterbox,
            LetterboxStyle::Ultralytics,
            600,
            400,
            640,
            640,
        );
        // scale_boxes: per-axis gains of the rounded sides, 640/600 and 427/400.
        let b = t.to_source(BBox::new(0.0, 106.0, 640.0, 533.0));
        assert!(
            (b.x2 - 600.0).abs() < 1e-3 && (b.y2 - 400.0).abs() < 1e-3,
            "{b:?}"
        );

        let yx = |sw, sh| {
            Transform::with_style(
                ResizeMode::Letterbox,
                LetterboxStyle::Yolox,
                sw,
                sh,
                416,
                416,
            )
        };
        let t = yx(600, 400);
        // r = 416/600 = 0.6933; 400·r = 277.33 → 277, top-left.
        assert_eq!(
            (t.content_width(), t.content_height(), t.pad_x(), t.pad_y()),
            (416, 277, 0.0, 0.0)
        );
        // Boxes are divided by r, not by 277/400.
        let b = t.to_source(BBox::new(0.0, 0.0, 416.0, 277.0));
        assert!((b.y2 - 277.0 * 600.0 / 416.0).abs() < 1e-3, "{b:?}");
        // Stretch is the same for every style.
        for style in [LetterboxStyle::Ultralytics, LetterboxStyle::Yolox] {
            assert_eq!(
                Transform::with_style(ResizeMode::Stretch, style, 600, 400, 640, 640)
                    .to_source(BBox::new(0.0, 0.0, 64.0, 64.0)),
                Transform::new(ResizeMode::Stretch, 600, 400, 640, 640)
                    .to_source(BBox::new(0.0, 0.0, 64.0, 64.0)),
            );
        }
    }

    #[test]
    fn family_input_formats() {
        let img = rgb(40, 20, |x, _| [200, 100, (x * 5) as u8]);
        let ultra = InputFormat::ULTRALYTICS;
        let (x, t) = preprocess_format(&img, 64, 64, ResizeMode::Letterbox, &ultra).unwrap();
        // 40×20 → 64×32, centred: pads 16 above and below.
        assert_eq!((t.content_height(), t.pad_y()), (32, 16.0));
        assert_eq!(x[[0, 0, 0, 0]], 114.0 / 255.0);
        assert_eq!(x[[0, 0, 63, 63]], 114.0 / 255.0);
        assert_eq!(x[[0, 0, 30, 10]], 200.0 / 255.0);
        assert_eq!(x[[0, 1, 30, 10]], 100.0 / 255.0);
        // The content is the Darknet preprocessing's, pixel for pixel.
        let (d, _) = preprocess(&img, 64, 64, ResizeMode::Letterbox).unwrap();
        for c in 0..3 {
            for y in 16..48 {
                for xx in 0..64 {
                    assert_eq!(x[[0, c, y, xx]], d[[0, c, y, xx]]);
                }
            }
        }
        let (y, t) =
            preprocess_format(&img, 64, 64, ResizeMode::Letterbox, &InputFormat::YOLOX).unwrap();
        assert_eq!((t.content_height(), t.pad_y()), (32, 0.0));
        for yy in 0..32 {
            for xx in 0..64 {
                // BGR planes, 8-bit levels.
                assert_eq!(y[[0, 0, yy, xx]], (d[[0, 2, yy + 16, xx]] * 255.0).round());
                assert_eq!(y[[0, 2, yy, xx]], 200.0);
            }
        }
        assert!((32..64).all(|yy| y[[0, 1, yy, 5]] == 114.0));
        // Stretch in the YOLOX format: no padding at all.
        let (s, _) =
            preprocess_format(&img, 64, 64, ResizeMode::Stretch, &InputFormat::YOLOX).unwrap();
        assert!(
            s.iter()
                .all(|v| v.fract() == 0.0 && (0.0..=255.0).contains(v))
        );
        assert_eq!(s[[0, 2, 63, 0]], 200.0);
    }

    #[test]
    fn degenerate_transforms_are_finite() {
        for (sw, sh) in [(0, 0), (1, 4000), (4000, 1), (0, 5)] {
            for m in ResizeMode::ALL {
                let t = Transform::new(m, sw, sh, 32, 32);
                assert!(t.content_width() >= 1 && t.content_height() >= 1);
                let b = BBox::new(1.0, 2.0, 3.0, 4.0);
                assert!(t.to_source(b).is_finite() && t.to_network(b).is_finite());
            }
        }
    }

    #[test]
    fn invalid_parameters() {
        let img = rgb(10, 10, pattern);
        for (w, h) in [(0, 416), (416, 0), (0, 0)] {
            assert!(matches!(
                preprocess(&img, w, h, ResizeMode::Stretch),
                Err(Error::InvalidParameter(_))
            ));
        }
        let empty = DynamicImage::new_rgb8(0, 10);
        for m in ResizeMode::ALL {
            assert!(matches!(
                preprocess(&empty, 32, 32, m),
                Err(Error::InvalidParameter(_))
            ));
            assert!(matches!(
                preprocess(&DynamicImage::new_luma8(7, 0), 32, 32, m),
                Err(Error::InvalidParameter(_))
            ));
        }
        let mut out = vec![0.0; 3 * 32 * 32 - 1];
        let e = preprocess_into(&img, 32, 32, ResizeMode::Stretch, &mut out).unwrap_err();
        assert!(matches!(e, Error::InvalidParameter(_)), "{e}");
        let mut out = vec![0.0; 3 * 32 * 32 + 1];
        assert!(preprocess_into(&img, 32, 32, ResizeMode::Stretch, &mut out).is_err());
    }

    #[test]
    fn same_size_stretch_is_exact_copy() {
        let img = rgb(13, 9, pattern);
        let (x, t) = preprocess(&img, 13, 9, ResizeMode::Stretch).unwrap();
        assert_eq!(t.scale_x(), 1.0);
        let src = img.to_rgb8();
        for (px, py, p) in src.enumerate_pixels() {
            for c in 0..3 {
                assert_eq!(x[[0, c, py as usize, px as usize]], f32::from(p[c]) / 255.0);
            }
        }
    }

    #[test]
    fn planes_are_r_g_b() {
        let img = rgb(20, 10, |_, _| [255, 0, 51]);
        for m in ResizeMode::ALL {
            let (x, t) = preprocess(&img, 32, 32, m).unwrap();
            let (cx, cy) = (t.pad_x() as usize + 3, t.pad_y() as usize + 3);
            assert_eq!(x[[0, 0, cy, cx]], 1.0);
            assert_eq!(x[[0, 1, cy, cx]], 0.0);
            assert_eq!(x[[0, 2, cy, cx]], 0.2);
        }
    }

    #[test]
    fn letterbox_padding_and_content() {
        // 40x20 white into 32x32: content 32x16 at dy = 8.
        let img = rgb(40, 20, |_, _| [255, 255, 255]);
        let (x, t) = preprocess(&img, 32, 32, ResizeMode::Letterbox).unwrap();
        assert_eq!(
            (t.content_width(), t.content_height(), t.pad_y()),
            (32, 16, 8.0)
        );
        for c in 0..3 {
            for y in 0..32 {
                for xx in 0..32 {
                    let v = x[[0, c, y, xx]];
                    let expected = if (8..24).contains(&y) { 1.0 } else { 0.5 };
                    assert_eq!(v, expected, "c{c} ({xx},{y})");
                }
            }
        }
        // Tall image: padding left and right.
        let img = rgb(10, 40, |_, _| [0, 0, 0]);
        let (x, t) = preprocess(&img, 32, 32, ResizeMode::Letterbox).unwrap();
        assert_eq!(
            (t.content_width(), t.content_height(), t.pad_x()),
            (8, 32, 12.0)
        );
        for y in 0..32 {
            for xx in 0..32 {
                let expected = if (12..20).contains(&xx) { 0.0 } else { 0.5 };
                assert_eq!(x[[0, 1, y, xx]], expected, "({xx},{y})");
            }
        }
    }

    /// OpenCV's INTER_LINEAR reference in f64 (half-pixel centres, clamped
    /// borders, no antialiasing), before rounding to u8.
    fn reference_bilinear(src: &RgbImage, dw: u32, dh: u32) -> Vec<[f64; 3]> {
        let (sw, sh) = (src.width(), src.height());
        let coord = |d: u32, s: u32, dn: u32| {
            let f = (d as f64 + 0.5) * s as f64 / dn as f64 - 0.5;
            let i = f.floor();
            let a = f - i;
            let i = i as i64;
            let clamp = |v: i64| v.clamp(0, s as i64 - 1) as u32;
            (clamp(i), clamp(i + 1), if i < 0 { 0.0 } else { a })
        };
        let mut out = Vec::new();
        for y in 0..dh {
            let (y0, y1, b) = coord(y, sh, dh);
            for x in 0..dw {
                let (x0, x1, a) = coord(x, sw, dw);
                let mut px = [0.0; 3];
                for (c, v) in px.iter_mut().enumerate() {
                    let p = |xx, yy| f64::from(src.get_pixel(xx, yy)[c]);
                    *v = (1.0 - b) * ((1.0 - a) * p(x0, y0) + a * p(x1, y0))
                        + b * ((1.0 - a) * p(x0, y1) + a * p(x1, y1));
                }
                out.push(px);
            }
        }
        out
    }

    #[test]
    fn stretch_matches_opencv_bilinear_not_antialiased() {
        // A high-frequency checkerboard downscaled 3x: an antialiasing filter
        // would average it to grey, INTER_LINEAR samples it.
        let src = RgbImage::from_fn(96, 60, |x, y| {
            let v = if (x + y) % 2 == 0 { 250 } else { 5 };
            let p = pattern(x, y);
            Rgb([v, p[1], p[2]])
        });
        for (dw, dh) in [(32, 20), (41, 17), (96, 60), (200, 130), (33, 61)] {
            let (x, _) = preprocess(
                &DynamicImage::ImageRgb8(src.clone()),
                dw,
                dh,
                ResizeMode::Stretch,
            )
            .unwrap();
            let reference = reference_bilinear(&src, dw, dh);
            let mut max = 0.0f64;
            for c in 0..3 {
                let p = plane(&x, c);
                for (v, r) in p.iter().zip(&reference) {
                    max = max.max((f64::from(*v) * 255.0 - r[c]).abs());
                }
            }
            assert!(max <= 1.5, "{dw}x{dh}: max diff {max} levels");
        }
    }

    /// Stretch output pinned to OpenCV 4.14 (`cv2.resize(img, (W, H),
    /// interpolation=cv2.INTER_LINEAR)` on [`pattern`], planes R, G, B, as u8),
    /// by FNV-1a hash: preprocessing must stay bit-exact with OpenCV.
    #[test]
    fn stretch_is_bit_exact_with_opencv() {
        fn fnv1a(bytes: impl Iterator<Item = u8>) -> u64 {
            bytes.fold(0xcbf2_9ce4_8422_2325, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            })
        }
        let cases = [
            (
                (97, 61, 32, 32),
                0x50a2_c86a_7244_fb19u64,
                [8u8, 29, 51, 72, 93, 114],
            ),
            ((13, 9, 64, 48), 0x5a89_58b0_e06d_ed2c, [0, 0, 0, 1, 3, 4]),
            (
                (640, 480, 416, 416),
                0x7966_9dde_8053_211d,
                [2, 13, 24, 34, 45, 56],
            ),
            (
                (300, 500, 416, 416),
                0x21fc_93a5_dca1_2243,
                [0, 4, 9, 14, 19, 25],
            ),
        ];
        for ((sw, sh, dw, dh), hash, head) in cases {
            let (x, _) = preprocess(&rgb(sw, sh, pattern), dw, dh, ResizeMode::Stretch).unwrap();
            // Every value is an exact k/255.
            let levels: Vec<u8> = x.iter().map(|v| (v * 255.0).round() as u8).collect();
            assert!(
                x.iter()
                    .zip(&levels)
                    .all(|(v, &l)| *v == f32::from(l) / 255.0)
            );
            assert_eq!(levels[..6], head, "{sw}x{sh} -> {dw}x{dh}");
            assert_eq!(fnv1a(levels.into_iter()), hash, "{sw}x{sh} -> {dw}x{dh}");
        }
    }

    #[test]
    fn gray_and_alpha_inputs() {
        let gray = GrayImage::from_fn(30, 20, |x, y| Luma([(x * 8 + y) as u8]));
        let as_rgb = DynamicImage::ImageRgb8(DynamicImage::ImageLuma8(gray.clone()).to_rgb8());
        let gray = DynamicImage::ImageLuma8(gray);
        let la = DynamicImage::ImageLumaA8(ImageBuffer::from_fn(30, 20, |x, y| {
            LumaA([(x * 8 + y) as u8, (x * 40) as u8])
        }));
        let rgba = DynamicImage::ImageRgba8(ImageBuffer::from_fn(30, 20, |x, y| {
            let v = (x * 8 + y) as u8;
            Rgba([v, v, v, (y * 12) as u8])
        }));
        let rgb16 = DynamicImage::ImageRgb16(ImageBuffer::from_fn(30, 20, |x, y| {
            let v = u16::from((x * 8 + y) as u8) * 257;
            image::Rgb([v, v, v])
        }));
        let rgba32f = DynamicImage::ImageRgba32F(ImageBuffer::from_fn(30, 20, |x, y| {
            let v = f32::from((x * 8 + y) as u8) / 255.0;
            image::Rgba([v, v, v, 0.0])
        }));
        for m in ResizeMode::ALL {
            for (w, h) in [(16, 16), (30, 20), (64, 32)] {
                let (want, _) = preprocess(&as_rgb, w, h, m).unwrap();
                for img in [&gray, &la, &rgba, &rgb16, &rgba32f] {
                    let (got, _) = preprocess(img, w, h, m).unwrap();
                    assert_eq!(got, want, "{:?} {m} {w}x{h}", img.color());
                }
                for c in 1..3 {
                    assert_eq!(plane(&want, c), plane(&want, 0));
                }
            }
        }
    }

    #[test]
    fn preprocessor_reuse_matches_fresh() {
        let mut pre = Preprocessor::new();
        let imgs = [
            rgb(100, 50, pattern),
            rgb(7, 300, pattern),
            rgb(416, 416, pattern),
            rgb(1, 1, pattern),
        ];
        let mut out = vec![0.0; 3 * 64 * 96];
        for img in &imgs {
            for m in ResizeMode::ALL {
                out.fill(-1.0);
                let t = pre.preprocess_into(img, 96, 64, m, &mut out).unwrap();
                let (x, t2) = preprocess(img, 96, 64, m).unwrap();
                assert_eq!(t, t2);
                assert_eq!(x.as_slice().unwrap(), &out[..]);
            }
        }
    }

    fn close(a: f32, b: f32, scale: f32) -> bool {
        (a - b).abs() <= 1e-4 * scale.max(a.abs()).max(b.abs())
    }

    fn boxes_close(a: BBox, b: BBox, sx: f32, sy: f32) -> bool {
        close(a.x1, b.x1, sx)
            && close(a.x2, b.x2, sx)
            && close(a.y1, b.y1, sy)
            && close(a.y2, b.y2, sy)
    }

    fn mode() -> impl Strategy<Value = ResizeMode> {
        prop_oneof![Just(ResizeMode::Stretch), Just(ResizeMode::Letterbox)]
    }

    fn style() -> impl Strategy<Value = LetterboxStyle> {
        prop_oneof![
            Just(LetterboxStyle::Darknet),
            Just(LetterboxStyle::Ultralytics),
            Just(LetterboxStyle::Yolox)
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

        /// Round trips, within 1e-4 relative to the coordinate or the image
        /// size, whichever is larger (a coordinate near 0 next to a large
        /// padding cannot keep a relative precision of its own in f32).
        #[test]
        fn round_trips(
            sw in 1u32..4000, sh in 1u32..4000,
            dw in 1u32..=32, dh in 1u32..=32,
            m in mode(),
            style in style(),
            f in prop::array::uniform4(-0.5f32..1.5),
        ) {
            let (dw, dh) = (dw * 32, dh * 32);
            let t = Transform::with_style(m, style, sw, sh, dw, dh);
            let src = BBox::new(f[0] * sw as f32, f[1] * sh as f32, f[2] * sw as f32, f[3] * sh as f32);
            let back = t.to_source(t.to_network(src));
            prop_assert!(boxes_close(back, src, sw as f32, sh as f32), "{src:?} -> {back:?} via {t:?}");
            let net = BBox::new(f[0] * dw as f32, f[1] * dh as f32, f[2] * dw as f32, f[3] * dh as f32);
            let back = t.to_network(t.to_source(net));
            prop_assert!(boxes_close(back, net, dw as f32, dh as f32), "{net:?} -> {back:?} via {t:?}");
        }

        #[test]
        fn content_corners_map_to_image_corners(
            sw in 1u32..4000, sh in 1u32..4000,
            dw in 1u32..=32, dh in 1u32..=32,
            m in mode(),
            style in style(),
        ) {
            let (dw, dh) = (dw * 32, dh * 32);
            let t = Transform::with_style(m, style, sw, sh, dw, dh);
            prop_assert!(t.content_width() <= dw && t.content_height() <= dh);
            prop_assert!(t.pad_x() + t.content_width() as f32 <= dw as f32);
            prop_assert!(t.pad_y() + t.content_height() as f32 <= dh as f32);
            // YOLOX truncates the sides (its `int(s·r)`) and maps boxes back
            // by 1/r: the content is up to one network pixel short.
            let yolox = m == ResizeMode::Letterbox && style == LetterboxStyle::Yolox;
            if m == ResizeMode::Letterbox {
                // One side fills the network input.
                let slack = u32::from(yolox);
                prop_assert!(t.content_width() + slack >= dw || t.content_height() + slack >= dh);
            }
            let content = BBox::new(
                t.pad_x(), t.pad_y(),
                t.pad_x() + t.content_width() as f32, t.pad_y() + t.content_height() as f32,
            );
            let img = BBox::new(0.0, 0.0, sw as f32, sh as f32);
            let s = t.to_source(content);
            if yolox {
                let px = 1.0 / t.scale_x() + 1e-3 * sw.max(sh) as f32;
                prop_assert!((s.x2 - img.x2).abs() <= px && (s.y2 - img.y2).abs() <= px, "{s:?}");
                prop_assert!(s.x1 == 0.0 && s.y1 == 0.0);
            } else {
                prop_assert!(boxes_close(s, img, sw as f32, sh as f32), "{s:?}");
                let n = t.to_network(img);
                prop_assert!(boxes_close(n, content, dw as f32, dh as f32), "{n:?}");
            }
        }

        #[test]
        fn output_in_unit_range_with_shape(
            sw in 1u32..64, sh in 1u32..64,
            dw in 1u32..64, dh in 1u32..64,
            m in mode(),
            seed in any::<u64>(),
        ) {
            let mut s = seed | 1;
            let img = rgb(sw, sh, |_, _| {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                [s as u8, (s >> 8) as u8, (s >> 16) as u8]
            });
            let (x, t) = preprocess(&img, dw, dh, m).unwrap();
            prop_assert_eq!(x.shape(), &[1, 3, dh as usize, dw as usize]);
            prop_assert!(x.iter().all(|v| (0.0..=1.0).contains(v)));
            prop_assert_eq!((t.src_width(), t.src_height()), (sw, sh));
        }
    }
}
