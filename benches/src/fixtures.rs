//! Model files, photos and a generated full YOLOv3.

use std::io;
use std::path::{Path, PathBuf};

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
    present(path, Path::is_file, "")
}

/// `path` if `exists` says so, else the error naming the fetch command
/// (`python3 scripts/fetch_assets.py` with `flags`).
fn present(path: PathBuf, exists: fn(&Path) -> bool, flags: &str) -> io::Result<PathBuf> {
    if exists(&path) {
        return Ok(path);
    }
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        format!(
            "{} is missing: run `python3 scripts/fetch_assets.py{flags}` first (the README's test command does)",
            path.display()
        ),
    ))
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

/// The real YOLOv4-tiny weights (`--extra-models`; 10 classes, no cfg).
///
/// # Errors
///
/// When it has not been fetched.
pub fn yolov4_tiny_weights() -> io::Result<PathBuf> {
    extra_model("yolov4-tiny-customyolov4.weights")
}

/// A file of `scripts/fetch_assets.py --extra-models` in `models/`.
///
/// # Errors
///
/// When it has not been fetched.
pub fn extra_model(name: &str) -> io::Result<PathBuf> {
    present(models_dir().join(name), Path::is_file, " --extra-models")
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
    present(root().join("assets/calibration"), Path::is_dir, "")
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

/// One `[convolutional]` section of a generated cfg.
fn conv_section(s: &mut String, filters: usize, size: usize, stride: usize, act: &str, bn: bool) {
    s.push_str(&format!(
        "[convolutional]\n{}filters={filters}\nsize={size}\nstride={stride}\npad=1\nactivation={act}\n\n",
        if bn { "batch_normalize=1\n" } else { "" }
    ));
}

/// The `[yolo]` section of the YOLOv4 cfgs, training keys included (the
/// parser must accept every key the published files use).
fn yolov4_head(
    s: &mut String,
    mask: &str,
    anchors: &str,
    classes: usize,
    num: usize,
    scale_x_y: f32,
) {
    s.push_str(&format!(
        "[yolo]\nmask = {mask}\nanchors = {anchors}\nclasses={classes}\nnum={num}\njitter=.3\n\
         scale_x_y = {scale_x_y}\ncls_normalizer=1.0\niou_normalizer=0.07\niou_loss=ciou\n\
         ignore_thresh = .7\ntruth_thresh = 1\nrandom=0\nresize=1.5\nnms_kind=greedynms\nbeta_nms=0.6\n\n"
    ));
}

/// The `[net]` section of the YOLOv4 cfgs, training keys included.
fn yolov4_net(size: usize) -> String {
    format!(
        "[net]\n# Testing\n#batch=1\n#subdivisions=1\n# Training\nbatch=64\nsubdivisions=1\n\
         width={size}\nheight={size}\nchannels=3\nmomentum=0.9\ndecay=0.0005\nangle=0\n\
         saturation = 1.5\nexposure = 1.5\nhue=.1\n\nlearning_rate=0.00261\nburn_in=1000\n\
         max_batches = 2000200\npolicy=steps\nsteps=1600000,1800000\nscales=.1,.1\n\n"
    )
}

/// The stock YOLOv4-tiny cfg (38 sections numbered 0–37: three CSP blocks
/// with `[route] groups=2 group_id=1`, two heads with `scale_x_y = 1.05`
/// and the second head's famous `mask = 1,2,3`), for `classes` classes
/// (`filters = 3·(classes + 5)` before each head), written out here from
/// the published architecture.
pub fn yolov4_tiny_cfg(size: usize, classes: usize) -> String {
    let mut s = yolov4_net(size);
    let filters = (classes + 5) * 3;
    let anchors = "10,14,  23,27,  37,58,  81,82,  135,169,  344,319";
    conv_section(&mut s, 32, 3, 2, "leaky", true);
    conv_section(&mut s, 64, 3, 2, "leaky", true);
    for width in [64, 128, 256] {
        if width > 64 {
            s.push_str("[maxpool]\nsize=2\nstride=2\n\n");
        }
        conv_section(&mut s, width, 3, 1, "leaky", true);
        s.push_str("[route]\nlayers=-1\ngroups=2\ngroup_id=1\n\n");
        conv_section(&mut s, width / 2, 3, 1, "leaky", true);
        conv_section(&mut s, width / 2, 3, 1, "leaky", true);
        s.push_str("[route]\nlayers = -1,-2\n\n");
        conv_section(&mut s, width, 1, 1, "leaky", true);
        s.push_str("[route]\nlayers = -6,-1\n\n");
    }
    s.push_str("[maxpool]\nsize=2\nstride=2\n\n");
    conv_section(&mut s, 512, 3, 1, "leaky", true);
    s.push_str("##################################\n\n");
    conv_section(&mut s, 256, 1, 1, "leaky", true);
    conv_section(&mut s, 512, 3, 1, "leaky", true);
    conv_section(&mut s, filters, 1, 1, "linear", false);
    yolov4_head(&mut s, "3,4,5", anchors, classes, 6, 1.05);
    s.push_str("[route]\nlayers = -4\n\n");
    conv_section(&mut s, 128, 1, 1, "leaky", true);
    s.push_str("[upsample]\nstride=2\n\n[route]\nlayers = -1, 23\n\n");
    conv_section(&mut s, 256, 3, 1, "leaky", true);
    conv_section(&mut s, filters, 1, 1, "linear", false);
    yolov4_head(&mut s, "1,2,3", anchors, classes, 6, 1.05);
    s
}

/// The full YOLOv4 cfg (CSPDarknet-53 with mish, SPP, PANet; 162 sections
/// numbered 0–161; heads with `scale_x_y` 1.2 / 1.1 / 1.05), written out
/// here from the published architecture.
pub fn yolov4_cfg(size: usize, classes: usize) -> String {
    let mut s = yolov4_net(size);
    s.push_str("mosaic=1\n\n");
    let filters = (classes + 5) * 3;
    let anchors = "12, 16, 19, 36, 40, 28, 36, 75, 76, 55, 72, 146, 142, 110, 192, 243, 459, 401";
    let conv = |s: &mut String, f: usize, k: usize, st: usize, act: &str| {
        conv_section(s, f, k, st, act, true)
    };
    conv(&mut s, 32, 3, 1, "mish");
    // Five CSP stages: downsample, split, residual blocks, merge.
    for (width, blocks) in [(64, 1), (128, 2), (256, 8), (512, 8), (1024, 4)] {
        let half = if width == 64 { 64 } else { width / 2 };
        let inner = if width == 64 { 32 } else { half };
        conv(&mut s, width, 3, 2, "mish");
        conv(&mut s, half, 1, 1, "mish");
        s.push_str("[route]\nlayers = -2\n\n");
        conv(&mut s, half, 1, 1, "mish");
        for _ in 0..blocks {
            conv(&mut s, inner, 1, 1, "mish");
            conv(&mut s, half, 3, 1, "mish");
            s.push_str("[shortcut]\nfrom=-3\nactivation=linear\n\n");
        }
        conv(&mut s, half, 1, 1, "mish");
        s.push_str(&format!("[route]\nlayers = -1,-{}\n\n", blocks * 3 + 4));
        conv(&mut s, width, 1, 1, "mish");
    }
    // SPP.
    conv(&mut s, 512, 1, 1, "leaky");
    conv(&mut s, 1024, 3, 1, "leaky");
    conv(&mut s, 512, 1, 1, "leaky");
    s.push_str(
        "### SPP ###\n[maxpool]\nstride=1\nsize=5\n\n[route]\nlayers=-2\n\n[maxpool]\nstride=1\nsize=9\n\n\
         [route]\nlayers=-4\n\n[maxpool]\nstride=1\nsize=13\n\n[route]\nlayers=-1,-3,-5,-6\n\n",
    );
    conv(&mut s, 512, 1, 1, "leaky");
    conv(&mut s, 1024, 3, 1, "leaky");
    conv(&mut s, 512, 1, 1, "leaky");
    // PANet, top-down.
    for (width, lateral) in [(256, 85), (128, 54)] {
        conv(&mut s, width, 1, 1, "leaky");
        s.push_str(&format!(
            "[upsample]\nstride=2\n\n[route]\nlayers = {lateral}\n\n"
        ));
        conv(&mut s, width, 1, 1, "leaky");
        s.push_str("[route]\nlayers = -1, -3\n\n");
        for _ in 0..2 {
            conv(&mut s, width, 1, 1, "leaky");
            conv(&mut s, width * 2, 3, 1, "leaky");
        }
        conv(&mut s, width, 1, 1, "leaky");
    }
    // Heads, bottom-up.
    conv(&mut s, 256, 3, 1, "leaky");
    conv_section(&mut s, filters, 1, 1, "linear", false);
    yolov4_head(&mut s, "0,1,2", anchors, classes, 9, 1.2);
    for (width, skip, mask, scale) in [(256, 16, "3,4,5", 1.1), (512, 37, "6,7,8", 1.05)] {
        s.push_str("[route]\nlayers = -4\n\n");
        conv(&mut s, width, 3, 2, "leaky");
        s.push_str(&format!("[route]\nlayers = -1, -{skip}\n\n"));
        for _ in 0..3 {
            conv(&mut s, width, 1, 1, "leaky");
            conv(&mut s, width * 2, 3, 1, "leaky");
        }
        conv_section(&mut s, filters, 1, 1, "linear", false);
        yolov4_head(&mut s, mask, anchors, classes, 9, scale);
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
            in_channels,
            groups,
            size,
            batch_normalize,
        } = conv;
        let in_c = in_channels / groups;
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
