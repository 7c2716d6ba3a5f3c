//! What both services check on an uploaded image before they store or queue
//! it, and which error code each refusal gets. Transport-free: bytes in, a
//! typed answer out.
//!
//! | refusal | code |
//! |---|---|
//! | 0 bytes | `missing_image` (400) |
//! | over the byte limit | `payload_too_large` (413) |
//! | no image in a supported format (by content, never by name) | `unsupported_media_type` (415) |
//! | a supported format, but its header does not parse | `undecodable_image` (422) |
//! | over the pixel limit (from the header, nothing decoded) | `too_many_pixels` (422) |
//!
//! A file that passes can still fail to decode in full (a truncated JPEG):
//! [`decode_rejection`] maps that to `undecodable_image` too.

use image::ImageFormat;
use utoipa::IntoResponses;
use yoloo_core::image_io::peek_dimensions;

use crate::error::{ErrorBody, ErrorCode};

/// How both services answer an upload the checks here refuse, for their
/// OpenAPI documents (`responses(..., UploadRefused, ...)`): one description
/// of one set of codes.
#[derive(Debug, IntoResponses)]
pub enum UploadRefused {
    /// `payload_too_large`: over `YOLOO_MAX_BODY_BYTES`.
    #[response(
        status = 413,
        description = "Over YOLOO_MAX_BODY_BYTES (`payload_too_large`)"
    )]
    TooLarge(ErrorBody),
    /// `unsupported_media_type`.
    #[response(
        status = 415,
        description = "Not a JPEG, PNG, GIF, BMP, WebP or TIFF image by its content, or a Content-Type the route does not take (`unsupported_media_type`)"
    )]
    Unsupported(ErrorBody),
    /// `undecodable_image` or `too_many_pixels`.
    #[response(
        status = 422,
        description = "A supported format that does not decode (`undecodable_image`), or over YOLOO_MAX_PIXELS (`too_many_pixels`, read from the header)"
    )]
    Unprocessable(ErrorBody),
}

/// An image file's bytes, as OpenAPI documents a binary body or file field
/// (`type: string, format: binary`).
#[derive(Debug, utoipa::ToSchema)]
#[schema(value_type = String, format = Binary, min_length = 1)]
pub struct ImageBytes(pub Vec<u8>);

/// The formats the services take, with their MIME types.
const ACCEPTED: [(ImageFormat, &str); 6] = [
    (ImageFormat::Jpeg, "image/jpeg"),
    (ImageFormat::Png, "image/png"),
    (ImageFormat::Gif, "image/gif"),
    (ImageFormat::Bmp, "image/bmp"),
    (ImageFormat::WebP, "image/webp"),
    (ImageFormat::Tiff, "image/tiff"),
];

/// An upload that passed [`inspect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    /// The format, sniffed from the content.
    pub format: ImageFormat,
    /// Its MIME type.
    pub mime: &'static str,
    /// Width in pixels, from the header (before EXIF orientation).
    pub width: u32,
    /// Height in pixels, from the header.
    pub height: u32,
}

/// Why an upload is refused.
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    /// No bytes at all.
    #[error("the image is empty (0 bytes)")]
    Empty,
    /// Over the byte limit.
    #[error("{size} bytes is over the limit of {limit} bytes")]
    TooLarge {
        /// The upload's size.
        size: usize,
        /// `YOLOO_MAX_BODY_BYTES`.
        limit: usize,
    },
    /// Not an image in an accepted format.
    #[error("not a JPEG, PNG, GIF, BMP, WebP or TIFF image ({found})")]
    UnsupportedFormat {
        /// What the content looks like.
        found: String,
    },
    /// An accepted format that does not decode.
    #[error(transparent)]
    Undecodable(yoloo_core::Error),
    /// Over the pixel limit.
    #[error("{width}×{height} is {pixels} pixels, over the limit of {limit}")]
    TooManyPixels {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// `width × height`.
        pixels: u64,
        /// `YOLOO_MAX_PIXELS`.
        limit: u64,
    },
}

impl Rejection {
    /// The error code both services answer with.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Empty => ErrorCode::MissingImage,
            Self::TooLarge { .. } => ErrorCode::PayloadTooLarge,
            Self::UnsupportedFormat { .. } => ErrorCode::UnsupportedMediaType,
            Self::Undecodable(_) => ErrorCode::UndecodableImage,
            Self::TooManyPixels { .. } => ErrorCode::TooManyPixels,
        }
    }
}

/// The accepted format of `bytes`, by their content, with its MIME type.
///
/// ```
/// use yoloo_api::upload::sniff;
/// assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....").map(|(_, mime)| mime), Some("image/png"));
/// assert_eq!(sniff(b"hello, not an image"), None);
/// ```
pub fn sniff(bytes: &[u8]) -> Option<(ImageFormat, &'static str)> {
    let format = image::guess_format(bytes).ok()?;
    ACCEPTED.iter().copied().find(|(f, _)| *f == format)
}

/// Checks an upload without decoding its pixels: not empty, at most
/// `max_bytes`, an accepted format by content, a header that parses, at most
/// `max_pixels`.
///
/// ```
/// use yoloo_api::{ErrorCode, upload::inspect};
/// let mut png = Vec::new();
/// image::GrayImage::new(30, 20)
///     .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
///     .unwrap();
/// let info = inspect(&png, 1 << 20, 1_000).unwrap();
/// assert_eq!((info.mime, info.width, info.height), ("image/png", 30, 20));
/// assert_eq!(inspect(&png, 1 << 20, 599).unwrap_err().code(), ErrorCode::TooManyPixels);
/// assert_eq!(inspect(b"GIF89a?", 1 << 20, 1_000).unwrap_err().code(), ErrorCode::UndecodableImage);
/// assert_eq!(inspect(b"%PDF-1.7", 1 << 20, 1_000).unwrap_err().code(), ErrorCode::UnsupportedMediaType);
/// assert_eq!(inspect(b"", 1 << 20, 1_000).unwrap_err().code(), ErrorCode::MissingImage);
/// ```
pub fn inspect(bytes: &[u8], max_bytes: usize, max_pixels: u64) -> Result<ImageInfo, Rejection> {
    if bytes.is_empty() {
        return Err(Rejection::Empty);
    }
    if bytes.len() > max_bytes {
        return Err(Rejection::TooLarge {
            size: bytes.len(),
            limit: max_bytes,
        });
    }
    let Some((format, mime)) = sniff(bytes) else {
        return Err(Rejection::UnsupportedFormat {
            found: describe(bytes),
        });
    };
    let (width, height) = peek_dimensions(bytes).map_err(Rejection::Undecodable)?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > max_pixels {
        return Err(Rejection::TooManyPixels {
            width,
            height,
            pixels,
            limit: max_pixels,
        });
    }
    Ok(ImageInfo {
        format,
        mime,
        width,
        height,
    })
}

/// The refusal for a full decode that failed after [`inspect`] passed.
pub fn decode_rejection(e: yoloo_core::Error) -> Rejection {
    match e {
        yoloo_core::Error::TooManyPixels {
            width,
            height,
            pixels,
            limit,
        } => Rejection::TooManyPixels {
            width,
            height,
            pixels,
            limit,
        },
        e => Rejection::Undecodable(e),
    }
}

/// "an ICO image", or the first bytes of something unrecognised.
fn describe(bytes: &[u8]) -> String {
    match image::guess_format(bytes) {
        Ok(f) => format!(
            "a {} image",
            f.extensions_str().first().copied().unwrap_or("?")
        ),
        Err(_) => {
            let head: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
            format!("{} bytes starting with {}", bytes.len(), head.join(" "))
        }
    }
}
