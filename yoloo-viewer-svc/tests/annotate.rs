//! The annotate stage keeps today's look: on real photos with their
//! yolov3-tiny detections, the annotated image and thumbnail that
//! `annotate::render` encodes (jpeg-encoder) are within 38 dB PSNR of what
//! the `image` crate's encoder makes at the same quality, and have the same
//! sizes.

use image::RgbImage;
use yoloo_core::Detector;
use yoloo_core::image_io::{DecodeLimits, decode_image, open_image};
use yoloo_viewer_svc::annotate::{THUMB_SIZE, render, render_with_image_crate};

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
            "{name}: PSNR annotated {pa:.1} dB ({} vs {} bytes), thumbnail {pt:.1} dB ({} vs {} bytes)",
            new.annotated.len(),
            old.annotated.len(),
            new.thumbnail.len(),
            old.thumbnail.len()
        );
        assert!(pa >= 38.0, "{name}: annotated PSNR {pa:.2} dB < 38");
        assert!(pt >= 38.0, "{name}: thumbnail PSNR {pt:.2} dB < 38");
    }
}
