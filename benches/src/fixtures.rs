//! Model files, photos and a generated full YOLOv3.

use std::io;
use std::path::PathBuf;

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `models/` (override with `YOLOO_MODELS_DIR`).
pub fn models_dir() -> PathBuf {
    std::env::var_os("YOLOO_MODELS_DIR").map_or_else(|| root().join("models"), PathBuf::from)
}

/// `assets/images/` (override with `YOLOO_IMAGES_DIR`).
pub fn images_dir() -> PathBuf {
    std::env::var_os("YOLOO_IMAGES_DIR").map_or_else(|| root().join("assets/images"), PathBuf::from)
}

/// `path` if it is a file, else an error saying how to fetch it.
///
/// # Errors
///
/// [`io::ErrorKind::NotFound`] when the file is missing.
pub fn fetched(path: PathBuf) -> io::Result<PathBuf> {
    if path.is_file() {
        Ok(path)
    } else {
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{} is missing: run `python3 scripts/fetch_assets.py` first (the README's test command does)",
                path.display()
            ),
        ))
    }
}

/// `models/yolov3-tiny.cfg`.
///
/// # Errors
///
/// When it has not been fetched.
pub fn tiny_cfg() -> io::Result<PathBuf> {
    fetched(models_dir().join("yolov3-tiny.cfg"))
}

/// `models/yolov3-tiny.weights`.
///
/// # Errors
///
/// When it has not been fetched.
pub fn tiny_weights() -> io::Result<PathBuf> {
    fetched(models_dir().join("yolov3-tiny.weights"))
}

/// `models/coco.names`.
///
/// # Errors
///
/// When it has not been fetched.
pub fn coco_names() -> io::Result<PathBuf> {
    fetched(models_dir().join("coco.names"))
}

/// A photo in `assets/images/`.
///
/// # Errors
///
/// When it has not been fetched.
pub fn image(name: &str) -> io::Result<PathBuf> {
    fetched(images_dir().join(name))
}

/// `runtimes/<backend>/` (override with `YOLOO_RUNTIMES_DIR`), where
/// `python3 scripts/fetch_assets.py --runtimes` unpacks the engines' libraries.
pub fn runtime_dir(backend: yoloo_core::Backend) -> PathBuf {
    std::env::var_os("YOLOO_RUNTIMES_DIR")
        .map_or_else(|| root().join("runtimes"), PathBuf::from)
        .join(backend.name())
}

/// `assets/calibration/`: int8 calibration photos (none of them a test photo).
///
/// # Errors
///
/// When it has not been fetched.
pub fn calibration_dir() -> io::Result<PathBuf> {
    let dir = root().join("assets/calibration");
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{} is missing: run `python3 scripts/fetch_assets.py` first",
                dir.display()
            ),
        ))
    }
}

/// The full YOLOv3 (Darknet-53 backbone, three heads, 107 sections numbered
/// 0–106) as a cfg text, written out here from the published architecture.
pub fn yolov3_cfg(size: usize, classes: usize) -> String {
    let mut s = format!("[net]\nwidth={size}\nheight={size}\nchannels=3\n\n");
    let conv = |s: &mut String, filters: usize, size: usize, stride: usize, act: &str, bn: bool| {
        s.push_str(&format!(
            "[convolutional]\n{}filters={filters}\nsize={size}\nstride={stride}\npad=1\nactivation={act}\n\n",
            if bn { "batch_normalize=1\n" } else { "" }
        ));
    };
    let filters = (classes + 5) * 3;
    let anchors = "10,13, 16,30, 33,23, 30,61, 62,45, 59,119, 116,90, 156,198, 373,326";
    conv(&mut s, 32, 3, 1, "leaky", true);
    for (width, blocks) in [(64, 1), (128, 2), (256, 8), (512, 8), (1024, 4)] {
        conv(&mut s, width, 3, 2, "leaky", true);
        for _ in 0..blocks {
            conv(&mut s, width / 2, 1, 1, "leaky", true);
            conv(&mut s, width, 3, 1, "leaky", true);
            s.push_str("[shortcut]\nfrom=-3\nactivation=linear\n\n");
        }
    }
    for (width, mask, route) in [
        (512, "6,7,8", None),
        (256, "3,4,5", Some(61)),
        (128, "0,1,2", Some(36)),
    ] {
        if let Some(r) = route {
            s.push_str("[route]\nlayers=-4\n\n");
            conv(&mut s, width, 1, 1, "leaky", true);
            s.push_str("[upsample]\nstride=2\n\n");
            s.push_str(&format!("[route]\nlayers=-1, {r}\n\n"));
        }
        for _ in 0..3 {
            conv(&mut s, width, 1, 1, "leaky", true);
            conv(&mut s, width * 2, 3, 1, "leaky", true);
        }
        conv(&mut s, filters, 1, 1, "linear", false);
        s.push_str(&format!(
            "[yolo]\nmask={mask}\nanchors={anchors}\nclasses={classes}\nnum=9\njitter=.3\nignore_thresh=.7\ntruth_thresh=1\nrandom=1\n\n"
        ));
    }
    s
}

/// A weights file for `cfg` with seeded pseudo-random parameters (header
/// v0.2, 64-bit `seen`). Batch-norm scales are near 1 and variances near 1,
/// kernels small, so activations stay finite through the whole network.
///
/// # Errors
///
/// When `cfg` has a layer whose shape cannot be worked out.
pub fn random_weights(
    cfg: &yoloo_core::darknet::cfg::Cfg,
    seed: u64,
) -> yoloo_core::Result<Vec<u8>> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
    let mut out = Vec::new();
    for v in [0i32, 2, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&0i64.to_le_bytes());
    let push = |out: &mut Vec<u8>, n: usize, lo: f32, hi: f32, rng: &mut rand::rngs::SmallRng| {
        for _ in 0..n {
            out.extend_from_slice(&rng.random_range(lo..hi).to_le_bytes());
        }
    };
    for conv in yoloo_core::darknet::weights::conv_shapes(cfg)? {
        let yoloo_core::darknet::weights::ConvShape {
            filters,
            in_channels: in_c,
            size,
            batch_normalize,
        } = conv;
        let fan_in = (in_c * size * size) as f32;
        push(&mut out, filters, -0.1, 0.1, &mut rng); // biases
        if batch_normalize {
            push(&mut out, filters, 0.8, 1.2, &mut rng); // scales
            push(&mut out, filters, -0.1, 0.1, &mut rng); // rolling mean
            push(&mut out, filters, 0.5, 1.5, &mut rng); // rolling variance
        }
        let bound = (3.0 / fan_in).sqrt();
        push(
            &mut out,
            filters * in_c * size * size,
            -bound,
            bound,
            &mut rng,
        );
    }
    Ok(out)
}
