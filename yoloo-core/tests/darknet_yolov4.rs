//! Darknet YOLOv4 and YOLOv4-tiny: the cfg keys and layers they use
//! (`[route] groups/group_id`, mish, SPP max-pools, `[yolo] scale_x_y` and
//! `new_coords`, `[shortcut] activation`), the real YOLOv4-tiny weights of
//! `customyolov4==2` (fetched by `scripts/fetch_assets.py --extra-models`),
//! and the converter's ONNX in ONNX Runtime.

use yoloo_testkit::assets;
use yoloo_testkit::onnx_runtime as ort;

use ndarray::ArrayD;
use yoloo_core::darknet::{DarknetModel, cfg::Cfg, cfg::Layer};
use yoloo_core::detector::DetectorConfig;
use yoloo_core::image_io::{DecodeLimits, open_image};
use yoloo_core::{Detector, Error, ResizeMode, preprocess};

fn config() -> DetectorConfig {
    DetectorConfig {
        threads: 2,
        ..Default::default()
    }
}

/// The package ships no cfg: the stock yolov4-tiny with `classes=10`
/// (`filters=45`) must account for every byte of its weights.
#[test]
fn real_yolov4_tiny_weights_fit_the_stock_cfg_exactly() {
    let weights = std::fs::read(assets::yolov4_tiny_weights()).unwrap();
    assert_eq!(weights.len(), 23_604_476);
    let text = assets::yolov4_tiny_cfg(416, 10);
    let cfg = Cfg::parse(&text).unwrap();
    assert_eq!(cfg.layers.len(), 38, "sections 0..=37");
    let groups = cfg
        .layers
        .iter()
        .filter(|l| {
            matches!(
                l.layer,
                Layer::Route {
                    groups: 2,
                    group_id: 1,
                    ..
                }
            )
        })
        .count();
    assert_eq!(groups, 3, "three CSP blocks");
    let heads = cfg.heads();
    assert_eq!(heads.len(), 2);
    assert_eq!(heads[1].anchors, [(23.0, 27.0), (37.0, 58.0), (81.0, 82.0)]);
    assert!(
        heads
            .iter()
            .all(|h| h.scale_x_y == 1.05 && h.num_classes == 10)
    );
    let model = DarknetModel::parse(&text, &weights).unwrap();
    // 20-byte header (v0.2, 64-bit `seen`) + 5,901,114 floats.
    assert_eq!(model.weights.header.len(), 20);
    assert_eq!(
        yoloo_core::darknet::weights::expected_floats(&model.cfg).unwrap(),
        5_901_114
    );

    // Any other class count does not fit: the error says both sizes.
    for classes in [9, 80] {
        let err =
            DarknetModel::parse(&assets::yolov4_tiny_cfg(416, classes), &weights).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::Weights { .. }), "{msg}");
        assert!(msg.contains("23604476 bytes"), "{msg}");
    }
}

#[test]
fn yolov4_tiny_onnx_matches_onnx_runtime() {
    let weights = std::fs::read(assets::yolov4_tiny_weights()).unwrap();
    let model = DarknetModel::parse(&assets::yolov4_tiny_cfg(416, 10), &weights).unwrap();
    let proto = model.to_onnx(416, 416, None).unwrap();
    let detector = Detector::from_darknet(&model, None, config()).unwrap();
    let image = open_image(&assets::image("zidane.jpg"), &DecodeLimits::default()).unwrap();
    let (input, _) = preprocess::preprocess(&image, 416, 416, ResizeMode::Stretch).unwrap();
    ort::assert_matches_tract(&proto, &detector, input.into_dyn(), 1e-3);
}

/// Every new layer kind in one small network with seeded weights: mish,
/// swish, tanh and logistic convolutions, a grouped convolution, a
/// `[route]` with groups, SPP max-pools, a `[shortcut]` with an activation,
/// an upsample, a `new_coords` head and a `scale_x_y` head; tract and ONNX
/// Runtime must agree on the converter's ONNX.
#[test]
fn yolov4_layers_match_onnx_runtime() {
    let text = "[net]\nwidth=64\nheight=64\nchannels=3\nletter_box=1\n\
        [convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=2\npad=1\nactivation=mish\n\
        [convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=1\npad=1\ngroups=4\nactivation=swish\n\
        [shortcut]\nfrom=-2\nactivation=leaky\n\
        [route]\nlayers=-1\ngroups=2\ngroup_id=1\n\
        [maxpool]\nstride=1\nsize=5\n[route]\nlayers=-2\n[maxpool]\nstride=1\nsize=9\n\
        [route]\nlayers=-4\n[maxpool]\nstride=1\nsize=13\n[route]\nlayers=-1,-3,-5,-6\n\
        [convolutional]\nfilters=16\nsize=3\nstride=2\npad=1\nactivation=tanh\n\
        [convolutional]\nfilters=21\nsize=1\nstride=1\npad=1\nactivation=logistic\n\
        [yolo]\nmask=0,1,2\nanchors=4,5, 8,9, 12,14\nclasses=2\nnum=3\nscale_x_y=2.0\nnew_coords=1\n\
        [route]\nlayers=-3\n[upsample]\nstride=2\n[route]\nlayers=-1,2\n\
        [convolutional]\nfilters=14\nsize=1\nstride=1\npad=1\nactivation=linear\n\
        [yolo]\nmask=0,1\nanchors=4,5, 8,9\nclasses=2\nnum=2\nscale_x_y=1.1\n";
    let cfg = Cfg::parse(text).unwrap();
    assert!(cfg.letter_box);
    let model = DarknetModel::parse(text, &assets::random_weights(&cfg, 11)).unwrap();
    let shapes = model.cfg.shapes(64, 64).unwrap();
    // The route over SPP: 4 × 8 channels; the heads at 16×16 and 32×32.
    assert_eq!(shapes[9], (32, 32, 32));
    assert_eq!(shapes[12], (21, 16, 16));
    assert_eq!(shapes[17], (14, 32, 32));
    let proto = model.to_onnx(64, 64, None).unwrap();
    let detector = Detector::from_darknet(&model, None, config()).unwrap();
    let input = ArrayD::from_shape_fn(vec![1, 3, 64, 64], |ix| {
        ((ix[1] * 31 + ix[2] * 7 + ix[3] * 3) % 255) as f32 / 255.0
    });
    ort::assert_matches_tract(&proto, &detector, input, 1e-4);
}

/// Full YOLOv4 (CSPDarknet-53 with mish, SPP, PANet; 162 sections) with
/// seeded weights — the real 246 MiB file is not on any registry — through
/// the same path as the real tiny model.
#[test]
fn yolov4_architecture_runs_with_three_heads() {
    let text = assets::yolov4_cfg(416, 80);
    let cfg = Cfg::parse(&text).unwrap();
    assert_eq!(cfg.layers.len(), 162, "sections 0..=161");
    let weights = assets::random_weights(&cfg, 3);
    // Exactly the size of the published yolov4.weights: the generated
    // architecture matches it parameter for parameter.
    assert_eq!(weights.len(), 257_717_640);
    let model = DarknetModel::parse(&text, &weights).unwrap();
    drop(weights);
    let heads = model.cfg.heads();
    assert_eq!(
        heads.iter().map(|h| h.scale_x_y).collect::<Vec<_>>(),
        [1.2, 1.1, 1.05]
    );
    // 256×256 keeps the test short: heads at strides 8, 16, 32.
    let detector = Detector::from_darknet(
        &model,
        None,
        DetectorConfig {
            input_size: Some((256, 256)),
            ..config()
        },
    )
    .unwrap();
    let input = ArrayD::from_shape_fn(vec![1, 3, 256, 256], |ix| {
        ((ix[1] * 7 + ix[2] * 3 + ix[3]) % 255) as f32 / 255.0
    });
    let outputs = detector.run(input).unwrap();
    let shapes: Vec<&[usize]> = outputs.iter().map(|o| o.shape()).collect();
    assert_eq!(
        shapes,
        [&[1, 255, 32, 32][..], &[1, 255, 16, 16], &[1, 255, 8, 8]]
    );
    for o in &outputs {
        assert!(o.iter().all(|v| v.is_finite()), "non-finite head output");
    }
}
