//! The annotate stage keeps today's look: on real photos with their
//! yolov3-tiny detections, the annotated image and thumbnail that
//! `annotate::render` encodes (libjpeg-turbo with the `turbojpeg` feature,
//! else jpeg-encoder: run this file both ways) are within 38 dB PSNR of what
//! the `image` crate's encoder makes at the same quality, and have the same
//! sizes; a banded encode decodes to the pixels of a one-piece one; the
//! thumbnail's pixels are exactly those of `image`'s own `thumbnail`,
//! whatever the size.

use image::{DynamicImage, RgbImage};
use proptest::prelude::*;
use yoloo_core::Detector;
use yoloo_core::image_io::{DecodeLimits, decode_image, open_image};
use yoloo_viewer_svc::annotate::{
    ENCODER, EncodeError, THUMB_SIZE, encode_jpeg, encode_jpeg_striped, render,
    render_with_image_crate,
};
use yoloo_viewer_svc::thumbnail::thumbnail;

/// Peak signal-to-noise ratio of two same-sized RGB images, in dB.
fn psnr(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let se: f64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum();
    let mse = se / a.as_raw().len() as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    }
}

fn decoded(jpeg: &[u8]) -> RgbImage {
    decode_image(jpeg, &DecodeLimits::default())
        .expect("our JPEG decodes")
        .into_rgb8()
}

#[test]
fn render_stays_within_38_db_of_the_image_crate_encoder() {
    let detector = Detector::builder(yoloo_testkit::tiny_cfg())
        .build()
        .expect("model");
    for name in ["bus.jpg", "zidane.jpg", "grace_hopper.jpg", "chelsea.png"] {
        let image =
            open_image(&yoloo_testkit::image(name), &DecodeLimits::default()).expect("photo");
        let dets = detector.detect(&image).expect("detect").detections;
        if name == "bus.jpg" {
            assert!(dets.len() >= 3, "{name}: {dets:?}");
        }
        let new = render(image.clone(), &dets).expect("render");
        let old = render_with_image_crate(image.clone(), &dets).expect("reference");
        let (na, oa) = (decoded(&new.annotated), decoded(&old.annotated));
        assert_eq!(na.dimensions(), (image.width(), image.height()), "{name}");
        let (nt, ot) = (decoded(&new.thumbnail), decoded(&old.thumbnail));
        assert!(nt.width().max(nt.height()) <= THUMB_SIZE, "{name}");
        let (pa, pt) = (psnr(&na, &oa), psnr(&nt, &ot));
        eprintln!(
            "{name} ({ENCODER}): PSNR annotated {pa:.1} dB ({} vs {} bytes), thumbnail {pt:.1} dB ({} vs {} bytes)",
            new.annotated.len(),
            old.annotated.len(),
            new.thumbnail.len(),
            old.thumbnail.len()
        );
        assert!(pa >= 38.0, "{name}: annotated PSNR {pa:.2} dB < 38");
        assert!(pt >= 38.0, "{name}: thumbnail PSNR {pt:.2} dB < 38");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Shrinking (whole-pixel blocks, the fast path), enlarging (left to
    /// `image`), thin and square images, any content: the same bytes as
    /// `DynamicImage::thumbnail`.
    #[test]
    fn thumbnail_is_the_image_crates_pixel_for_pixel(
        width in 1u32..1400,
        height in 1u32..1400,
        max in 1u32..700,
        seed in any::<u32>(),
    ) {
        let photo = RgbImage::from_fn(width, height, |x, y| {
            let v = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503) ^ seed).rotate_left(x % 17);
            image::Rgb([v as u8, (v >> 8) as u8, (v >> 16) as u8])
        });
        let ours = thumbnail(&photo, max);
        let theirs = DynamicImage::ImageRgb8(photo).thumbnail(max, max).into_rgb8();
        prop_assert_eq!(ours.dimensions(), theirs.dimensions());
        prop_assert!(ours == theirs, "{}×{} at {}: pixels differ", width, height, max);
    }
}

#[test]
fn thumbnail_of_an_empty_image_is_the_image_crates() {
    for (w, h) in [(0, 0), (0, 5), (7, 0)] {
        let empty = RgbImage::new(w, h);
        let theirs = DynamicImage::ImageRgb8(empty.clone())
            .thumbnail(THUMB_SIZE, THUMB_SIZE)
            .into_rgb8();
        assert_eq!(thumbnail(&empty, THUMB_SIZE), theirs, "{w}×{h}");
    }
}

fn photo_like(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let v = (x * 7 + y * 13) ^ (x * y);
        image::Rgb([
            (v % 251) as u8,
            ((x + 3 * y) % 256) as u8,
            ((v >> 3) % 256) as u8,
        ])
    })
}

/// Banded or not, the same pixels: restart markers change how the
/// coefficients are coded, not which.
#[test]
fn bands_decode_to_the_same_pixels_as_one_piece() {
    for (w, h, strips) in [
        (810, 1080, 2),
        (811, 1077, 3),
        (64, 20, 4),
        (33, 7, 2),
        (16, 16, 8),
    ] {
        let img = photo_like(w, h);
        let whole = decoded(&encode_jpeg(&img, 88).expect("encode"));
        let banded = encode_jpeg_striped(&img, 88, strips).expect("banded");
        assert_eq!(decoded(&banded), whole, "{w}×{h} in {strips} ({ENCODER})");
    }
}

#[test]
fn too_large_for_jpeg_is_an_error() {
    let img = RgbImage::new(70_000, 1);
    assert!(matches!(
        encode_jpeg(&img, 80),
        Err(EncodeError::TooLarge {
            width: 70_000,
            height: 1
        })
    ));
}
