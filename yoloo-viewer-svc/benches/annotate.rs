//! The annotate stage of an upload — boxes drawn, the annotated JPEG and
//! the thumbnail encoded — on bus.jpg (810×1080) with its yolov3-tiny
//! detections: `image_crate` is how it was done before (the `image` crate's
//! encoder, one image after the other), `render` is today's
//! (`annotate::render`: libjpeg-turbo with the `turbojpeg` feature, else
//! jpeg-encoder in bands; the thumbnail beside it). Both run in the same
//! process, so the two figures compare; the group's name says which encoder
//! `render` used. The other rows are `render`'s parts, for the profile:
//! drawing, the annotated image's encode, and the thumbnail made and encoded.
//!
//! ```sh
//! cargo bench --workspace --features yoloo-viewer-svc/turbojpeg --bench annotate
//! cargo bench --workspace --bench annotate   # jpeg-encoder
//! ```

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use yoloo_core::draw::{DrawStyle, draw_detections};
use yoloo_core::image_io::{DecodeLimits, open_image};
use yoloo_core::{Detection, Detector};
use yoloo_viewer_svc::annotate::{
    ENCODER, THUMB_QUALITY, THUMB_SIZE, encode_annotated, encode_jpeg, render,
    render_with_image_crate,
};
use yoloo_viewer_svc::thumbnail::thumbnail;

fn bench(c: &mut Criterion) {
    let image =
        open_image(&yoloo_testkit::image("bus.jpg"), &DecodeLimits::default()).expect("bus.jpg");
    let detector = Detector::builder(yoloo_testkit::tiny_cfg())
        .build()
        .expect("model");
    let dets: Vec<Detection> = detector.detect(&image).expect("detect").detections;
    let mut group = c.benchmark_group(format!("annotate_bus_810x1080_{ENCODER}"));
    group.sample_size(30);
    group.bench_function("image_crate", |b| {
        b.iter(|| {
            render_with_image_crate(black_box(image.clone()), black_box(&dets)).expect("encode")
        })
    });
    group.bench_function("render", |b| {
        b.iter(|| render(black_box(image.clone()), black_box(&dets)).expect("encode"))
    });
    let rgb = image.to_rgb8();
    group.bench_function("part_draw", |b| {
        b.iter(|| {
            let mut r = rgb.clone();
            draw_detections(&mut r, black_box(&dets), &DrawStyle::default());
            r
        })
    });
    group.bench_function("part_annotated_encode", |b| {
        b.iter(|| encode_annotated(black_box(&rgb)).expect("encode"))
    });
    group.bench_function("part_thumbnail", |b| {
        b.iter(|| {
            encode_jpeg(&thumbnail(black_box(&rgb), THUMB_SIZE), THUMB_QUALITY).expect("encode")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
