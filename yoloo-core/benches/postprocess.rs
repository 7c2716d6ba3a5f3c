//! Decode + NMS on synthetic head outputs with the candidate counts of
//! yolov3-tiny (2,535 anchors) and full YOLOv3 (10,647 anchors) at 416.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::ArrayD;
use rand::{Rng, SeedableRng};
use yoloo_core::decode::{YoloHead, decode};
use yoloo_core::nms::{NmsConfig, nms};

/// Raw heads whose logits look like a real network's: objectness mostly
/// very negative, with `positive` of the anchors confident.
fn heads(grids: &[usize], positive: f64, seed: u64) -> (Vec<ArrayD<f32>>, Vec<YoloHead>) {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let anchors = [(10.0, 13.0), (30.0, 61.0), (116.0, 90.0)];
    let mut outs = Vec::new();
    let mut hs = Vec::new();
    for &g in grids {
        let head = YoloHead::new(anchors.to_vec(), 80);
        let mut a = ArrayD::<f32>::zeros(vec![1, head.channels(), g, g]);
        for (i, v) in a.iter_mut().enumerate() {
            let k = (i / (g * g)) % 85;
            *v = match k {
                0..=3 => rng.random_range(-1.0..1.0),
                4 if rng.random_bool(positive) => rng.random_range(0.0..4.0),
                4 => rng.random_range(-12.0..-4.0),
                _ => rng.random_range(-8.0..2.0),
            };
        }
        outs.push(a);
        hs.push(head);
    }
    (outs, hs)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode_nms");
    for (name, grids, positive) in [
        ("tiny_2535", &[13usize, 26][..], 0.01),
        ("full_10647", &[13, 26, 52][..], 0.01),
        ("full_10647_dense", &[13, 26, 52][..], 0.10),
    ] {
        let (outs, hs) = heads(grids, positive, 42);
        let views: Vec<_> = outs.iter().map(|o| o.view()).collect();
        let cfg = NmsConfig::default();
        group.bench_function(name, |b| {
            let mut candidates = Vec::with_capacity(1024);
            b.iter(|| {
                candidates.clear();
                decode(black_box(&views), &hs, 416, 416, 0.25, &mut candidates).unwrap();
                black_box(nms(&candidates, &cfg))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
