//! The "annotate" stage of an upload: boxes and captions drawn on the
//! decoded image (yoloo-core's drawing), then two JPEGs — the annotated image
//! and the gallery thumbnail — encoded at the same time.
//!
//! The encoder ([`ENCODER`]) is libjpeg-turbo with the `turbojpeg` feature
//! (its SIMD code paths chosen at run time; the annotated image in one piece
//! on one thread while the thumbnail is made on another), else
//! [`jpeg_encoder`] (AVX2 paths chosen at run time, scalar otherwise; the
//! annotated image in bands on every core, [`encode_jpeg_striped`]).
//!
//! Quality settings are today's (88 and 80, full-resolution chroma, 4:4:4,
//! like the `image` crate's encoder used before); `tests/annotate.rs` checks the output
//! stays within 38 dB PSNR of that encoder's, and `benches/annotate.rs`
//! times both side by side.

use image::{DynamicImage, RgbImage};
use rayon::prelude::*;
use yoloo_core::Detection;
use yoloo_core::draw::{DrawStyle, draw_detections};

use crate::thumbnail::thumbnail;

/// Longest side of a gallery thumbnail.
pub const THUMB_SIZE: u32 = 480;

/// JPEG quality of the annotated image.
pub const ANNOTATED_QUALITY: u8 = 88;

/// JPEG quality of the thumbnail.
pub const THUMB_QUALITY: u8 = 80;

/// Why an image could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// JPEG cannot hold it (a side over 65 535 pixels).
    #[error("{width}×{height} is too large for a JPEG (at most 65535 per side)")]
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// jpeg-encoder failed.
    #[error("JPEG encoding: {0}")]
    Jpeg(#[from] jpeg_encoder::EncodingError),
    /// libjpeg-turbo failed.
    #[cfg(feature = "turbojpeg")]
    #[error("JPEG encoding (libjpeg-turbo): {0}")]
    Turbo(#[from] turbojpeg::Error),
    /// The bands' JPEGs did not have the expected layout.
    #[error("joining the JPEG bands: unexpected encoder output")]
    Splice,
}

/// The two encoded images of an upload.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The annotated image, full size.
    pub annotated: Vec<u8>,
    /// The annotated image, at most [`THUMB_SIZE`] on its longer side.
    pub thumbnail: Vec<u8>,
}

/// Encodes an RGB image as a baseline JPEG at `quality` (1–100), chroma
/// not subsampled (4:4:4).
pub fn encode_jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>, EncodeError> {
    encode_rgb(img.as_raw(), img.width(), img.height(), quality)
}

/// The JPEG encoder this build uses: `"libjpeg-turbo"` with the
/// `turbojpeg` feature, else `"jpeg-encoder"`.
pub const ENCODER: &str = if cfg!(feature = "turbojpeg") {
    "libjpeg-turbo"
} else {
    "jpeg-encoder"
};

/// [`encode_jpeg`] of `width`×`height` RGB bytes.
fn encode_rgb(rgb: &[u8], width: u32, height: u32, quality: u8) -> Result<Vec<u8>, EncodeError> {
    let too_large = || EncodeError::TooLarge { width, height };
    let w = u16::try_from(width).map_err(|_| too_large())?;
    let h = u16::try_from(height).map_err(|_| too_large())?;
    #[cfg(feature = "turbojpeg")]
    {
        let mut compressor = turbojpeg::Compressor::new()?;
        compressor.set_quality(i32::from(quality.clamp(1, 100)))?;
        compressor.set_subsamp(turbojpeg::Subsamp::None)?;
        let image = turbojpeg::Image {
            pixels: rgb,
            width: usize::from(w),
            pitch: usize::from(w) * 3,
            height: usize::from(h),
            format: turbojpeg::PixelFormat::RGB,
        };
        Ok(compressor.compress_to_vec(image)?)
    }
    #[cfg(not(feature = "turbojpeg"))]
    {
        use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
        // About a tenth of the raw size for photos at these qualities.
        let mut out = Vec::with_capacity(rgb.len() / 8);
        let mut encoder = Encoder::new(&mut out, quality);
        encoder.set_sampling_factor(SamplingFactor::F_1_1);
        encoder.encode(rgb, w, h, ColorType::Rgb)?;
        Ok(out)
    }
}

/// Pixel rows of one MCU (the 8×8 block unit of a 4:4:4 JPEG).
const MCU: u32 = 8;

/// The same JPEG as [`encode_jpeg`] (the same pixels once decoded), made
/// `strips` horizontal bands at a time: each band is encoded as a JPEG of
/// its own, in parallel on rayon's pool, and their entropy-coded data is joined with
/// restart markers (`DRI`/`RSTn`, which reset the DC prediction exactly where
/// each band's encoding started from zero) under one header with the full
/// height. Falls back to one band when the image is too small to split.
pub fn encode_jpeg_striped(
    img: &RgbImage,
    quality: u8,
    strips: usize,
) -> Result<Vec<u8>, EncodeError> {
    let (w, h) = img.dimensions();
    let mcu_rows = h.div_ceil(MCU);
    let strips = u32::try_from(strips).unwrap_or(1).clamp(1, mcu_rows.max(1));
    let band_rows = mcu_rows.div_ceil(strips) * MCU;
    let interval = u16::try_from((band_rows / MCU) * w.div_ceil(MCU)).ok();
    let (Some(interval), true) = (interval, strips > 1) else {
        return encode_jpeg(img, quality);
    };
    let row_bytes = w as usize * 3;
    let parts: Vec<Vec<u8>> = img
        .as_raw()
        .par_chunks(band_rows as usize * row_bytes)
        .map(|band| encode_rgb(band, w, (band.len() / row_bytes) as u32, quality))
        .collect::<Result<_, _>>()?;
    join_bands(&parts, h, interval)
}

/// Where the pieces of a baseline JPEG are: the SOF0 height field, the SOS
/// segment, its entropy-coded data.
struct Layout {
    height_at: usize,
    sos_at: usize,
    data_at: usize,
    data_end: usize,
}

fn layout(jpeg: &[u8]) -> Option<Layout> {
    let mut i = 2; // after SOI
    let mut height_at = None;
    loop {
        if *jpeg.get(i)? != 0xFF {
            return None;
        }
        let marker = *jpeg.get(i + 1)?;
        let len = usize::from(u16::from_be_bytes([*jpeg.get(i + 2)?, *jpeg.get(i + 3)?]));
        match marker {
            0xC0 => height_at = Some(i + 5),
            0xDA => {
                let data_end = jpeg.len().checked_sub(2)?;
                if jpeg.get(data_end..)? != [0xFF, 0xD9] {
                    return None;
                }
                return Some(Layout {
                    height_at: height_at?,
                    sos_at: i,
                    data_at: i + 2 + len,
                    data_end,
                });
            }
            _ => {}
        }
        i += 2 + len;
    }
}

/// One JPEG of `height` rows from bands encoded alone (same width, settings
/// and tables), every band but the last `interval` MCUs long.
fn join_bands(parts: &[Vec<u8>], height: u32, interval: u16) -> Result<Vec<u8>, EncodeError> {
    let bad = || EncodeError::Splice;
    let first = parts.first().ok_or_else(bad)?;
    let l = layout(first).ok_or_else(bad)?;
    let height = u16::try_from(height).map_err(|_| bad())?;
    let mut out = Vec::with_capacity(parts.iter().map(Vec::len).sum::<usize>() + 64);
    out.extend_from_slice(&first[..l.sos_at]);
    out[l.height_at..l.height_at + 2].copy_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&[0xFF, 0xDD, 0x00, 0x04]);
    out.extend_from_slice(&interval.to_be_bytes());
    out.extend_from_slice(&first[l.sos_at..l.data_at]);
    for (k, part) in parts.iter().enumerate() {
        let p = layout(part).ok_or_else(bad)?;
        if k > 0 {
            out.extend_from_slice(&[0xFF, 0xD0 + ((k - 1) % 8) as u8]);
        }
        out.extend_from_slice(&part[p.data_at..p.data_end]);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    Ok(out)
}

/// Bands for one annotated image. jpeg-encoder: four per core this
/// process may use, so that the cores stay evenly busy (bands of sky encode
/// faster than bands of street) while the thumbnail is made beside them.
/// libjpeg-turbo: one — it encodes the annotated image in about the time the
/// thumbnail takes to make on the other core. Worked out once: the core
/// count reads the cgroup's CPU limits from files.
fn bands() -> usize {
    static BANDS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *BANDS.get_or_init(|| {
        if cfg!(feature = "turbojpeg") {
            return 1;
        }
        4 * std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 16))
    })
}

/// Encodes the full-size annotated image as [`render`] does (at
/// [`ANNOTATED_QUALITY`], in bands with jpeg-encoder).
pub fn encode_annotated(rgb: &RgbImage) -> Result<Vec<u8>, EncodeError> {
    encode_jpeg_striped(rgb, ANNOTATED_QUALITY, bands())
}

/// Draws `detections` on `image` (in place when it is RGB8 already, as
/// every JPEG is), then encodes the annotated image (in bands with
/// jpeg-encoder, [`encode_jpeg_striped`]) while the thumbnail is made
/// ([`thumbnail`]: the same pixels as `image`'s, faster) and encoded, all on
/// rayon's pool.
pub fn render(image: DynamicImage, detections: &[Detection]) -> Result<Rendered, EncodeError> {
    let mut rgb = image.into_rgb8();
    draw_detections(&mut rgb, detections, &DrawStyle::default());
    let (annotated, thumbnail) = rayon::join(
        || encode_annotated(&rgb),
        || encode_jpeg(&thumbnail(&rgb, THUMB_SIZE), THUMB_QUALITY),
    );
    Ok(Rendered {
        annotated: annotated?,
        thumbnail: thumbnail?,
    })
}

/// The same stage as it was done before [`render`]: the `image` crate's
/// JPEG encoder, the annotated image and then the thumbnail on one thread.
/// Kept as the reference that `tests/annotate.rs` holds the quality of
/// [`render`] against (PSNR) and that `benches/annotate.rs` times it beside.
pub fn render_with_image_crate(
    image: DynamicImage,
    detections: &[Detection],
) -> Result<Rendered, image::ImageError> {
    let mut rgb = image.into_rgb8();
    draw_detections(&mut rgb, detections, &DrawStyle::default());
    let annotated = DynamicImage::ImageRgb8(rgb);
    let encode = |img: &DynamicImage, quality| -> Result<Vec<u8>, image::ImageError> {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(img)?;
        Ok(out)
    };
    let big = encode(&annotated, ANNOTATED_QUALITY)?;
    let small = encode(&annotated.thumbnail(THUMB_SIZE, THUMB_SIZE), THUMB_QUALITY)?;
    Ok(Rendered {
        annotated: big,
        thumbnail: small,
    })
}
