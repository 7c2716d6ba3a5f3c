//! The whole `Detector::detect` (preprocess, inference, decode, NMS) with the
//! real yolov3-tiny on bus.jpg at 416, 1 and 2 threads.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use yoloo_core::Detector;
use yoloo_core::image_io::{DecodeLimits, open_image};

fn bench(c: &mut Criterion) {
    let image =
        open_image(&yoloo_testkit::image("bus.jpg"), &DecodeLimits::default()).expect("bus.jpg");
    let mut group = c.benchmark_group("detect_yolov3_tiny_416");
    group.sample_size(20);
    for threads in [1, 2] {
        let detector = Detector::builder(yoloo_testkit::tiny_cfg())
            .threads(threads)
            .build()
            .expect("model");
        group.bench_function(format!("bus_{threads}_threads"), |b| {
            b.iter(|| black_box(detector.detect(black_box(&image)).expect("detect")))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
