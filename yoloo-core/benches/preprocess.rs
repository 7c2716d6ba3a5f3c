//! Preprocessing benchmarks: synthetic RGB8 frames to a 416×416 network input,
//! stretch and letterbox.
//!
//! `preprocess/*` is the allocating free function (new tensor and resizer per
//! call); `preprocessor_into/*` is the reusable [`Preprocessor`] writing into a
//! caller-owned buffer (the hot path of a video loop).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use image::{DynamicImage, Rgb, RgbImage};
use yoloo_core::ResizeMode;
use yoloo_core::preprocess::{Preprocessor, preprocess};

const NET: u32 = 416;

/// A deterministic, textured frame (so the resizer cannot take shortcuts).
fn frame(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        Rgb([
            (x.wrapping_mul(7) ^ y.wrapping_mul(3)) as u8,
            (x + 2 * y) as u8,
            (x.wrapping_mul(y) >> 3) as u8,
        ])
    }))
}

fn bench_preprocess(c: &mut Criterion) {
    let frames = [
        ((768, 576), frame(768, 576)),
        ((1920, 1080), frame(1920, 1080)),
    ];

    let mut group = c.benchmark_group("preprocess");
    for mode in ResizeMode::ALL {
        for ((w, h), img) in &frames {
            group.bench_function(format!("{mode}/{w}x{h}"), |b| {
                b.iter(|| preprocess(black_box(img), NET, NET, mode).unwrap())
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("preprocessor_into");
    let mut pre = Preprocessor::new();
    let mut out = vec![0.0f32; 3 * (NET * NET) as usize];
    for mode in ResizeMode::ALL {
        for ((w, h), img) in &frames {
            group.bench_function(format!("{mode}/{w}x{h}"), |b| {
                b.iter(|| {
                    pre.preprocess_into(black_box(img), NET, NET, mode, &mut out)
                        .unwrap();
                    black_box(&out);
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_preprocess);
criterion_main!(benches);
