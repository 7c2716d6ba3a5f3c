//! The [`Detector`]: a loaded, optimised model that turns images into
//! [`Detection`]s. One detector serves any number of threads at once.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use image::DynamicImage;
use ndarray::{ArrayD, ArrayViewD};
use tract_onnx::prelude::Framework as _;

use crate::darknet::{self, DarknetModel};
use crate::decode::{Candidate, YoloHead};
use crate::engine::{self, Backend, Engine, EngineConfig, EngineInfo, Precision, Threads};
use crate::image_io::{self, DecodeLimits};
use crate::layout::{Family, HeadLayout};
use crate::model::{self, ModelInfo};
use crate::nms::{self, NmsConfig};
use crate::preprocess::{self, ResizeMode, Transform};
use crate::quantize::{self, QuantizeOptions};
use crate::{Detection, Error, Labels, Result};

/// Per-call detection settings; a [`Detector`] holds defaults and
/// [`Detector::detect_with`] takes others.
///
/// ```
/// use yoloo_core::detector::DetectOptions;
/// let o = DetectOptions::default();
/// assert_eq!((o.confidence, o.iou, o.agnostic, o.max_detections), (0.5, 0.4, false, 100));
/// assert!(DetectOptions { confidence: 1.5, ..o.clone() }.validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DetectOptions {
    /// Minimum score (objectness × class probability), in `[0, 1]`; default 0.5.
    pub confidence: f32,
    /// NMS IoU threshold, in `[0, 1]`; default 0.4.
    pub iou: f32,
    /// Class-agnostic NMS (the original app's behaviour); default per class.
    pub agnostic: bool,
    /// Report only these class ids (after the best class is picked); `None` = all.
    pub classes: Option<Vec<usize>>,
    /// At most this many detections; default 100.
    pub max_detections: usize,
    /// How the image is fitted to the network input; default stretch.
    pub resize: ResizeMode,
}

impl Default for DetectOptions {
    fn default() -> Self {
        Self {
            confidence: 0.5,
            iou: 0.4,
            agnostic: false,
            classes: None,
            max_detections: 100,
            resize: ResizeMode::Stretch,
        }
    }
}

impl DetectOptions {
    /// The defaults of a model family's own tool (see
    /// [`Family::defaults`]): Ultralytics models 0.25 / 0.7 / per class /
    /// 300 / letterbox, Darknet models 0.5 / 0.4 / per class / 100 / stretch.
    ///
    /// ```
    /// use yoloo_core::detector::DetectOptions;
    /// use yoloo_core::{layout::Family, ResizeMode};
    /// let o = DetectOptions::for_family(Family::Ultralytics);
    /// assert_eq!((o.confidence, o.iou, o.max_detections, o.resize), (0.25, 0.7, 300, ResizeMode::Letterbox));
    /// assert_eq!(DetectOptions::for_family(Family::Darknet), DetectOptions::default());
    /// ```
    pub fn for_family(family: Family) -> Self {
        let d = family.defaults();
        Self {
            confidence: d.confidence,
            iou: d.iou,
            agnostic: d.agnostic,
            classes: None,
            max_detections: d.max_detections,
            resize: if d.letterbox {
                ResizeMode::Letterbox
            } else {
                ResizeMode::Stretch
            },
        }
    }

    /// Checks ranges: thresholds in `[0, 1]`.
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.confidence) {
            return Err(Error::InvalidParameter(format!(
                "confidence {} is outside [0, 1]",
                self.confidence
            )));
        }
        if !(0.0..=1.0).contains(&self.iou) {
            return Err(Error::InvalidParameter(format!(
                "iou {} is outside [0, 1]",
                self.iou
            )));
        }
        Ok(())
    }
}

/// How a [`Detector`] is built.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectorConfig {
    /// Network input `(width, height)`, multiples of 32; `None` = the model's own (416×416 for the COCO cfgs).
    pub input_size: Option<(u32, u32)>,
    /// Threads one inference may use; default: all cores.
    pub threads: usize,
    /// Which library runs the graph; default tract.
    pub backend: Backend,
    /// Inference precision; default fp32.
    pub precision: Precision,
    /// The backend's shared library (file or folder); `None` = the default search
    /// (see [`EngineConfig::library`]).
    pub library: Option<PathBuf>,
    /// int8 on a float model: a folder of calibration photos to quantize it
    /// with (in memory, [`crate::quantize`]). Not needed for a QDQ model.
    pub calibration: Option<PathBuf>,
    /// How int8 quantizes a float model (the photos are prepared as the
    /// model's family prepares its input, whatever `quantize.format` says).
    pub quantize: QuantizeOptions,
    /// Default per-call options; `None`: the model family's own
    /// ([`DetectOptions::for_family`]).
    pub options: Option<DetectOptions>,
    /// Limits for [`Detector::detect_bytes`].
    pub limits: DecodeLimits,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        Self {
            input_size: None,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            backend: Backend::Tract,
            precision: Precision::Fp32,
            library: None,
            calibration: None,
            quantize: QuantizeOptions::default(),
            options: None,
            limits: DecodeLimits::default(),
        }
    }
}

/// Time spent in each stage of one detection.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    /// Resizing and normalising.
    pub preprocess: Duration,
    /// Running the network.
    pub inference: Duration,
    /// Decoding, NMS and mapping boxes back.
    pub postprocess: Duration,
}

/// The result of one detection.
#[derive(Debug, Clone, PartialEq)]
pub struct Detections {
    /// Width of the image, in pixels.
    pub width: u32,
    /// Height of the image, in pixels.
    pub height: u32,
    /// Detections, most confident first, boxes in image pixels (clipped to the image).
    pub detections: Vec<Detection>,
    /// Stage timings.
    pub timings: Timings,
}

/// A loaded YOLO model, ready to detect.
///
/// `Detector` is `Send + Sync`: share one (e.g. in an `Arc`) between threads;
/// each call uses its own inference state.
///
/// ```no_run
/// use yoloo_core::Detector;
/// let detector = Detector::builder("models/yolov3-tiny.cfg").threads(2).build()?;
/// let image = image::open("assets/images/bus.jpg").unwrap();
/// for d in detector.detect(&image)?.detections {
///     println!("{} at {:?}", d, d.bbox);
/// }
/// # Ok::<(), yoloo_core::Error>(())
/// ```
pub struct Detector {
    /// What runs the graph (compiled once, shared by every thread).
    engine: Box<dyn Engine>,
    model: ModelInfo,
    labels: Labels,
    input: (u32, u32),
    options: DetectOptions,
    limits: DecodeLimits,
    name: String,
    threads: usize,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("name", &self.name)
            .field("input", &self.input)
            .field("family", &self.model.family)
            .field("layout", &self.model.layout.name())
            .field("classes", &self.labels.len())
            .field("threads", &self.threads)
            .field("backend", &self.engine.info().backend)
            .field("precision", &self.engine.info().precision)
            .finish()
    }
}

/// Builds a [`Detector`] from files; see [`Detector::builder`].
#[derive(Debug, Clone)]
pub struct DetectorBuilder {
    model: PathBuf,
    weights: Option<PathBuf>,
    names: Option<PathBuf>,
    labels: Option<Labels>,
    config: DetectorConfig,
}

impl DetectorBuilder {
    /// Darknet weights (default: the cfg's path with `.weights`).
    pub fn weights(mut self, path: impl Into<PathBuf>) -> Self {
        self.weights = Some(path.into());
        self
    }
    /// Names file (default: names embedded in an ONNX export, else `coco.names` beside the model).
    pub fn names(mut self, path: impl Into<PathBuf>) -> Self {
        self.names = Some(path.into());
        self
    }
    /// Labels given directly.
    pub fn labels(mut self, labels: Labels) -> Self {
        self.labels = Some(labels);
        self
    }
    /// The whole configuration.
    pub fn config(mut self, config: DetectorConfig) -> Self {
        self.config = config;
        self
    }
    /// Network input size (multiples of 32).
    pub fn input_size(mut self, width: u32, height: u32) -> Self {
        self.config.input_size = Some((width, height));
        self
    }
    /// Threads per inference.
    pub fn threads(mut self, threads: usize) -> Self {
        self.config.threads = threads;
        self
    }
    /// Default detection options (instead of the model family's).
    pub fn options(mut self, options: DetectOptions) -> Self {
        self.config.options = Some(options);
        self
    }
    /// Which library runs the graph (default tract).
    pub fn backend(mut self, backend: Backend) -> Self {
        self.config.backend = backend;
        self
    }
    /// Inference precision (default fp32).
    pub fn precision(mut self, precision: Precision) -> Self {
        self.config.precision = precision;
        self
    }
    /// The backend's shared library, a file or the folder holding it
    /// (default: `YOLOO_ORT_LIB` / `YOLOO_OPENVINO_LIB`, else `runtimes/`).
    pub fn library(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.library = Some(path.into());
        self
    }
    /// Calibration photos for int8 on a float model (a folder).
    pub fn calibrate(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.calibration = Some(dir.into());
        self
    }

    /// Loads, converts if needed, optimises.
    pub fn build(self) -> Result<Detector> {
        let ext = self
            .model
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let name = self
            .model
            .file_stem()
            .map_or_else(|| "model".into(), |s| s.to_string_lossy().into_owned());
        let explicit = match (&self.labels, &self.names) {
            (Some(l), _) => Some(l.clone()),
            (None, Some(p)) => Some(Labels::from_file(p)?),
            (None, None) => None,
        };
        let beside = || -> Result<Option<Labels>> {
            let p = self.model.with_file_name("coco.names");
            if p.is_file() {
                Labels::from_file(p).map(Some)
            } else {
                Ok(None)
            }
        };
        let mut det = match ext.as_deref() {
            Some("onnx") => {
                let proto = tract_onnx::onnx()
                    .proto_model_for_path(&self.model)
                    .map_err(|e| Error::Model(format!("{}: {e:#}", self.model.display())))?;
                // Names: given, else the model's own, else — for Darknet
                // heads only, whose names travel beside the model — coco.names.
                let darknet = model::meta(&proto, darknet::onnx::META_HEADS).is_some();
                let own_names = model::meta(&proto, darknet::onnx::META_NAMES).is_some()
                    || model::meta(&proto, "names").is_some();
                let labels = match explicit {
                    Some(l) => Some(l),
                    None if own_names || !darknet => None,
                    None => beside()?,
                };
                Detector::from_onnx_proto(proto, labels, self.config)?
            }
            Some("cfg") => {
                let weights = self
                    .weights
                    .clone()
                    .unwrap_or_else(|| self.model.with_extension("weights"));
                let model = darknet::load(&self.model, &weights)?;
                let labels = match explicit {
                    Some(l) => Some(l),
                    None => beside()?,
                };
                Detector::from_darknet(&model, labels, self.config)?
            }
            _ => {
                return Err(Error::InvalidParameter(format!(
                    "{}: expected a Darknet .cfg (with its .weights) or an .onnx file",
                    self.model.display()
                )));
            }
        };
        det.name = name;
        Ok(det)
    }
}

impl Detector {
    /// Starts building a detector from a `.cfg` (weights beside it) or `.onnx` file.
    pub fn builder(model: impl Into<PathBuf>) -> DetectorBuilder {
        DetectorBuilder {
            model: model.into(),
            weights: None,
            names: None,
            labels: None,
            config: DetectorConfig::default(),
        }
    }

    /// Loads a model file with the default configuration.
    pub fn load(model: impl AsRef<Path>) -> Result<Self> {
        Self::builder(model.as_ref()).build()
    }

    /// A detector for a parsed Darknet model. A cfg with `letter_box=1`
    /// letterboxes by default.
    pub fn from_darknet(
        model: &DarknetModel,
        labels: Option<Labels>,
        config: DetectorConfig,
    ) -> Result<Self> {
        let (w, h) = config
            .input_size
            .unwrap_or((model.cfg.width as u32, model.cfg.height as u32));
        check_size(w, h)?;
        let names = labels.as_ref().map(|l| l.names().to_vec());
        let proto = model.to_onnx(w as usize, h as usize, names.as_deref())?;
        let options = config.options.clone().unwrap_or_else(|| DetectOptions {
            resize: if model.cfg.letter_box {
                ResizeMode::Letterbox
            } else {
                ResizeMode::Stretch
            },
            ..DetectOptions::for_family(Family::Darknet)
        });
        Self::from_onnx_proto(
            proto,
            labels,
            DetectorConfig {
                input_size: Some((w, h)),
                options: Some(options),
                ..config
            },
        )
    }

    /// A detector for an ONNX model of any family yoloo runs: the head
    /// layout is recognised from the outputs (and the model's metadata, see
    /// [`HeadLayout::detect`]), and decides preprocessing and the default
    /// options. Names: `labels`, else the model's own (Ultralytics'
    /// `names`, yoloo's `yoloo.names`), else `class_0…`. A dynamic input
    /// is fixed first, to `config.input_size`, else the metadata's `imgsz`,
    /// else 640×640 (416×416 for Darknet heads).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownLayout`] naming the output shapes when they fit no
    /// layout; [`Error::Metadata`] for metadata that is not what its key
    /// holds; [`Error::Model`] when the graph does not load or run.
    pub fn from_onnx_proto(
        proto: tract_onnx::pb::ModelProto,
        labels: Option<Labels>,
        config: DetectorConfig,
    ) -> Result<Self> {
        if let Some(o) = &config.options {
            o.validate()?;
        }
        let hints = model::layout_hints(&proto)?;
        let (w, h) = model::input_size(&proto, &hints, config.input_size)?;
        check_size(w, h)?;
        let own_names = hints
            .metadata
            .names
            .clone()
            .map(Labels::from_names)
            .or_else(|| model::meta(&proto, darknet::onnx::META_NAMES).map(Labels::parse));

        let threads = config.threads.clamp(1, 256);
        let mut engine_config = EngineConfig {
            backend: config.backend,
            precision: config.precision,
            threads,
            input: (w, h),
            library: config.library.clone(),
        };
        // int8 on a float model: the float graph first (its layout says how
        // the calibration photos are prepared), quantized below.
        let mut calibrate = None;
        if quantize::is_quantized(&proto) {
            // A QDQ model runs in int8 whatever was asked, except bf16.
            if config.precision == Precision::Bf16 {
                return Err(Error::PrecisionUnsupported {
                    backend: config.backend,
                    precision: Precision::Bf16,
                    reason: "the model is already quantized to int8; load the float model for bf16"
                        .into(),
                });
            }
            engine_config.precision = Precision::Int8;
        } else if config.precision == Precision::Int8 {
            calibrate = Some(config.calibration.as_deref().ok_or_else(|| {
                Error::CalibrationRequired(
                    "the model is float: give a folder of calibration photos (DetectorBuilder::calibrate, `--calibrate DIR`), or load a QDQ model written by `convert --int8`".into(),
                )
            })?);
        }
        let float_config = EngineConfig {
            precision: Precision::Fp32,
            ..engine_config.clone()
        };
        let engine = engine::compile(
            &proto,
            if calibrate.is_some() {
                &float_config
            } else {
                &engine_config
            },
        )?;
        let mut det = Self {
            engine,
            model: ModelInfo::new(HeadLayout::NmsIncluded, (w, h), hints.metadata.clone()),
            labels: Labels::default(),
            input: (w, h),
            options: DetectOptions::default(),
            limits: config.limits,
            name: "model".into(),
            threads,
        };
        // The layout from the shapes the graph gives (one run on zeros).
        let shapes = det.output_shapes()?;
        let layout = HeadLayout::detect(&shapes, (w, h), &hints)?;
        let classes = layout.classes().unwrap_or(0);
        det.labels = labels
            .or(own_names)
            .unwrap_or_else(|| Labels::generic(classes));
        det.model = ModelInfo::new(layout, (w, h), hints.metadata);
        det.options = config
            .options
            .unwrap_or_else(|| DetectOptions::for_family(det.model.family));
        if let Some(dir) = calibrate {
            let options = QuantizeOptions {
                resize: det.options.resize,
                format: det.model.format,
                ..config.quantize.clone()
            };
            let (qdq, _) = quantize::quantize_with_photos(&proto, dir, &float_config, &options)?;
            det.engine = engine::compile(&qdq, &engine_config)?;
        }
        Ok(det)
    }

    /// The shape of each output for this detector's input size.
    fn output_shapes(&self) -> Result<Vec<Vec<usize>>> {
        let (w, h) = self.input;
        let outputs = self.run(ArrayD::zeros(vec![1, 3, h as usize, w as usize]))?;
        Ok(outputs.iter().map(|o| o.shape().to_vec()).collect())
    }

    /// The model's name (file stem).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Network input `(width, height)`.
    pub fn input_size(&self) -> (u32, u32) {
        self.input
    }
    /// Class names.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }
    /// The Darknet YOLO heads, in output order (none for other layouts).
    pub fn heads(&self) -> &[YoloHead] {
        match &self.model.layout {
            HeadLayout::Darknet { heads } => heads,
            _ => &[],
        }
    }
    /// The model's family, head layout, input format and metadata.
    pub fn model(&self) -> &ModelInfo {
        &self.model
    }
    /// Default options.
    pub fn options(&self) -> &DetectOptions {
        &self.options
    }
    /// Threads per inference.
    pub fn threads(&self) -> usize {
        self.threads
    }
    /// The engine that runs the graph: backend, precision, library version.
    pub fn engine(&self) -> &EngineInfo {
        self.engine.info()
    }

    /// Detects objects with the default options.
    pub fn detect(&self, image: &DynamicImage) -> Result<Detections> {
        self.detect_with(image, &self.options)
    }

    /// Decodes an encoded image (any format the `image` crate reads; pixel
    /// limit checked before decoding; EXIF orientation applied) and detects.
    pub fn detect_bytes(&self, bytes: &[u8], options: &DetectOptions) -> Result<Detections> {
        let image = image_io::decode_image(bytes, &self.limits)?;
        self.detect_with(&image, options)
    }

    /// Detects objects in each image with the default options; one result
    /// per image, in order.
    ///
    /// With `threads` > 1 and several images, the images are detected in
    /// parallel, one per thread, each inference single-threaded: one image's
    /// preprocessing and decoding then overlap the others' inference, which
    /// gives more images per second than one multithreaded image after
    /// another. A single image uses all `threads` in its inference.
    pub fn detect_batch(&self, images: &[DynamicImage]) -> Vec<Result<Detections>> {
        self.batch(images.len(), |i, threads| {
            self.detect_on(&images[i], &self.options, threads)
        })
    }

    /// Decodes and detects each encoded image (as [`Detector::detect_bytes`]),
    /// in parallel as [`Detector::detect_batch`] does; one result per image, in order.
    pub fn detect_bytes_batch<B: AsRef<[u8]> + Sync>(
        &self,
        images: &[B],
        options: &DetectOptions,
    ) -> Vec<Result<Detections>> {
        self.batch(images.len(), |i, threads| {
            let image = image_io::decode_image(images[i].as_ref(), &self.limits)?;
            self.detect_on(&image, options, threads)
        })
    }

    /// Runs `f(i, threads)` for `i` in `0..n` on up to `threads` scoped
    /// threads, each inference single-threaded; results in index order.
    fn batch<F>(&self, n: usize, f: F) -> Vec<Result<Detections>>
    where
        F: Fn(usize, Threads) -> Result<Detections> + Sync,
    {
        let workers = self.threads.min(n);
        if workers <= 1 {
            return (0..n).map(|i| f(i, Threads::All)).collect();
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        // Engines with a fixed thread count run one image at a time on all
        // of them; the workers still overlap decoding and preprocessing.
        let single = if self.engine.info().single_thread_runs {
            Threads::One
        } else {
            Threads::All
        };
        let mut done: Vec<(usize, Result<Detections>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    s.spawn(|| {
                        let mut out = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            if i >= n {
                                return out;
                            }
                            out.push((i, f(i, single)));
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| match h.join() {
                    Ok(v) => v,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        });
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, r)| r).collect()
    }

    /// Detects objects with the given options.
    pub fn detect_with(&self, image: &DynamicImage, options: &DetectOptions) -> Result<Detections> {
        self.detect_on(image, options, Threads::All)
    }

    fn detect_on(
        &self,
        image: &DynamicImage,
        options: &DetectOptions,
        threads: Threads,
    ) -> Result<Detections> {
        options.validate()?;
        let t0 = Instant::now();
        let (w, h) = self.input;
        let (input, transform) =
            preprocess::preprocess_format(image, w, h, options.resize, &self.model.format)?;
        let t1 = Instant::now();
        let outputs = self.run_on(input.into_dyn(), threads)?;
        let t2 = Instant::now();
        let views: Vec<ArrayViewD<'_, f32>> = outputs.iter().map(|o| o.view()).collect();
        let detections = self.postprocess(&views, &transform, options)?;
        let t3 = Instant::now();
        Ok(Detections {
            width: image.width(),
            height: image.height(),
            detections,
            timings: Timings {
                preprocess: t1 - t0,
                inference: t2 - t1,
                postprocess: t3 - t2,
            },
        })
    }

    /// Runs the network on a preprocessed `[1, 3, H, W]` tensor and returns
    /// the raw head outputs, in head order.
    pub fn run(&self, input: ArrayD<f32>) -> Result<Vec<ArrayD<f32>>> {
        self.run_on(input, Threads::All)
    }

    fn run_on(&self, input: ArrayD<f32>, threads: Threads) -> Result<Vec<ArrayD<f32>>> {
        let expected = [1, 3, self.input.1 as usize, self.input.0 as usize];
        if input.shape() != expected {
            return Err(Error::InvalidParameter(format!(
                "input shape {:?}, expected {expected:?}",
                input.shape()
            )));
        }
        self.engine.run(input, threads)
    }

    /// Decodes raw head outputs, runs NMS (unless the model did) and maps
    /// boxes back to the image.
    pub fn postprocess(
        &self,
        outputs: &[ArrayViewD<'_, f32>],
        transform: &Transform,
        options: &DetectOptions,
    ) -> Result<Vec<Detection>> {
        let mut candidates: Vec<Candidate> = Vec::new();
        self.model
            .layout
            .decode(outputs, self.input, options.confidence, &mut candidates)?;
        if let Some(classes) = &options.classes {
            candidates.retain(|c| classes.contains(&c.class_id));
        }
        let (sw, sh) = (transform.src_width() as f32, transform.src_height() as f32);
        for c in &mut candidates {
            c.bbox = transform.to_source(c.bbox).clamp(sw, sh);
        }
        let kept = if self.model.layout.has_nms() {
            // The model's own NMS: no second one, most confident first.
            candidates.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
            candidates.truncate(options.max_detections);
            candidates
        } else {
            let nms_config = NmsConfig {
                iou_threshold: options.iou,
                agnostic: options.agnostic,
                max_detections: options.max_detections,
            };
            nms::nms(&candidates, &nms_config)
        };
        Ok(kept
            .into_iter()
            .map(|c| Detection {
                class_id: c.class_id,
                label: self.labels.name(c.class_id),
                confidence: c.confidence,
                bbox: c.bbox,
            })
            .collect())
    }
}

fn check_size(w: u32, h: u32) -> Result<()> {
    if w == 0 || h == 0 || !w.is_multiple_of(32) || !h.is_multiple_of(32) || w > 8192 || h > 8192 {
        return Err(Error::InvalidParameter(format!(
            "network input {w}×{h}: width and height must be multiples of 32 between 32 and 8192"
        )));
    }
    Ok(())
}
