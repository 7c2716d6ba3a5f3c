//! Drawing labelled boxes: `annotate` on a 1280×720 RGB image with 10 and 50
//! detections (includes the RGB copy, the box outlines and the captions).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use image::{DynamicImage, Rgb, RgbImage};
use yoloo_core::draw::{DrawStyle, annotate};
use yoloo_core::{BBox, Detection};

const LABELS: [&str; 8] = [
    "person",
    "bicycle",
    "car",
    "dog",
    "traffic light",
    "truck",
    "potted plant",
    "bus",
];

/// `n` deterministic detections spread over a `w × h` image.
fn detections(n: usize, w: f32, h: f32) -> Vec<Detection> {
    let mut s: u32 = 0x9E37_79B9;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        s as f32 / u32::MAX as f32
    };
    (0..n)
        .map(|i| {
            let (cx, cy) = (next() * w, next() * h);
            let (bw, bh) = (20.0 + next() * w / 3.0, 20.0 + next() * h / 3.0);
            Detection {
                class_id: i % 80,
                label: LABELS[i % LABELS.len()].to_string(),
                confidence: 0.25 + 0.75 * next(),
                bbox: BBox::from_center(cx, cy, bw, bh),
            }
        })
        .collect()
}

fn bench_draw(c: &mut Criterion) {
    let (w, h) = (1280, 720);
    let img = DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    }));
    let style = DrawStyle::default();
    let mut group = c.benchmark_group("draw");
    for n in [10, 50] {
        let dets = detections(n, w as f32, h as f32);
        group.bench_function(format!("annotate_1280x720_{n}_detections"), |b| {
            b.iter(|| annotate(black_box(&img), black_box(&dets), black_box(&style)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_draw);
criterion_main!(benches);
