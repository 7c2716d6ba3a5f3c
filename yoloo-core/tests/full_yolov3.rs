//! Full YOLOv3 (3 heads, 106 layers) through the same path as the real
//! yolov3-tiny: cfg parse → weights → ONNX → tract → decode. The weights are
//! seeded random (the real 248 MB file cannot be fetched here), so this
//! checks the graph, shapes and plumbing, not detection quality.

use yoloo_testkit::assets;

use ndarray::ArrayD;
use yoloo_core::Detector;
use yoloo_core::darknet::{DarknetModel, cfg::Cfg, cfg::Layer};
use yoloo_core::detector::{DetectOptions, DetectorConfig};

#[test]
fn yolov3_architecture_runs_at_416_with_three_heads() {
    let text = assets::yolov3_cfg(416, 80);
    let cfg = Cfg::parse(&text).unwrap();
    assert_eq!(cfg.layers.len(), 107, "sections 0..=106");
    assert!(matches!(cfg.layers[106].layer, Layer::Yolo(_)));
    assert_eq!(cfg.heads().len(), 3);
    let weights = assets::random_weights(&cfg, 7);
    // Exactly the size of the official yolov3.weights: the generated
    // architecture matches the published one parameter for parameter.
    assert_eq!(weights.len(), 248_007_048);
    let model = DarknetModel::parse(&text, &weights).unwrap();

    let config = DetectorConfig {
        threads: 2,
        options: Some(DetectOptions {
            confidence: 0.0,
            ..Default::default()
        }),
        ..Default::default()
    };
    let detector = Detector::from_darknet(&model, None, config).unwrap();
    assert_eq!(detector.input_size(), (416, 416));
    let input = ArrayD::from_shape_fn(vec![1, 3, 416, 416], |ix| {
        ((ix[1] * 7 + ix[2] * 3 + ix[3]) % 255) as f32 / 255.0
    });
    let outputs = detector.run(input).unwrap();
    let shapes: Vec<&[usize]> = outputs.iter().map(|o| o.shape()).collect();
    assert_eq!(
        shapes,
        vec![
            &[1, 255, 13, 13][..],
            &[1, 255, 26, 26][..],
            &[1, 255, 52, 52][..]
        ]
    );
    for o in &outputs {
        assert!(o.iter().all(|v| v.is_finite()), "non-finite head output");
    }
    // Decoding all (10,647) anchors at threshold 0 gives one candidate each.
    let views: Vec<_> = outputs.iter().map(|o| o.view()).collect();
    let mut candidates = Vec::new();
    yoloo_core::decode::decode(&views, detector.heads(), 416, 416, 0.0, &mut candidates).unwrap();
    assert_eq!(candidates.len(), (13 * 13 + 26 * 26 + 52 * 52) * 3);
}

#[test]
fn yolov3_runs_at_other_multiples_of_32() {
    // 320×320: heads at 10, 20, 40.
    let text = assets::yolov3_cfg(320, 2);
    let cfg = Cfg::parse(&text).unwrap();
    let model = DarknetModel::parse(&text, &assets::random_weights(&cfg, 1)).unwrap();
    let detector = Detector::from_darknet(
        &model,
        None,
        DetectorConfig {
            input_size: Some((320, 256)),
            threads: 2,
            ..Default::default()
        },
    )
    .unwrap();
    let outputs = detector.run(ArrayD::zeros(vec![1, 3, 256, 320])).unwrap();
    let shapes: Vec<&[usize]> = outputs.iter().map(|o| o.shape()).collect();
    assert_eq!(
        shapes,
        vec![
            &[1, 21, 8, 10][..],
            &[1, 21, 16, 20][..],
            &[1, 21, 32, 40][..]
        ]
    );
    // Not a multiple of 32: refused with a clear error, not a panic.
    let err = Detector::from_darknet(
        &model,
        None,
        DetectorConfig {
            input_size: Some((300, 300)),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("multiples of 32"), "{err}");
}
