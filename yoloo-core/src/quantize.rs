//! int8: turns a float ONNX graph into a QDQ graph (standard
//! `QuantizeLinear`/`DequantizeLinear` pairs) that ONNX Runtime, OpenVINO
//! and tract all load, from activation ranges measured on calibration photos.
//!
//! What is quantized:
//! - **weights** of every quantized `Conv`: int8, symmetric, one scale per
//!   output channel; biases int32 at `input scale × weight scale`;
//! - **activations**: uint8, asymmetric, one scale per tensor, on every
//!   tensor a quantized operation reads or writes (`Conv` inputs and
//!   outputs, and the `LeakyRelu`/`Relu`/`MaxPool`/`Concat`/`Resize`/`Add`
//!   tensors between quantized convolutions). `MaxPool` and `Resize`
//!   outputs reuse their input's scale, so engines can run them in int8.
//!
//! What stays float, by default: the first convolution (it reads the
//! image) and the head convolutions (whose outputs reach a graph output
//! without passing another convolution): [`QuantizeOptions`].
//!
//! Calibration ([`Calibration`]): the graph runs in fp32 on the photos with
//! every such tensor as an extra output; a first pass finds each tensor's
//! range, a second fills a 2048-bin histogram over it; the kept range is
//! then the raw min/max (the default), or the given percentile at both ends,
//! or the threshold of least KL divergence (entropy). Min-max is the default
//! because it held accuracy best on yolov3-tiny, calibrated on the eight
//! photos of `assets/calibration` and checked on the eight of the OpenCV
//! parity test: worst |Δconf| 0.13 and nothing lost, against 0.26 and one
//! detection lost at 0.25 for percentile 99.99 and 0.13 with two lost and
//! two added for entropy (OpenVINO and ONNX Runtime alike; a handful of
//! photos leaves too few samples in the tails for a percentile to cut only
//! outliers).
//!
//! ```no_run
//! use yoloo_core::quantize::{QuantizeOptions, quantize_with_photos};
//! use yoloo_core::{darknet, engine::{Backend, EngineConfig, Precision}};
//! let model = darknet::load("models/yolov3-tiny.cfg", "models/yolov3-tiny.weights")?;
//! let proto = model.to_onnx(416, 416, None)?;
//! let engine = EngineConfig::new(Backend::Tract, Precision::Fp32, 2, (416, 416));
//! let (qdq, report) = quantize_with_photos(&proto, "assets/images".as_ref(), &engine, &QuantizeOptions::default())?;
//! darknet::write_onnx(&qdq, "yolov3-tiny.int8.onnx")?;
//! println!("{report}");
//! # Ok::<(), yoloo_core::Error>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use image::DynamicImage;
use tract_onnx::pb;
use tract_onnx::pb::tensor_proto::DataType;

use crate::engine::{self, EngineConfig, Precision, Threads};
use crate::image_io::{DecodeLimits, open_image};
use crate::preprocess::{self, InputFormat, ResizeMode};
use crate::{Error, Result};

/// Metadata key describing how a QDQ model was made.
pub const META_QUANTIZATION: &str = "yoloo.quantization";

const BINS: usize = 2048;

/// How activation ranges are chosen from the calibration data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Calibration {
    /// The observed minimum and maximum.
    MinMax,
    /// The given percentile at the top (and `100 − p` at the bottom), e.g. 99.99.
    Percentile(f32),
    /// The clipping threshold that minimises the KL divergence between the
    /// float and the quantized distribution (TensorRT's entropy calibration).
    Entropy,
}

impl Default for Calibration {
    /// Min-max (see the module docs for why).
    fn default() -> Self {
        Calibration::MinMax
    }
}

impl fmt::Display for Calibration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Calibration::MinMax => f.write_str("minmax"),
            Calibration::Percentile(p) => write!(f, "percentile {p}"),
            Calibration::Entropy => f.write_str("entropy"),
        }
    }
}

impl std::str::FromStr for Calibration {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "minmax" | "min-max" => Ok(Calibration::MinMax),
            "entropy" | "kl" => Ok(Calibration::Entropy),
            "percentile" => Ok(Calibration::Percentile(99.99)),
            _ => match s
                .strip_prefix("percentile")
                .map(|p| p.trim_start_matches([':', '=', ' ']))
            {
                Some(p) => p
                    .parse::<f32>()
                    .ok()
                    .filter(|p| (50.0..=100.0).contains(p))
                    .map(Calibration::Percentile)
                    .ok_or_else(|| {
                        Error::InvalidParameter(format!("percentile {p:?}: expected 50–100"))
                    }),
                None => Err(Error::InvalidParameter(format!(
                    "calibration {s:?}: expected minmax, percentile[:P] or entropy"
                ))),
            },
        }
    }
}

/// How a model is quantized.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizeOptions {
    /// Range selection; default min-max.
    pub calibration: Calibration,
    /// Keep the convolutions that read the graph input in float; default true.
    pub float_first_conv: bool,
    /// Keep the head convolutions in float; default true.
    pub float_head_convs: bool,
    /// Also keep this many of the most sensitive convolutions in float
    /// (a per-layer pass: each convolution quantized alone, ranked by the
    /// error it adds to the outputs on the first calibration photos); default 0.
    pub float_most_sensitive: usize,
    /// 7-bit weights (±63) instead of 8-bit: avoids the int16 saturation of
    /// u8×s8 kernels on CPUs without VNNI, at some precision; default false.
    pub reduce_range: bool,
    /// How calibration photos are fitted to the input (as at detection); default stretch.
    pub resize: ResizeMode,
    /// How calibration photos are turned into the input tensor (the model
    /// family's, as at detection); default Darknet's (RGB in `[0, 1]`).
    pub format: InputFormat,
}

impl Default for QuantizeOptions {
    fn default() -> Self {
        Self {
            calibration: Calibration::default(),
            float_first_conv: true,
            float_head_convs: true,
            float_most_sensitive: 0,
            reduce_range: false,
            resize: ResizeMode::Stretch,
            format: InputFormat::DARKNET,
        }
    }
}

/// What [`quantize`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizeReport {
    /// Photos used.
    pub photos: usize,
    /// Convolutions quantized.
    pub quantized_convs: usize,
    /// Convolutions kept in float, by node name.
    pub float_convs: Vec<String>,
    /// Activation tensors with a Q/DQ pair.
    pub quantized_tensors: usize,
    /// Range selection.
    pub calibration: Calibration,
}

impl fmt::Display for QuantizeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "int8: {} convolutions quantized, {} in float ({}), {} activation tensors, {} calibration, {} photos",
            self.quantized_convs,
            self.float_convs.len(),
            self.float_convs.join(", "),
            self.quantized_tensors,
            self.calibration,
            self.photos
        )
    }
}

/// Whether the graph is already quantized (has Q/DQ or QLinear nodes).
pub fn is_quantized(proto: &pb::ModelProto) -> bool {
    proto.graph.as_ref().is_some_and(|g| {
        g.node.iter().any(|n| {
            matches!(
                n.op_type.as_str(),
                "QuantizeLinear" | "DequantizeLinear" | "QLinearConv" | "DynamicQuantizeLinear"
            )
        })
    })
}

/// The photos in `dir` (JPEG, PNG, BMP, WebP, TIFF, GIF), in name order.
pub fn calibration_photos(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::CalibrationRequired(format!(
            "cannot read the calibration folder {}: {e}",
            dir.display()
        ))
    })?;
    let mut photos: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .is_some_and(|e| {
                    matches!(
                        e.as_str(),
                        "jpg" | "jpeg" | "png" | "bmp" | "webp" | "tif" | "tiff" | "gif"
                    )
                })
        })
        .collect();
    photos.sort();
    if photos.is_empty() {
        return Err(Error::CalibrationRequired(format!(
            "no photos (jpg, png, bmp, webp, tiff, gif) in {}",
            dir.display()
        )));
    }
    Ok(photos)
}

/// [`quantize`] on the photos of a folder.
pub fn quantize_with_photos(
    proto: &pb::ModelProto,
    dir: &Path,
    engine: &EngineConfig,
    options: &QuantizeOptions,
) -> Result<(pb::ModelProto, QuantizeReport)> {
    let limits = DecodeLimits::default();
    let images = calibration_photos(dir)?
        .iter()
        .map(|p| open_image(p, &limits))
        .collect::<Result<Vec<_>>>()?;
    quantize(proto, &images, engine, options)
}

/// Calibrates `proto` on `images` (run in fp32 on `engine`'s backend) and
/// returns the QDQ graph.
pub fn quantize(
    proto: &pb::ModelProto,
    images: &[DynamicImage],
    engine: &EngineConfig,
    options: &QuantizeOptions,
) -> Result<(pb::ModelProto, QuantizeReport)> {
    if images.is_empty() {
        return Err(Error::CalibrationRequired(
            "no calibration photos given".into(),
        ));
    }
    if is_quantized(proto) {
        return Err(Error::InvalidParameter(
            "the model is already quantized".into(),
        ));
    }
    let opset = proto
        .opset_import
        .iter()
        .filter(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map(|o| o.version)
        .max()
        .unwrap_or(0);
    if opset < 13 {
        return Err(Error::InvalidParameter(format!(
            "int8 needs opset 13 or newer (per-channel DequantizeLinear); the model is opset {opset}"
        )));
    }
    let graph = Graph::new(proto)?;
    let mut float: HashSet<usize> = HashSet::new();
    if options.float_first_conv {
        float.extend(graph.first_convs());
    }
    if options.float_head_convs {
        float.extend(graph.head_convs());
    }
    let inputs = preprocess_all(images, engine, options)?;
    let fp32 = EngineConfig {
        precision: Precision::Fp32,
        ..engine.clone()
    };

    if options.float_most_sensitive > 0 {
        let ranked = sensitivity(proto, &graph, &float, &inputs, &fp32, options)?;
        float.extend(ranked.into_iter().take(options.float_most_sensitive));
    }
    let plan = graph.plan(&float);
    let ranges = calibrate(proto, &plan.measured(), &inputs, &fp32, options.calibration)?;
    let qdq = graph.rewrite(proto, &plan, &ranges, options)?;
    let mut float_convs: Vec<String> = float.iter().map(|&i| graph.nodes[i].name.clone()).collect();
    float_convs.sort();
    let report = QuantizeReport {
        photos: images.len(),
        quantized_convs: plan.convs.len(),
        float_convs,
        quantized_tensors: plan.tensors.len(),
        calibration: options.calibration,
    };
    let mut qdq = qdq;
    qdq.metadata_props.retain(|m| m.key != META_QUANTIZATION);
    qdq.metadata_props.push(pb::StringStringEntryProto {
        key: META_QUANTIZATION.into(),
        value: report.to_string(),
    });
    Ok((qdq, report))
}

fn preprocess_all(
    images: &[DynamicImage],
    engine: &EngineConfig,
    options: &QuantizeOptions,
) -> Result<Vec<ndarray::ArrayD<f32>>> {
    let (w, h) = engine.input;
    images
        .iter()
        .map(|img| {
            let (x, _) = preprocess::preprocess_format(img, w, h, options.resize, &options.format)?;
            Ok(x.into_dyn())
        })
        .collect()
}

/// The graph's structure, as far as quantization needs it.
struct Graph {
    nodes: Vec<pb::NodeProto>,
    input: String,
    outputs: HashSet<String>,
    consumers: HashMap<String, Vec<usize>>,
}

/// Which convolutions and tensors get quantized.
struct Plan {
    convs: Vec<usize>,
    /// Quantized tensors; the value is the tensor whose scale it shares
    /// (itself, or the input of a MaxPool/Resize).
    tensors: Vec<(String, String)>,
}

impl Plan {
    fn measured(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .tensors
            .iter()
            .filter(|(t, s)| t == s)
            .map(|(t, _)| t.clone())
            .collect();
        v.dedup();
        v
    }
}

/// Ops whose int8 form engines have, so tensors between them stay int8.
const PASS_THROUGH: [&str; 6] = ["LeakyRelu", "Relu", "MaxPool", "Concat", "Resize", "Add"];
/// Ops whose output can share the input's scale.
const SAME_SCALE: [&str; 2] = ["MaxPool", "Resize"];

impl Graph {
    fn new(proto: &pb::ModelProto) -> Result<Self> {
        let g = proto
            .graph
            .as_ref()
            .ok_or_else(|| Error::Model("the ONNX model has no graph".into()))?;
        let inits: HashSet<&str> = g.initializer.iter().map(|i| i.name.as_str()).collect();
        let input = g
            .input
            .iter()
            .find(|i| !inits.contains(i.name.as_str()))
            .map(|i| i.name.clone())
            .ok_or_else(|| Error::Model("the ONNX graph has no input".into()))?;
        let mut consumers: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, n) in g.node.iter().enumerate() {
            for t in &n.input {
                consumers.entry(t.clone()).or_default().push(i);
            }
        }
        Ok(Self {
            nodes: g.node.clone(),
            input,
            outputs: g.output.iter().map(|o| o.name.clone()).collect(),
            consumers,
        })
    }

    fn convs(&self) -> impl Iterator<Item = usize> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.op_type == "Conv" && n.input.len() >= 2)
            .map(|(i, _)| i)
    }

    fn first_convs(&self) -> Vec<usize> {
        self.convs()
            .filter(|&i| self.nodes[i].input[0] == self.input)
            .collect()
    }

    /// Convolutions whose output reaches a graph output through non-conv ops only.
    fn head_convs(&self) -> Vec<usize> {
        self.convs()
            .filter(|&i| {
                let mut stack: Vec<&str> =
                    self.nodes[i].output.iter().map(String::as_str).collect();
                let mut seen = HashSet::new();
                while let Some(t) = stack.pop() {
                    if self.outputs.contains(t) {
                        return true;
                    }
                    if !seen.insert(t) {
                        continue;
                    }
                    for &c in self.consumers.get(t).map_or(&[][..], Vec::as_slice) {
                        if self.nodes[c].op_type != "Conv" {
                            stack.extend(self.nodes[c].output.iter().map(String::as_str));
                        }
                    }
                }
                false
            })
            .collect()
    }

    fn plan(&self, float: &HashSet<usize>) -> Plan {
        let convs: Vec<usize> = self.convs().filter(|i| !float.contains(i)).collect();
        let quant: HashSet<usize> = convs.iter().copied().collect();
        // wants[t]: some consumer reads `t` as int8. Nodes are in topological
        // order, so a reverse sweep sees every consumer's output first.
        let mut wants: HashSet<String> = HashSet::new();
        for (i, n) in self.nodes.iter().enumerate().rev() {
            let out_wanted = n.output.iter().any(|o| wants.contains(o));
            let reads_int8 =
                (quant.contains(&i)) || (PASS_THROUGH.contains(&n.op_type.as_str()) && out_wanted);
            if reads_int8 {
                // A Conv reads only its activation as int8; weights are handled apart.
                let acts: &[String] = if n.op_type == "Conv" {
                    &n.input[..1]
                } else {
                    &n.input[..]
                };
                for t in acts {
                    if !t.is_empty() && !self.outputs.contains(t) {
                        wants.insert(t.clone());
                    }
                }
            }
            if quant.contains(&i) {
                for o in &n.output {
                    if !self.outputs.contains(o) {
                        wants.insert(o.clone());
                    }
                }
            }
        }
        // Keep only activations (not initializers other than the graph input
        // are never produced by a node); order: graph input, then node order.
        let produced: HashMap<&str, usize> = self
            .nodes
            .iter()
            .enumerate()
            .flat_map(|(i, n)| n.output.iter().map(move |o| (o.as_str(), i)))
            .collect();
        let mut tensors: Vec<(String, String)> = Vec::new();
        let mut share: HashMap<String, String> = HashMap::new();
        if wants.contains(&self.input) {
            tensors.push((self.input.clone(), self.input.clone()));
            share.insert(self.input.clone(), self.input.clone());
        }
        for n in &self.nodes {
            for o in &n.output {
                if !wants.contains(o) || !produced.contains_key(o.as_str()) {
                    continue;
                }
                let source = match n.input.first() {
                    Some(i) if SAME_SCALE.contains(&n.op_type.as_str()) => {
                        share.get(i).cloned().unwrap_or_else(|| o.clone())
                    }
                    _ => o.clone(),
                };
                share.insert(o.clone(), source.clone());
                tensors.push((o.clone(), source));
            }
        }
        Plan { convs, tensors }
    }

    fn rewrite(
        &self,
        proto: &pb::ModelProto,
        plan: &Plan,
        ranges: &HashMap<String, (f32, f32)>,
        options: &QuantizeOptions,
    ) -> Result<pb::ModelProto> {
        let mut out = proto.clone();
        let g = out
            .graph
            .as_mut()
            .ok_or_else(|| Error::Model("the ONNX model has no graph".into()))?;
        let mut inits: HashMap<String, pb::TensorProto> = g
            .initializer
            .drain(..)
            .map(|t| (t.name.clone(), t))
            .collect();
        let mut new_inits: Vec<pb::TensorProto> = Vec::new();

        // Activation scales.
        let mut qparams: HashMap<String, (f32, u8)> = HashMap::new();
        for (t, source) in &plan.tensors {
            let (lo, hi) = ranges.get(source).copied().ok_or_else(|| {
                Error::Model(format!("no calibration range for tensor {source:?}"))
            })?;
            let (lo, hi) = (lo.min(0.0), hi.max(0.0));
            let scale = ((hi - lo) / 255.0).max(1e-8);
            let zp = (-lo / scale).round().clamp(0.0, 255.0) as u8;
            qparams.insert(t.clone(), (scale, zp));
        }
        // The image input holds k/255 values: quantize it exactly.
        if let Some(p) = qparams.get_mut(&self.input) {
            let (lo, hi) = ranges.get(&self.input).copied().unwrap_or((0.0, 1.0));
            if lo >= 0.0 && hi <= 1.0 {
                *p = (1.0 / 255.0, 0);
            }
        }

        // Q/DQ pairs, renaming the consumers' inputs.
        let renamed: HashMap<String, String> = plan
            .tensors
            .iter()
            .map(|(t, _)| (t.clone(), format!("{t}.dq")))
            .collect();
        let qdq_nodes = |t: &str, new_inits: &mut Vec<pb::TensorProto>| -> Vec<pb::NodeProto> {
            let (scale, zp) = qparams[t];
            let (s, z) = (format!("{t}.scale"), format!("{t}.zp"));
            new_inits.push(scalar_f32(&s, scale));
            new_inits.push(scalar_u8(&z, zp));
            vec![
                simple_node(
                    "QuantizeLinear",
                    format!("{t}.quantize"),
                    vec![t.to_string(), s.clone(), z.clone()],
                    format!("{t}.q"),
                ),
                simple_node(
                    "DequantizeLinear",
                    format!("{t}.dequantize"),
                    vec![format!("{t}.q"), s, z],
                    format!("{t}.dq"),
                ),
            ]
        };
        let quant: HashSet<usize> = plan.convs.iter().copied().collect();
        let mut nodes: Vec<pb::NodeProto> = Vec::with_capacity(self.nodes.len() * 3);
        if renamed.contains_key(&self.input) {
            nodes.extend(qdq_nodes(&self.input, &mut new_inits));
        }
        for (i, n) in self.nodes.iter().enumerate() {
            let mut n = n.clone();
            let original_input = n.input.first().cloned();
            for inp in n.input.iter_mut() {
                if let Some(r) = renamed.get(inp) {
                    *inp = r.clone();
                }
            }
            if quant.contains(&i) {
                let x = original_input.unwrap_or_default();
                let s_in = qparams
                    .get(&x)
                    .map(|p| p.0)
                    .ok_or_else(|| Error::Model(format!("conv {} input not quantized", n.name)))?;
                let (w_name, b_name) = (n.input[1].clone(), n.input.get(2).cloned());
                let w = inits.remove(&w_name).ok_or_else(|| {
                    Error::Model(format!(
                        "conv {}: weight {w_name:?} is not an initializer",
                        n.name
                    ))
                })?;
                let (wq, wdq_nodes, w_scales) =
                    quantize_weight(&w, options.reduce_range, &mut new_inits)?;
                nodes.extend(wdq_nodes);
                n.input[1] = wq;
                if let Some(b_name) = b_name.filter(|b| !b.is_empty()) {
                    let b = inits.remove(&b_name).ok_or_else(|| {
                        Error::Model(format!(
                            "conv {}: bias {b_name:?} is not an initializer",
                            n.name
                        ))
                    })?;
                    let (bq, bdq) = quantize_bias(&b, s_in, &w_scales, &mut new_inits)?;
                    nodes.push(bdq);
                    n.input[2] = bq;
                }
            }
            let outs = n.output.clone();
            nodes.push(n);
            for o in &outs {
                if renamed.contains_key(o) {
                    nodes.extend(qdq_nodes(o, &mut new_inits));
                }
            }
        }
        g.node = nodes;
        let mut all: Vec<pb::TensorProto> = inits.into_values().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all.extend(new_inits);
        g.initializer = all;
        Ok(out)
    }
}

fn simple_node(op: &str, name: String, inputs: Vec<String>, output: String) -> pb::NodeProto {
    pb::NodeProto {
        op_type: op.into(),
        name,
        input: inputs,
        output: vec![output],
        ..Default::default()
    }
}

fn tensor(name: &str, dims: &[i64], dt: DataType, raw: Vec<u8>) -> pb::TensorProto {
    pb::TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: dt as i32,
        raw_data: raw,
        ..Default::default()
    }
}

fn scalar_f32(name: &str, v: f32) -> pb::TensorProto {
    tensor(name, &[], DataType::Float, v.to_le_bytes().to_vec())
}

fn scalar_u8(name: &str, v: u8) -> pb::TensorProto {
    tensor(name, &[], DataType::Uint8, vec![v])
}

fn float_data(t: &pb::TensorProto) -> Result<Vec<f32>> {
    if t.data_type != DataType::Float as i32 {
        return Err(Error::Model(format!("initializer {} is not float", t.name)));
    }
    if !t.raw_data.is_empty() {
        Ok(t.raw_data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    } else {
        Ok(t.float_data.clone())
    }
}

/// Per-output-channel symmetric int8; returns the DQ output name, its
/// nodes, and the scales.
fn quantize_weight(
    w: &pb::TensorProto,
    reduce_range: bool,
    inits: &mut Vec<pb::TensorProto>,
) -> Result<(String, Vec<pb::NodeProto>, Vec<f32>)> {
    let data = float_data(w)?;
    let channels = *w.dims.first().unwrap_or(&0) as usize;
    if channels == 0 || data.len() % channels != 0 {
        return Err(Error::Model(format!(
            "weight {} has an odd shape {:?}",
            w.name, w.dims
        )));
    }
    let per = data.len() / channels;
    let qmax = if reduce_range { 63.0 } else { 127.0 };
    let mut scales = Vec::with_capacity(channels);
    let mut q = Vec::with_capacity(data.len());
    for c in data.chunks_exact(per) {
        let m = c.iter().fold(0.0f32, |a, v| a.max(v.abs()));
        let s = if m > 0.0 { m / qmax } else { 1.0 };
        scales.push(s);
        q.extend(
            c.iter()
                .map(|v| (v / s).round().clamp(-qmax, qmax) as i8 as u8),
        );
    }
    let name = &w.name;
    let (qn, sn, zn) = (
        format!("{name}.q"),
        format!("{name}.scale"),
        format!("{name}.zp"),
    );
    inits.push(tensor(&qn, &w.dims, DataType::Int8, q));
    inits.push(tensor(
        &sn,
        &[channels as i64],
        DataType::Float,
        scales.iter().flat_map(|s| s.to_le_bytes()).collect(),
    ));
    inits.push(tensor(
        &zn,
        &[channels as i64],
        DataType::Int8,
        vec![0; channels],
    ));
    let out = format!("{name}.dq");
    let mut node = simple_node(
        "DequantizeLinear",
        format!("{name}.dequantize"),
        vec![qn, sn, zn],
        out.clone(),
    );
    node.attribute.push(axis0());
    Ok((out, vec![node], scales))
}

fn axis0() -> pb::AttributeProto {
    pb::AttributeProto {
        name: "axis".into(),
        r#type: pb::attribute_proto::AttributeType::Int as i32,
        i: 0,
        ..Default::default()
    }
}

/// int32 bias at `s_in × s_w[c]`, zero point 0.
fn quantize_bias(
    b: &pb::TensorProto,
    s_in: f32,
    w_scales: &[f32],
    inits: &mut Vec<pb::TensorProto>,
) -> Result<(String, pb::NodeProto)> {
    let data = float_data(b)?;
    if data.len() != w_scales.len() {
        return Err(Error::Model(format!(
            "bias {} does not fit its weight",
            b.name
        )));
    }
    let scales: Vec<f32> = w_scales.iter().map(|s| s * s_in).collect();
    let q: Vec<u8> = data
        .iter()
        .zip(&scales)
        .flat_map(|(v, s)| {
            ((v / s).round().clamp(i32::MIN as f32, i32::MAX as f32) as i32).to_le_bytes()
        })
        .collect();
    let name = &b.name;
    let n = data.len() as i64;
    let (qn, sn, zn) = (
        format!("{name}.q"),
        format!("{name}.scale"),
        format!("{name}.zp"),
    );
    inits.push(tensor(&qn, &[n], DataType::Int32, q));
    inits.push(tensor(
        &sn,
        &[n],
        DataType::Float,
        scales.iter().flat_map(|s| s.to_le_bytes()).collect(),
    ));
    inits.push(tensor(&zn, &[n], DataType::Int32, vec![0; 4 * data.len()]));
    let out = format!("{name}.dq");
    let mut node = simple_node(
        "DequantizeLinear",
        format!("{name}.dequantize"),
        vec![qn, sn, zn],
        out.clone(),
    );
    node.attribute.push(axis0());
    Ok((out, node))
}

/// `proto` with `extra` tensors as additional graph outputs.
fn with_outputs(proto: &pb::ModelProto, extra: &[String]) -> pb::ModelProto {
    let mut p = proto.clone();
    if let Some(g) = p.graph.as_mut() {
        let have: HashSet<String> = g.output.iter().map(|o| o.name.clone()).collect();
        for t in extra.iter().filter(|t| !have.contains(*t)) {
            g.output.push(pb::ValueInfoProto {
                name: t.clone(),
                r#type: Some(pb::TypeProto {
                    value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                        elem_type: DataType::Float as i32,
                        shape: None,
                    })),
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
    }
    p
}

/// Each tensor's kept range `(lo, hi)`.
fn calibrate(
    proto: &pb::ModelProto,
    tensors: &[String],
    inputs: &[ndarray::ArrayD<f32>],
    engine: &EngineConfig,
    method: Calibration,
) -> Result<HashMap<String, (f32, f32)>> {
    let graph_input = Graph::new(proto)?.input;
    let measured: Vec<String> = tensors
        .iter()
        .filter(|t| **t != graph_input)
        .cloned()
        .collect();
    let base = proto.graph.as_ref().map_or(0, |g| g.output.len());
    let probe = with_outputs(proto, &measured);
    let runner = engine::compile(&probe, engine)?;
    let mut minmax: Vec<(f32, f32)> = vec![(f32::INFINITY, f32::NEG_INFINITY); measured.len()];
    let mut input_range = (f32::INFINITY, f32::NEG_INFINITY);
    for x in inputs {
        input_range = x
            .iter()
            .fold(input_range, |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let outs = runner.run(x.clone(), Threads::All)?;
        for (k, o) in outs[base..].iter().enumerate() {
            let (lo, hi) = &mut minmax[k];
            for &v in o.iter() {
                *lo = lo.min(v);
                *hi = hi.max(v);
            }
        }
    }
    let mut ranges: HashMap<String, (f32, f32)> = HashMap::new();
    ranges.insert(graph_input, input_range);
    if method == Calibration::MinMax {
        for (t, r) in measured.iter().zip(minmax) {
            ranges.insert(t.clone(), r);
        }
        return Ok(ranges);
    }
    let mut hists: Vec<Vec<u64>> = vec![vec![0; BINS]; measured.len()];
    for x in inputs {
        let outs = runner.run(x.clone(), Threads::All)?;
        for (k, o) in outs[base..].iter().enumerate() {
            let (lo, hi) = minmax[k];
            let width = (hi - lo).max(1e-12);
            let h = &mut hists[k];
            for &v in o.iter() {
                let b = (((v - lo) / width) * BINS as f32) as usize;
                h[b.min(BINS - 1)] += 1;
            }
        }
    }
    for (k, t) in measured.iter().enumerate() {
        let (lo, hi) = minmax[k];
        let r = match method {
            Calibration::Percentile(p) => percentile_range(&hists[k], lo, hi, p),
            Calibration::Entropy => entropy_range(&hists[k], lo, hi),
            Calibration::MinMax => (lo, hi),
        };
        ranges.insert(t.clone(), r);
    }
    Ok(ranges)
}

fn bin_value(lo: f32, hi: f32, b: usize) -> f32 {
    lo + (hi - lo) * b as f32 / BINS as f32
}

/// The `100 − p` and `p` percentiles of a histogram over `[lo, hi]`.
fn percentile_range(hist: &[u64], lo: f32, hi: f32, p: f32) -> (f32, f32) {
    let total: u64 = hist.iter().sum();
    if total == 0 {
        return (lo, hi);
    }
    let cut = ((1.0 - f64::from(p) / 100.0) * total as f64) as u64;
    let (mut acc, mut first) = (0u64, 0usize);
    for (b, &c) in hist.iter().enumerate() {
        acc += c;
        if acc > cut {
            first = b;
            break;
        }
    }
    let (mut acc, mut last) = (0u64, BINS - 1);
    for (b, &c) in hist.iter().enumerate().rev() {
        acc += c;
        if acc > cut {
            last = b;
            break;
        }
    }
    (bin_value(lo, hi, first), bin_value(lo, hi, last + 1))
}

/// Entropy calibration of the upper end (the tail that matters after a
/// LeakyRelu); the lower end is the 0.01 % percentile.
fn entropy_range(hist: &[u64], lo: f32, hi: f32) -> (f32, f32) {
    let (p_lo, _) = percentile_range(hist, lo, hi, 99.99);
    // Bins from zero (or lo when lo > 0) upwards.
    let zero_bin = if lo >= 0.0 {
        0
    } else {
        (((-lo) / (hi - lo).max(1e-12)) * BINS as f32) as usize
    };
    let pos: Vec<f64> = hist[zero_bin.min(BINS - 1)..]
        .iter()
        .map(|&c| c as f64)
        .collect();
    let levels = 128usize;
    if pos.len() <= levels {
        return (p_lo, hi);
    }
    let mut best = (f64::INFINITY, pos.len());
    for i in (levels..=pos.len()).step_by(8) {
        // Reference: the first i bins, the outliers folded into the last.
        let mut p: Vec<f64> = pos[..i].to_vec();
        p[i - 1] += pos[i..].iter().sum::<f64>();
        // Candidate: the i bins merged into `levels` levels, spread back.
        let mut q = vec![0.0f64; i];
        let per = i as f64 / levels as f64;
        for l in 0..levels {
            let (a, b) = (
                (l as f64 * per) as usize,
                (((l + 1) as f64 * per) as usize).min(i),
            );
            let sum: f64 = pos[a..b].iter().sum();
            let nonzero = pos[a..b].iter().filter(|&&v| v > 0.0).count();
            if nonzero > 0 {
                for j in a..b {
                    if pos[j] > 0.0 {
                        q[j] = sum / nonzero as f64;
                    }
                }
            }
        }
        let (ps, qs): (f64, f64) = (p.iter().sum(), q.iter().sum());
        if ps == 0.0 || qs == 0.0 {
            continue;
        }
        let kl: f64 = p
            .iter()
            .zip(&q)
            .filter(|(pv, _)| **pv > 0.0)
            .map(|(pv, qv)| {
                let (pn, qn) = (pv / ps, (qv / qs).max(1e-12));
                pn * (pn / qn).ln()
            })
            .sum();
        if kl < best.0 {
            best = (kl, i);
        }
    }
    let top = bin_value(lo, hi, (zero_bin + best.1).min(BINS));
    (p_lo, top)
}

/// Convolutions ranked by the output error each adds when it alone is
/// quantized (worst first), measured on the first two inputs.
fn sensitivity(
    proto: &pb::ModelProto,
    graph: &Graph,
    float: &HashSet<usize>,
    inputs: &[ndarray::ArrayD<f32>],
    engine: &EngineConfig,
    options: &QuantizeOptions,
) -> Result<Vec<usize>> {
    let sample = &inputs[..inputs.len().min(2)];
    let reference_engine = engine::compile(proto, engine)?;
    let reference: Vec<Vec<ndarray::ArrayD<f32>>> = sample
        .iter()
        .map(|x| reference_engine.run(x.clone(), Threads::All))
        .collect::<Result<_>>()?;
    let all_float: HashSet<usize> = graph.convs().collect();
    let full = graph.plan(float);
    let ranges = calibrate(proto, &full.measured(), sample, engine, options.calibration)?;
    let mut scores: Vec<(f64, usize)> = Vec::new();
    for conv in graph.convs().filter(|c| !float.contains(c)) {
        let mut others = all_float.clone();
        others.remove(&conv);
        let plan = graph.plan(&others);
        let qdq = graph.rewrite(proto, &plan, &ranges, options)?;
        let runner = engine::compile(&qdq, engine)?;
        let mut err = 0.0f64;
        for (x, r) in sample.iter().zip(&reference) {
            let outs = runner.run(x.clone(), Threads::All)?;
            for (o, ro) in outs.iter().zip(r) {
                let (num, den) = o
                    .iter()
                    .zip(ro.iter())
                    .fold((0.0f64, 0.0f64), |(n, d), (a, b)| {
                        (n + f64::from(a - b).powi(2), d + f64::from(*b).powi(2))
                    });
                err += num / den.max(1e-12);
            }
        }
        scores.push((err, conv));
    }
    scores.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(scores.into_iter().map(|(_, c)| c).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_names_parse() {
        assert_eq!(
            "minmax".parse::<Calibration>().unwrap(),
            Calibration::MinMax
        );
        assert_eq!(
            "entropy".parse::<Calibration>().unwrap(),
            Calibration::Entropy
        );
        assert_eq!(
            "percentile:99.9".parse::<Calibration>().unwrap(),
            Calibration::Percentile(99.9)
        );
        assert_eq!(
            "percentile".parse::<Calibration>().unwrap(),
            Calibration::Percentile(99.99)
        );
        assert_eq!(Calibration::default(), Calibration::MinMax);
        assert!("percentile:20".parse::<Calibration>().is_err());
        assert!("median".parse::<Calibration>().is_err());
    }

    #[test]
    fn percentiles_cut_the_tails() {
        let mut h = vec![0u64; BINS];
        h[0] = 1; // one outlier at the bottom
        h[1000] = 1_000_000;
        h[BINS - 1] = 1; // and one at the top
        let (lo, hi) = percentile_range(&h, -1.0, 1.0, 99.99);
        assert!(lo > -0.1 && hi < 0.1, "{lo} {hi}");
        assert_eq!(percentile_range(&h, -1.0, 1.0, 100.0), (-1.0, 1.0));
    }

    #[test]
    fn an_empty_folder_is_a_typed_error() {
        let dir = std::env::temp_dir().join(format!("yoloo-calib-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let err = calibration_photos(&dir).unwrap_err();
        assert!(matches!(err, Error::CalibrationRequired(_)), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
