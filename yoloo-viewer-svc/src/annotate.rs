//! The "annotate" stage of an upload: boxes and captions drawn on the
//! decoded image (yoloo-core's drawing), then two JPEGs — the annotated image
//! and the gallery thumbnail — encoded at the same time, with
//! [`jpeg_encoder`] (AVX2 code paths chosen at run time, scalar otherwise).
//!
//! Quality settings are today's (88 and 80, chroma 4:2:2 like the `image`
//! crate's encoder used before); `tests/annotate.rs` checks the output
//! stays within 38 dB PSNR of that encoder's, and `benches/annotate.rs`
//! times both side by side.

use image::{DynamicImage, RgbImage};
use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};
use yoloo_core::Detection;
use yoloo_core::draw::{DrawStyle, draw_detections};

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
    /// The encoder failed.
    #[error("JPEG encoding: {0}")]
    Jpeg(#[from] jpeg_encoder::EncodingError),
    /// The encoding thread panicked.
    #[error("the JPEG encoding thread failed")]
    Thread,
}

/// The two encoded images of an upload.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The annotated image, full size.
    pub annotated: Vec<u8>,
    /// The annotated image, at most [`THUMB_SIZE`] on its longer side.
    pub thumbnail: Vec<u8>,
}

/// Encodes an RGB image as a baseline JPEG at `quality` (1–100), chroma 4:2:2.
pub fn encode_jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>, EncodeError> {
    let too_large = || EncodeError::TooLarge {
        width: img.width(),
        height: img.height(),
    };
    let w = u16::try_from(img.width()).map_err(|_| too_large())?;
    let h = u16::try_from(img.height()).map_err(|_| too_large())?;
    // About a tenth of the raw size for photos at these qualities.
    let mut out = Vec::with_capacity(img.as_raw().len() / 8);
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(SamplingFactor::R_4_2_2);
    encoder.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    encoder.encode(img.as_raw(), w, h, ColorType::Rgb)?;
    Ok(out)
}

/// Draws `detections` on `image` (in place when it is RGB8 already, as
/// every JPEG is), then encodes the annotated image on a second thread while
/// this one makes and encodes the thumbnail.
pub fn render(image: DynamicImage, detections: &[Detection]) -> Result<Rendered, EncodeError> {
    let mut rgb = image.into_rgb8();
    draw_detections(&mut rgb, detections, &DrawStyle::default());
    let annotated = DynamicImage::ImageRgb8(rgb);
    std::thread::scope(|s| {
        let big = s.spawn(|| match &annotated {
            DynamicImage::ImageRgb8(rgb) => encode_jpeg(rgb, ANNOTATED_QUALITY),
            other => encode_jpeg(&other.to_rgb8(), ANNOTATED_QUALITY),
        });
        let thumb = annotated.thumbnail(THUMB_SIZE, THUMB_SIZE).into_rgb8();
        let thumbnail = encode_jpeg(&thumb, THUMB_QUALITY)?;
        let annotated = big.join().map_err(|_| EncodeError::Thread)??;
        Ok(Rendered {
            annotated,
            thumbnail,
        })
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
