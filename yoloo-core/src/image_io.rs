//! Safe decoding of user-supplied encoded images (JPEG, PNG, GIF, BMP, WebP, TIFF).
//!
//! Everything here treats its input as untrusted:
//!
//! * the format is guessed from the content (magic bytes), never from a file
//!   extension;
//! * the dimensions are read from the header and checked against
//!   [`DecodeLimits::max_pixels`] *before* any pixel data is decoded, and the
//!   decoder additionally runs with [`image::Limits`] (maximum width/height and
//!   maximum allocation) as a second guard;
//! * empty, random and truncated inputs give [`Error::Decode`] with a message
//!   saying what is wrong, never a panic;
//! * the EXIF orientation is applied, so a portrait photo taken with a rotated
//!   camera comes out upright (as OpenCV's `imread` does by default).
//!
//! ## Truncated files
//!
//! The PNG, GIF, BMP, WebP and TIFF decoders report a truncated file as an
//! error. The JPEG decoder, however, silently fills the missing part of a
//! truncated JPEG with grey. To catch that, the JPEG marker structure is
//! walked before decoding (segments, then the entropy-coded data up to the next
//! marker) and a JPEG that ends before its EOI (end of image) marker is
//! rejected with an [`Error::Decode`] whose message starts with `truncated`.
//! Bytes *after* the EOI marker (camera trailers, "motion photo" videos) are
//! accepted and ignored.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader};

use crate::error::{Error, Result};

/// Resource limits applied when decoding an untrusted image.
///
/// ```
/// use yoloo_core::image_io::DecodeLimits;
/// let limits = DecodeLimits { max_pixels: 10_000_000, ..DecodeLimits::default() };
/// assert_eq!(limits.max_alloc, 512 * 1024 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(default)
)]
pub struct DecodeLimits {
    /// Largest accepted `width * height` (default 40 000 000, e.g. 8000×5000).
    pub max_pixels: u64,
    /// Largest number of bytes the decoder may allocate, including the decoded
    /// image itself (default 512 MiB).
    pub max_alloc: u64,
}

impl DecodeLimits {
    /// Default for [`DecodeLimits::max_pixels`].
    pub const DEFAULT_MAX_PIXELS: u64 = 40_000_000;
    /// Default for [`DecodeLimits::max_alloc`].
    pub const DEFAULT_MAX_ALLOC: u64 = 512 * 1024 * 1024;
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_pixels: Self::DEFAULT_MAX_PIXELS,
            max_alloc: Self::DEFAULT_MAX_ALLOC,
        }
    }
}

const SUPPORTED: &str = "expected JPEG, PNG, GIF, BMP, WebP or TIFF";

/// Decodes an encoded image held in memory.
///
/// The format is guessed from the content. The image header is read first and
/// an image with more than `limits.max_pixels` pixels is rejected with
/// [`Error::TooManyPixels`] before its pixel data is decoded. The EXIF
/// orientation, if any, is applied, so the returned image is upright and its
/// dimensions are those *after* rotation.
///
/// # Errors
///
/// * [`Error::Decode`] for empty input, an unrecognised format, a corrupt or
///   truncated file (see the [module documentation](self) for JPEG), or when
///   decoding would allocate more than `limits.max_alloc` bytes;
/// * [`Error::TooManyPixels`] when the image is over `limits.max_pixels`.
///
/// # Example
///
/// ```
/// use yoloo_core::image_io::{decode_image, DecodeLimits};
///
/// // Encode a small image, as if it had come from a user.
/// let img = image::RgbImage::from_pixel(8, 4, image::Rgb([255, 0, 0]));
/// let mut png = Vec::new();
/// img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
///
/// let decoded = decode_image(&png, &DecodeLimits::default()).unwrap();
/// assert_eq!((decoded.width(), decoded.height()), (8, 4));
///
/// // Garbage is an error, not a panic.
/// assert!(decode_image(b"not an image", &DecodeLimits::default()).is_err());
/// // So is an image over the pixel limit.
/// let tiny = DecodeLimits { max_pixels: 16, ..DecodeLimits::default() };
/// assert!(matches!(
///     decode_image(&png, &tiny),
///     Err(yoloo_core::Error::TooManyPixels { width: 8, height: 4, .. })
/// ));
/// ```
pub fn decode_image(bytes: &[u8], limits: &DecodeLimits) -> Result<DynamicImage> {
    // Decoders are fuzzed, but a panic on hostile input must not take the
    // caller down: turn one into an error (no-op with `panic = "abort"`).
    match std::panic::catch_unwind(|| decode_image_inner(bytes, limits)) {
        Ok(result) => result,
        Err(_) => Err(Error::Decode(
            "the image decoder panicked on this input".into(),
        )),
    }
}

fn decode_image_inner(bytes: &[u8], limits: &DecodeLimits) -> Result<DynamicImage> {
    let format = guess_format(bytes)?;
    let name = format_name(format);

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(image_limits(limits));
    let mut decoder = reader.into_decoder().map_err(|e| decode_error(name, e))?;

    let (width, height) = decoder.dimensions();
    check_pixels(width, height, limits)?;

    // Same accounting as `ImageReader::decode`: the output buffer counts
    // towards `max_alloc`, the decoder gets what is left.
    let total = decoder.total_bytes();
    if total > limits.max_alloc {
        return Err(Error::Decode(format!(
            "{name} image {width}x{height} needs {total} bytes once decoded, \
             over the max_alloc limit of {} bytes",
            limits.max_alloc
        )));
    }
    let mut remaining = image_limits(limits);
    remaining.max_alloc = Some(limits.max_alloc - total);
    decoder
        .set_limits(remaining)
        .map_err(|e| decode_error(name, e))?;

    if format == ImageFormat::Jpeg {
        check_jpeg_complete(bytes)?;
    }

    // A broken EXIF block does not make the pixels unusable: ignore it.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(name, e))?;
    img.apply_orientation(orientation);
    Ok(img)
}

/// Reads and decodes an image file with [`decode_image`].
///
/// The format is guessed from the content, not from the extension.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be read, otherwise as [`decode_image`].
pub fn open_image(path: &Path, limits: &DecodeLimits) -> Result<DynamicImage> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode_image(&bytes, limits)
}

/// The dimensions `(width, height)` of an encoded image, read from its header
/// without decoding the pixel data.
///
/// These are the dimensions *as stored*: the EXIF orientation is not applied
/// (for a rotated photo [`decode_image`] returns them swapped). The pixel count
/// is the same either way.
///
/// # Errors
///
/// [`Error::Decode`] for empty input, an unrecognised format or a corrupt header.
///
/// ```
/// let img = image::GrayImage::new(3, 2);
/// let mut png = Vec::new();
/// img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
/// assert_eq!(yoloo_core::image_io::peek_dimensions(&png).unwrap(), (3, 2));
/// ```
pub fn peek_dimensions(bytes: &[u8]) -> Result<(u32, u32)> {
    let format = guess_format(bytes)?;
    let name = format_name(format);
    std::panic::catch_unwind(|| {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        // Only the header is read; the strict limits stay off so that an
        // oversized image still reports its size.
        reader.no_limits();
        reader.into_dimensions().map_err(|e| decode_error(name, e))
    })
    .unwrap_or_else(|_| {
        Err(Error::Decode(
            "the image decoder panicked on this input".into(),
        ))
    })
}

fn guess_format(bytes: &[u8]) -> Result<ImageFormat> {
    if bytes.is_empty() {
        return Err(Error::Decode("empty input (0 bytes)".into()));
    }
    match image::guess_format(bytes) {
        Ok(
            f @ (ImageFormat::Jpeg
            | ImageFormat::Png
            | ImageFormat::Gif
            | ImageFormat::Bmp
            | ImageFormat::WebP
            | ImageFormat::Tiff),
        ) => Ok(f),
        Ok(f) => Err(Error::Decode(format!(
            "unsupported image format {} ({SUPPORTED})",
            f.extensions_str().first().copied().unwrap_or("?")
        ))),
        Err(_) => Err(Error::Decode(format!(
            "unrecognised image format ({SUPPORTED}; {} bytes starting with {})",
            bytes.len(),
            hex_prefix(bytes)
        ))),
    }
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::Gif => "GIF",
        ImageFormat::Bmp => "BMP",
        ImageFormat::WebP => "WebP",
        ImageFormat::Tiff => "TIFF",
        _ => "image",
    }
}

fn image_limits(limits: &DecodeLimits) -> image::Limits {
    // With a height of at least 1, no side can exceed the pixel limit.
    let side = u32::try_from(limits.max_pixels).unwrap_or(u32::MAX);
    let mut l = image::Limits::no_limits();
    l.max_image_width = Some(side);
    l.max_image_height = Some(side);
    l.max_alloc = Some(limits.max_alloc);
    l
}

fn check_pixels(width: u32, height: u32, limits: &DecodeLimits) -> Result<()> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(Error::TooManyPixels {
            width,
            height,
            pixels,
            limit: limits.max_pixels,
        });
    }
    if pixels == 0 {
        return Err(Error::Decode(format!(
            "image is {width}x{height}: it has no pixels"
        )));
    }
    Ok(())
}

fn decode_error(name: &str, e: ImageError) -> Error {
    let truncated = match &e {
        ImageError::IoError(io) => io.kind() == std::io::ErrorKind::UnexpectedEof,
        other => {
            let msg = other.to_string().to_ascii_lowercase();
            [
                "eof",
                "end of file",
                "fill whole buffer",
                "not enough bytes",
            ]
            .iter()
            .any(|m| msg.contains(m))
        }
    };
    let detail = e.to_string();
    let detail = detail.trim_end();
    match e {
        ImageError::Limits(_) => Error::Decode(format!("{name}: decoder limit exceeded: {detail}")),
        _ if truncated => Error::Decode(format!("truncated or corrupt {name} file: {detail}")),
        _ => Error::Decode(format!("corrupt {name} file: {detail}")),
    }
}

/// Walks the JPEG marker structure and fails unless an EOI marker is reached.
fn check_jpeg_complete(bytes: &[u8]) -> Result<()> {
    let truncated = |what: &str| {
        Err(Error::Decode(format!(
            "truncated JPEG file: {what} ({} bytes, no end-of-image marker)",
            bytes.len()
        )))
    };
    let n = bytes.len();
    if n < 2 || bytes[0] != 0xFF || bytes[1] != 0xD8 {
        return Err(Error::Decode(
            "corrupt JPEG file: missing start-of-image marker".into(),
        ));
    }
    let mut i = 2;
    loop {
        // Find the next marker, tolerating stray bytes and 0xFF fill bytes.
        match find_ff(&bytes[i..]) {
            Some(p) => i += p,
            None => return truncated("ends between segments"),
        }
        while i < n && bytes[i] == 0xFF {
            i += 1;
        }
        if i >= n {
            return truncated("ends inside a marker");
        }
        let marker = bytes[i];
        i += 1;
        match marker {
            0xD9 => return Ok(()),                 // EOI
            0x00 | 0x01 | 0xD0..=0xD8 => continue, // no length field
            _ => {}
        }
        if i + 2 > n {
            return truncated("ends inside a segment header");
        }
        let len = usize::from(u16::from_be_bytes([bytes[i], bytes[i + 1]]));
        if len < 2 {
            return Err(Error::Decode(format!(
                "corrupt JPEG file: segment length {len} at byte {i}"
            )));
        }
        i += len;
        if i > n {
            return truncated("ends inside a segment");
        }
        if marker == 0xDA {
            // Entropy-coded data: runs until a 0xFF that is neither a
            // stuffed 0xFF00, a restart marker nor a fill byte.
            loop {
                match find_ff(&bytes[i..]) {
                    Some(p) => i += p,
                    None => return truncated("ends inside the compressed image data"),
                }
                if i + 1 >= n {
                    return truncated("ends inside the compressed image data");
                }
                match bytes[i + 1] {
                    0x00 | 0xD0..=0xD7 => i += 2,
                    0xFF => i += 1,
                    _ => break,
                }
            }
        }
    }
}

/// Position of the first 0xFF byte; checks 32 bytes at a time so that it
/// vectorises (JPEG data is mostly free of 0xFF).
fn find_ff(s: &[u8]) -> Option<usize> {
    let mut chunks = s.chunks_exact(32);
    let mut base = 0;
    for c in &mut chunks {
        if c.iter().fold(false, |acc, &b| acc | (b == 0xFF)) {
            return c.iter().position(|&b| b == 0xFF).map(|p| base + p);
        }
        base += 32;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == 0xFF)
        .map(|p| base + p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

    fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    /// A smooth, non-square test picture.
    fn picture(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            Rgb([
                (x * 255 / w.max(2)) as u8,
                (y * 255 / h.max(2)) as u8,
                ((x + y) % 256) as u8,
            ])
        })
    }

    fn limits() -> DecodeLimits {
        DecodeLimits::default()
    }

    fn decode_err(bytes: &[u8]) -> String {
        match decode_image(bytes, &limits()) {
            Err(Error::Decode(m)) => m,
            other => panic!("expected Error::Decode, got {other:?}"),
        }
    }

    #[test]
    fn zero_bytes() {
        let m = decode_err(&[]);
        assert!(m.contains("empty"), "{m}");
        assert!(matches!(peek_dimensions(&[]), Err(Error::Decode(_))));
    }

    #[test]
    fn random_bytes() {
        // xorshift so that the test needs no RNG crate
        let mut s = 0x2545_f491_4f6c_dd1du64;
        for len in [1usize, 7, 16, 100, 4096] {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    s as u8
                })
                .collect();
            let m = decode_err(&bytes);
            assert!(m.contains("unrecognised image format"), "{m}");
        }
    }

    #[test]
    fn magic_bytes_only() {
        // Right signature, nothing after it.
        for bytes in [
            &b"\x89PNG\r\n\x1a\n"[..],
            &[0xFF, 0xD8, 0xFF],
            b"GIF89a",
            b"BM",
        ] {
            let _ = decode_err(bytes);
        }
    }

    #[test]
    fn truncated_jpeg() {
        let jpg = encode(&DynamicImage::ImageRgb8(picture(64, 48)), ImageFormat::Jpeg);
        assert!(decode_image(&jpg, &limits()).is_ok());
        for cut in [
            jpg.len() - 2,
            jpg.len() - 1,
            jpg.len() * 3 / 4,
            jpg.len() / 2,
            200,
            20,
            4,
        ] {
            let m = decode_err(&jpg[..cut]);
            assert!(
                m.contains("truncated") || m.contains("corrupt"),
                "cut {cut}: {m}"
            );
        }
        // Trailing bytes after EOI are fine.
        let mut trailer = jpg.clone();
        trailer.extend_from_slice(b"\0\0trailer\xFF\xDA\x00");
        assert!(decode_image(&trailer, &limits()).is_ok());
    }

    #[test]
    fn truncated_png() {
        let png = encode(&DynamicImage::ImageRgb8(picture(64, 48)), ImageFormat::Png);
        assert!(decode_image(&png, &limits()).is_ok());
        for cut in [png.len() - 20, png.len() / 2, 40, 20, 9] {
            let m = decode_err(&png[..cut]);
            assert!(
                m.contains("truncated") || m.contains("corrupt"),
                "cut {cut}: {m}"
            );
        }
    }

    #[test]
    fn huge_png_header_rejected_before_decoding() {
        // A tiny (invalid) IDAT and IEND follow the header: nothing would
        // decode anyway, the point is that the size check fires first.
        let png = yoloo_testkit::hostile::png_bomb(60_000, 60_000);

        assert_eq!(peek_dimensions(&png).unwrap(), (60_000, 60_000));
        match decode_image(&png, &limits()) {
            Err(Error::TooManyPixels {
                width,
                height,
                pixels,
                limit,
            }) => {
                assert_eq!((width, height, pixels), (60_000, 60_000, 3_600_000_000));
                assert_eq!(limit, DecodeLimits::DEFAULT_MAX_PIXELS);
            }
            other => panic!("expected TooManyPixels, got {other:?}"),
        }
        // Under a pixel limit that allows it, the allocation limit still applies.
        let loose = DecodeLimits {
            max_pixels: u64::MAX,
            ..limits()
        };
        let m = match decode_image(&png, &loose) {
            Err(Error::Decode(m)) => m,
            other => panic!("expected Error::Decode, got {other:?}"),
        };
        assert!(m.contains("max_alloc") || m.contains("limit"), "{m}");
    }

    #[test]
    fn pixel_limit_is_inclusive() {
        let png = encode(&DynamicImage::ImageRgb8(picture(10, 10)), ImageFormat::Png);
        let exact = DecodeLimits {
            max_pixels: 100,
            ..limits()
        };
        assert!(decode_image(&png, &exact).is_ok());
        let under = DecodeLimits {
            max_pixels: 99,
            ..limits()
        };
        assert!(matches!(
            decode_image(&png, &under),
            Err(Error::TooManyPixels { .. })
        ));
    }

    /// An APP1 Exif segment holding only the orientation tag.
    fn exif_app1(orientation: u16) -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"MM\x00\x2a"); // big-endian TIFF header
        tiff.extend_from_slice(&8u32.to_be_bytes()); // offset of IFD0
        tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
        tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
        tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
        tiff.extend_from_slice(&1u32.to_be_bytes()); // count
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0]); // value padding
        tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend(tiff);
        let mut seg = vec![0xFF, 0xE1];
        seg.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        seg.extend(payload);
        seg
    }

    #[test]
    fn jpeg_exif_orientation_applied() {
        let jpg = encode(&DynamicImage::ImageRgb8(picture(40, 24)), ImageFormat::Jpeg);
        // Splice the Exif segment right after SOI.
        let mut rotated = jpg[..2].to_vec();
        rotated.extend(exif_app1(6));
        rotated.extend_from_slice(&jpg[2..]);

        assert_eq!(peek_dimensions(&rotated).unwrap(), (40, 24));
        let plain = decode_image(&jpg, &limits()).unwrap();
        let img = decode_image(&rotated, &limits()).unwrap();
        assert_eq!((plain.width(), plain.height()), (40, 24));
        assert_eq!((img.width(), img.height()), (24, 40));
        // Orientation 6 = rotate 90° clockwise: the stored top-left pixel
        // ends up in the top-right corner.
        let a = plain.to_rgb8();
        let b = img.to_rgb8();
        assert_eq!(a.get_pixel(0, 0), b.get_pixel(23, 0));
        assert_eq!(a.get_pixel(39, 23), b.get_pixel(0, 39));

        // A JPEG with orientation 1 is untouched.
        let mut upright = jpg[..2].to_vec();
        upright.extend(exif_app1(1));
        upright.extend_from_slice(&jpg[2..]);
        let img = decode_image(&upright, &limits()).unwrap();
        assert_eq!((img.width(), img.height()), (40, 24));
    }

    #[test]
    fn grayscale_and_rgba_decode() {
        let gray = DynamicImage::ImageLuma8(GrayImage::from_fn(9, 5, |x, y| {
            image::Luma([(x * 20 + y) as u8])
        }));
        let rgba = DynamicImage::ImageRgba8(RgbaImage::from_fn(7, 3, |x, _| {
            Rgba([x as u8 * 30, 10, 200, 128])
        }));
        for (img, fmt) in [
            (&gray, ImageFormat::Png),
            (&gray, ImageFormat::Jpeg),
            (&gray, ImageFormat::Bmp),
            (&rgba, ImageFormat::Png),
            (&rgba, ImageFormat::WebP),
            (&rgba, ImageFormat::Tiff),
        ] {
            let bytes = encode(img, fmt);
            let d = decode_image(&bytes, &limits()).unwrap_or_else(|e| panic!("{fmt:?}: {e}"));
            assert_eq!(
                (d.width(), d.height()),
                (img.width(), img.height()),
                "{fmt:?}"
            );
            if fmt == ImageFormat::Png {
                assert_eq!(d.color(), img.color(), "{fmt:?}");
            }
            if fmt != ImageFormat::Jpeg {
                // Lossless; BMP stores grey as palette RGB.
                assert_eq!(d.to_rgba8(), img.to_rgba8(), "{fmt:?}");
            }
        }
    }

    #[test]
    fn other_formats_decode() {
        let img = DynamicImage::ImageRgb8(picture(17, 11));
        for fmt in [
            ImageFormat::Gif,
            ImageFormat::Bmp,
            ImageFormat::Tiff,
            ImageFormat::WebP,
        ] {
            let bytes = encode(&img, fmt);
            let d = decode_image(&bytes, &limits()).unwrap_or_else(|e| panic!("{fmt:?}: {e}"));
            assert_eq!((d.width(), d.height()), (17, 11), "{fmt:?}");
            assert_eq!(peek_dimensions(&bytes).unwrap(), (17, 11), "{fmt:?}");
        }
    }

    #[test]
    fn open_missing_file_is_io_error() {
        let e = open_image(Path::new("/nonexistent/yoloo/none.jpg"), &limits()).unwrap_err();
        assert!(matches!(e, Error::Io { .. }), "{e:?}");
    }

    #[test]
    fn open_guesses_from_content_not_extension() {
        let dir = std::env::temp_dir().join(format!("yoloo-image-io-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("actually_a_png.jpg");
        std::fs::write(
            &path,
            encode(&DynamicImage::ImageRgb8(picture(5, 6)), ImageFormat::Png),
        )
        .unwrap();
        let img = open_image(&path, &limits()).unwrap();
        assert_eq!((img.width(), img.height()), (5, 6));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn small_alloc_limit_is_decode_error() {
        let png = encode(&DynamicImage::ImageRgb8(picture(64, 64)), ImageFormat::Png);
        let l = DecodeLimits {
            max_alloc: 1000,
            ..limits()
        };
        let m = match decode_image(&png, &l) {
            Err(Error::Decode(m)) => m,
            other => panic!("expected Error::Decode, got {other:?}"),
        };
        assert!(m.contains("max_alloc"), "{m}");
    }

    #[test]
    fn find_ff_matches_naive() {
        let data: Vec<u8> = (0..200u32)
            .map(|i| if i % 67 == 66 { 0xFF } else { i as u8 % 200 })
            .collect();
        for start in 0..data.len() {
            let s = &data[start..];
            assert_eq!(
                find_ff(s),
                s.iter().position(|&b| b == 0xFF),
                "start {start}"
            );
        }
    }
}
