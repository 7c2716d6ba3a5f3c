//! The annotate stage of an upload — boxes drawn, the annotated JPEG and
//! the thumbnail encoded — on bus.jpg (810×1080) with its yolov3-tiny
//! detections: `image_crate` is how it was done before (the `image` crate's
//! encoder, one image after the other), `render` is today's
//! (`annotate::render`: jpeg-encoder, both images at once). Both run in the
//! same process, so the two figures compare.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use yoloo_core::image_io::{DecodeLimits, open_image};
use yoloo_core::{Detection, Detector};
use yoloo_viewer_svc::annotate::{render, render_with_image_crate};

fn bench(c: &mut Criterion) {
    let image =
        open_image(&yoloo_testkit::image("bus.jpg"), &DecodeLimits::default()).expect("bus.jpg");
    let detector = Detector::builder(yoloo_testkit::tiny_cfg())
        .build()
        .expect("model");
    let dets: Vec<Detection> = detector.detect(&image).expect("detect").detections;
    let mut group = c.benchmark_group("annotate_bus_810x1080");
    group.sample_size(30);
    group.bench_function("image_crate", |b| {
        b.iter(|| {
            render_with_image_crate(black_box(image.clone()), black_box(&dets)).expect("encode")
        })
    });
    group.bench_function("render", |b| {
        b.iter(|| render(black_box(image.clone()), black_box(&dets)).expect("encode"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
