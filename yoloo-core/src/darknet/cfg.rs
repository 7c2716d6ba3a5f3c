//! Darknet `.cfg` files: parsing into a typed network description.
//!
//! A cfg is a list of `[section]`s with `key=value` lines. The first section
//! is `[net]` (or `[network]`); every other one is a layer, numbered from 0
//! in file order — the numbers `[route]` and `[shortcut]` refer to.

use crate::decode::YoloHead;
use crate::{Error, Result};

/// Activation function of a convolution or shortcut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `leaky`: `max(x, 0.1·x)`.
    Leaky,
    /// `linear`: identity.
    Linear,
    /// `relu`.
    Relu,
    /// `logistic`: sigmoid (Darknet's default for a convolution).
    Logistic,
    /// `mish` (YOLOv4's backbone): `x·tanh(softplus(x))`.
    Mish,
    /// `swish`: `x·sigmoid(x)`.
    Swish,
    /// `tanh`.
    Tanh,
}

impl Activation {
    /// Every activation, with its cfg name.
    pub const ALL: [(&'static str, Activation); 7] = [
        ("leaky", Activation::Leaky),
        ("linear", Activation::Linear),
        ("relu", Activation::Relu),
        ("logistic", Activation::Logistic),
        ("mish", Activation::Mish),
        ("swish", Activation::Swish),
        ("tanh", Activation::Tanh),
    ];
}

/// One layer of a Darknet network.
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// `[convolutional]`.
    Convolutional {
        /// Output channels.
        filters: usize,
        /// Channel groups (1 = an ordinary convolution).
        groups: usize,
        /// Kernel size (square).
        size: usize,
        /// Stride.
        stride: usize,
        /// Zero padding on each side.
        padding: usize,
        /// Whether batch-norm parameters precede the weights (and fold into them).
        batch_normalize: bool,
        /// Activation.
        activation: Activation,
    },
    /// `[maxpool]`.
    MaxPool {
        /// Window size.
        size: usize,
        /// Stride.
        stride: usize,
        /// Total padding (Darknet default `size - 1`), split `padding/2` before.
        padding: usize,
    },
    /// `[route]`: concatenation of earlier layers' outputs along channels;
    /// with `groups = g`, only the `group_id`-th of `g` equal channel slices
    /// of each (YOLOv4-tiny's CSP blocks).
    Route {
        /// Absolute indices of the layers concatenated.
        layers: Vec<usize>,
        /// Channel groups each input is split into (1 = the whole input).
        groups: usize,
        /// Which group of each input is kept, `0..groups`.
        group_id: usize,
    },
    /// `[shortcut]`: sum with an earlier layer's output.
    Shortcut {
        /// Absolute index of the other layer.
        from: usize,
        /// Activation after the sum.
        activation: Activation,
    },
    /// `[upsample]`: nearest-neighbour upsampling.
    Upsample {
        /// Integer scale factor.
        stride: usize,
    },
    /// `[yolo]`: a detection head; the previous layer's output is its raw tensor.
    Yolo(YoloHead),
}

/// A parsed cfg: input size and layers.
///
/// ```
/// use yoloo_core::darknet::cfg::{Cfg, Layer};
/// let cfg = Cfg::parse("[net]\nwidth=64\nheight=64\nchannels=3\n\
///     [convolutional]\nfilters=18\nsize=1\nstride=1\npad=1\nactivation=linear\n\
///     [yolo]\nmask=0\nanchors=10,14, 23,27\nclasses=1\nnum=2\n").unwrap();
/// assert_eq!(cfg.width, 64);
/// assert_eq!(cfg.layers.len(), 2);
/// assert!(matches!(cfg.layers[1].layer, Layer::Yolo(_)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Cfg {
    /// Network input width.
    pub width: usize,
    /// Network input height.
    pub height: usize,
    /// Network input channels.
    pub channels: usize,
    /// `[net] letter_box=1`: the network was trained (and is meant to run)
    /// on letterboxed input.
    pub letter_box: bool,
    /// The layers, in order.
    pub layers: Vec<LayerDef>,
}

/// A layer with the line of its section header, for error messages.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerDef {
    /// The layer.
    pub layer: Layer,
    /// 1-based line of its `[section]` header.
    pub line: usize,
}

struct Section {
    name: String,
    line: usize,
    /// key, value, line
    options: Vec<(String, String, usize)>,
    /// Layer index (None for `[net]`).
    index: Option<usize>,
}

impl Section {
    fn err(&self, message: impl Into<String>) -> Error {
        Error::Cfg {
            section: self.index,
            line: Some(self.line),
            message: message.into(),
        }
    }

    fn raw(&self, key: &str) -> Option<(&str, usize)> {
        self.options
            .iter()
            .rev()
            .find(|(k, _, _)| k == key)
            .map(|(_, v, l)| (v.as_str(), *l))
    }

    fn err_at(&self, line: usize, message: impl Into<String>) -> Error {
        Error::Cfg {
            section: self.index,
            line: Some(line),
            message: message.into(),
        }
    }

    fn int(&self, key: &str, default: Option<i64>) -> Result<i64> {
        match self.raw(key) {
            Some((v, line)) => v.parse::<i64>().map_err(|_| {
                self.err_at(
                    line,
                    format!("[{}] {key}={v:?} is not an integer", self.name),
                )
            }),
            None => default.ok_or_else(|| self.err(format!("[{}] needs {key}=", self.name))),
        }
    }

    /// A non-negative integer within `lo..=hi`.
    fn uint(&self, key: &str, default: Option<i64>, lo: i64, hi: i64) -> Result<usize> {
        let v = self.int(key, default)?;
        if v < lo || v > hi {
            let line = self.raw(key).map_or(self.line, |(_, l)| l);
            return Err(self.err_at(
                line,
                format!("[{}] {key}={v} is outside {lo}..={hi}", self.name),
            ));
        }
        Ok(v as usize)
    }

    fn list<T: std::str::FromStr>(&self, key: &str) -> Result<Option<Vec<T>>> {
        let Some((v, line)) = self.raw(key) else {
            return Ok(None);
        };
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<T>().map_err(|_| {
                    self.err_at(
                        line,
                        format!("[{}] {key}: {s:?} is not a number", self.name),
                    )
                })
            })
            .collect::<Result<Vec<T>>>()
            .map(Some)
    }

    /// The `activation=` of this section, `default` when absent.
    fn activation(&self, default: Activation) -> Result<Activation> {
        let Some((name, line)) = self.raw("activation") else {
            return Ok(default);
        };
        Activation::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| *a)
            .ok_or_else(|| {
                let known: Vec<&str> = Activation::ALL.iter().map(|(n, _)| *n).collect();
                self.err_at(
                    line,
                    format!(
                        "activation {name:?} is not supported (expected one of {})",
                        known.join(", ")
                    ),
                )
            })
    }

    /// Refuses a key this section type does not have: `read` are the keys
    /// that shape inference, `ignored` the training-only ones Darknet reads
    /// and yoloo accepts as they are. A misspelt key is an error, not a
    /// silently different network.
    fn check_keys(&self, read: &[&str], ignored: &[&str]) -> Result<()> {
        for (key, _, line) in &self.options {
            let k = key.as_str();
            if read.contains(&k)
                || ignored.contains(&k)
                || (self.index.is_some() && LAYER_TRAINING_KEYS.contains(&k))
            {
                continue;
            }
            return Err(self.err_at(
                *line,
                format!(
                    "[{}] has no key {key:?} (expected one of {}, or a training-only key)",
                    self.name,
                    read.join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// A key whose only supported value is its default: anything else
    /// would change the network in a way the converter does not model.
    fn require_default(&self, key: &str, default: &str, what: &str) -> Result<()> {
        match self.raw(key) {
            Some((v, line)) if v != default => Err(self.err_at(
                line,
                format!("[{}] {key}={v} ({what}) is not supported", self.name),
            )),
            _ => Ok(()),
        }
    }

    /// Resolves a layer reference (negative = relative) to an earlier layer.
    fn layer_ref(&self, raw: i64, line: usize) -> Result<usize> {
        let here = self.index.unwrap_or(0) as i64;
        let abs = if raw < 0 { here + raw } else { raw };
        if abs < 0 || abs >= here {
            return Err(self.err_at(
                line,
                format!(
                    "[{}] refers to layer {raw}, which is not an earlier layer",
                    self.name
                ),
            ));
        }
        Ok(abs as usize)
    }
}

/// `[net]` keys: what shapes the input, then Darknet's training
/// hyper-parameters (accepted, not used for inference).
const NET_KEYS: &[&str] = &[
    "width",
    "height",
    "channels",
    "letter_box",
    "inputs",
    "batch",
    "subdivisions",
    "max_batches",
    "learning_rate",
    "learning_rate_min",
    "sgdr_cycle",
    "sgdr_mult",
    "momentum",
    "decay",
    "time_steps",
    "track",
    "augment_speed",
    "sequential_subdivisions",
    "try_fix_nan",
    "weights_reject_freq",
    "equidistant_point",
    "badlabels_rejection_percentage",
    "num_sigmas_reject_badlabels",
    "ema_alpha",
    "use_cuda_graph",
    "loss_scale",
    "dynamic_minibatch",
    "optimized_memory",
    "workspace_size_limit_mb",
    "adam",
    "b1",
    "b2",
    "eps",
    "max_crop",
    "min_crop",
    "max_ratio",
    "min_ratio",
    "center",
    "flip",
    "blur",
    "gaussian_noise",
    "mixup",
    "cutmix",
    "mosaic",
    "mosaic_bound",
    "contrastive",
    "contrastive_jit_flip",
    "contrastive_color",
    "unsupervised",
    "label_smooth_eps",
    "resize_step",
    "attention",
    "adversarial_lr",
    "max_chart_loss",
    "angle",
    "aspect",
    "saturation",
    "exposure",
    "hue",
    "power",
    "policy",
    "burn_in",
    "step",
    "scale",
    "steps",
    "scales",
    "seq_scales",
    "gamma",
    "show_receptive_field",
    "notruth",
    "random",
    "clip",
    "rescore",
];

/// Keys Darknet reads on every layer, all about training.
const LAYER_TRAINING_KEYS: &[&str] = &[
    "clip",
    "onlyforward",
    "dont_update",
    "burnin_update",
    "stopbackward",
    "train_only_bn",
    "dontload",
    "dontloadscales",
    "learning_rate",
    "stream",
    "wait_stream",
];

/// Upper bounds that keep a hostile cfg from asking for absurd allocations.
const MAX_DIM: i64 = 16_384;
const MAX_FILTERS: i64 = 65_536;
const MAX_KERNEL: i64 = 64;
const MAX_LAYERS: usize = 10_000;

impl Cfg {
    /// Reads and parses a cfg file.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8_lossy(&bytes);
        Self::parse(&text)
    }

    /// Parses cfg text. Errors name the layer section (0-based, as
    /// `[route]` counts) and the 1-based line.
    pub fn parse(text: &str) -> Result<Self> {
        let sections = split_sections(text)?;
        let mut iter = sections.into_iter();
        let net = iter.next().ok_or(Error::Cfg {
            section: None,
            line: None,
            message: "no sections: expected [net] first".into(),
        })?;
        if net.name != "net" && net.name != "network" {
            return Err(Error::Cfg {
                section: None,
                line: Some(net.line),
                message: format!("the first section must be [net], found [{}]", net.name),
            });
        }
        let width = net.uint("width", None, 1, MAX_DIM)?;
        let height = net.uint("height", None, 1, MAX_DIM)?;
        let channels = net.uint("channels", Some(3), 1, 64)?;
        let letter_box = net.int("letter_box", Some(0))? != 0;
        net.check_keys(NET_KEYS, &[])?;

        let mut layers = Vec::new();
        for s in iter {
            if layers.len() >= MAX_LAYERS {
                return Err(s.err(format!("more than {MAX_LAYERS} layers")));
            }
            let layer = parse_layer(&s)?;
            layers.push(LayerDef {
                layer,
                line: s.line,
            });
        }
        if layers.is_empty() {
            return Err(Error::Cfg {
                section: None,
                line: None,
                message: "no layers after [net]".into(),
            });
        }
        if !layers.iter().any(|l| matches!(l.layer, Layer::Yolo(_))) {
            return Err(Error::Cfg {
                section: None,
                line: None,
                message: "no [yolo] section: not a YOLO detection network".into(),
            });
        }
        Ok(Self {
            width,
            height,
            channels,
            letter_box,
            layers,
        })
    }

    /// Output shape `(channels, height, width)` of every layer for a
    /// `width × height` input; fails (naming the layer) when the layers do
    /// not fit together, e.g. a route over different spatial sizes.
    ///
    /// ```
    /// use yoloo_core::darknet::cfg::Cfg;
    /// let cfg = Cfg::parse("[net]\nwidth=64\nheight=64\n[maxpool]\nsize=2\nstride=2\n\
    ///     [convolutional]\nfilters=6\nsize=3\npad=1\n[yolo]\nmask=0\nanchors=2,2\nclasses=1\n").unwrap();
    /// assert_eq!(cfg.shapes(64, 64).unwrap(), vec![(3, 32, 32), (6, 32, 32), (6, 32, 32)]);
    /// ```
    pub fn shapes(&self, width: usize, height: usize) -> Result<Vec<(usize, usize, usize)>> {
        let mut shapes: Vec<(usize, usize, usize)> = Vec::with_capacity(self.layers.len());
        let err = |i: usize, def: &LayerDef, message: String| Error::Cfg {
            section: Some(i),
            line: Some(def.line),
            message,
        };
        for (i, def) in self.layers.iter().enumerate() {
            let (c, h, w) = if i == 0 {
                (self.channels, height, width)
            } else {
                shapes[i - 1]
            };
            let out = match &def.layer {
                Layer::Convolutional {
                    filters,
                    groups,
                    size,
                    stride,
                    padding,
                    ..
                } => {
                    if !c.is_multiple_of(*groups) {
                        return Err(err(
                            i,
                            def,
                            format!("groups={groups} does not divide the {c} input channels"),
                        ));
                    }
                    let dim =
                        |x: usize| (x + 2 * padding).checked_sub(*size).map(|v| v / stride + 1);
                    match (dim(h), dim(w)) {
                        (Some(oh), Some(ow)) => (*filters, oh, ow),
                        _ => {
                            return Err(err(
                                i,
                                def,
                                format!("a {size}×{size} convolution does not fit a {h}×{w} input"),
                            ));
                        }
                    }
                }
                Layer::MaxPool {
                    size,
                    stride,
                    padding,
                } => {
                    let dim = |x: usize| (x + padding).checked_sub(*size).map(|v| v / stride + 1);
                    match (dim(h), dim(w)) {
                        (Some(oh), Some(ow)) => (c, oh, ow),
                        _ => {
                            return Err(err(
                                i,
                                def,
                                format!("a {size}×{size} max-pool does not fit a {h}×{w} input"),
                            ));
                        }
                    }
                }
                Layer::Route { layers, groups, .. } => {
                    let (_, rh, rw) = shapes[layers[0]];
                    let mut channels = 0;
                    for &l in layers {
                        if !shapes[l].0.is_multiple_of(*groups) {
                            return Err(err(
                                i,
                                def,
                                format!(
                                    "route groups={groups} does not divide the {} channels of layer {l}",
                                    shapes[l].0
                                ),
                            ));
                        }
                        let (lc, lh, lw) = shapes[l];
                        if (lh, lw) != (rh, rw) {
                            return Err(err(
                                i,
                                def,
                                format!(
                                    "route joins layer {} ({rh}×{rw}) and layer {l} ({lh}×{lw}); sizes must match \
                                 (is the input size a multiple of 32?)",
                                    layers[0]
                                ),
                            ));
                        }
                        channels += lc / groups;
                    }
                    (channels, rh, rw)
                }
                Layer::Shortcut { from, .. } => {
                    if shapes[*from] != (c, h, w) {
                        return Err(err(
                            i,
                            def,
                            format!(
                                "shortcut adds layer {from} {:?} to {:?}; shapes must match",
                                shapes[*from],
                                (c, h, w)
                            ),
                        ));
                    }
                    (c, h, w)
                }
                Layer::Upsample { stride } => (c, h * stride, w * stride),
                Layer::Yolo(head) => {
                    if c != head.channels() {
                        return Err(err(
                            i,
                            def,
                            format!(
                                "[yolo] with {} anchors and {} classes needs {} input channels, the previous layer has {c}",
                                head.anchors.len(),
                                head.num_classes,
                                head.channels()
                            ),
                        ));
                    }
                    (c, h, w)
                }
            };
            if out.1 == 0 || out.2 == 0 || out.1 > 1 << 16 || out.2 > 1 << 16 {
                return Err(err(
                    i,
                    def,
                    format!("output size {}×{} is out of range", out.1, out.2),
                ));
            }
            shapes.push(out);
        }
        Ok(shapes)
    }

    /// The detection heads, in the order of their `[yolo]` sections.
    pub fn heads(&self) -> Vec<YoloHead> {
        self.layers
            .iter()
            .filter_map(|l| match &l.layer {
                Layer::Yolo(h) => Some(h.clone()),
                _ => None,
            })
            .collect()
    }
}

fn split_sections(text: &str) -> Result<Vec<Section>> {
    let mut sections: Vec<Section> = Vec::new();
    let mut layer_count = 0usize;
    for (i, raw_line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line: String = raw_line.chars().filter(|c| !c.is_whitespace()).collect();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest.strip_suffix(']').ok_or(Error::Cfg {
                section: Some(layer_count),
                line: Some(line_no),
                message: format!("unterminated section header {raw_line:?}"),
            })?;
            let index = if sections.is_empty() {
                None
            } else {
                layer_count += 1;
                Some(layer_count - 1)
            };
            sections.push(Section {
                name: name.to_ascii_lowercase(),
                line: line_no,
                options: Vec::new(),
                index,
            });
            continue;
        }
        let Some(section) = sections.last_mut() else {
            return Err(Error::Cfg {
                section: None,
                line: Some(line_no),
                message: "option before the first [section]".into(),
            });
        };
        let Some((k, v)) = line.split_once('=') else {
            return Err(section.err_at(line_no, format!("expected key=value, found {raw_line:?}")));
        };
        section
            .options
            .push((k.to_ascii_lowercase(), v.to_owned(), line_no));
    }
    Ok(sections)
}

fn parse_layer(s: &Section) -> Result<Layer> {
    match s.name.as_str() {
        "convolutional" | "conv" => parse_convolutional(s),
        "maxpool" | "max" => parse_maxpool(s),
        "route" => parse_route(s),
        "shortcut" => parse_shortcut(s),
        "upsample" => {
            s.check_keys(&["stride", "scale"], &[])?;
            s.require_default("scale", "1", "an output multiplier")?;
            Ok(Layer::Upsample {
                stride: s.uint("stride", Some(2), 1, 64)?,
            })
        }
        "yolo" => parse_yolo(s),
        other => Err(s.err(format!(
            "section [{other}] is not supported (expected [convolutional], [maxpool], [route], \
             [shortcut], [upsample] or [yolo])"
        ))),
    }
}

fn parse_convolutional(s: &Section) -> Result<Layer> {
    s.check_keys(
        &[
            "filters",
            "size",
            "stride",
            "stride_x",
            "stride_y",
            "pad",
            "padding",
            "groups",
            "batch_normalize",
            "activation",
            "dilation",
            "antialiasing",
            "binary",
            "xnor",
            "bin_output",
            "share_index",
            "flipped",
            "sway",
            "rotate",
            "stretch",
            "stretch_sway",
        ],
        &[
            "assisted_excitation",
            "cbn",
            "dot",
            "angle",
            "grad_centr",
            "reverse",
            "coordconv",
        ],
    )?;
    let size = s.uint("size", Some(1), 1, MAX_KERNEL)?;
    let pad = s.int("pad", Some(0))?;
    let explicit = s.uint("padding", Some(0), 0, MAX_KERNEL)?;
    let padding = if pad != 0 { size / 2 } else { explicit };
    let stride = s.uint("stride", Some(1), 1, MAX_KERNEL)?;
    for key in ["stride_x", "stride_y"] {
        if s.raw(key).is_some() && s.uint(key, None, 1, MAX_KERNEL)? != stride {
            return Err(s.err(format!(
                "[convolutional] {key} different from stride= is not supported"
            )));
        }
    }
    if size > 1 {
        s.require_default("dilation", "1", "a dilated convolution")?;
    }
    s.require_default("antialiasing", "0", "an anti-aliased stride")?;
    s.require_default("binary", "0", "binary weights")?;
    s.require_default("xnor", "0", "XNOR weights")?;
    s.require_default("bin_output", "0", "binary outputs")?;
    s.require_default("flipped", "0", "transposed weights")?;
    for key in ["sway", "rotate", "stretch", "stretch_sway"] {
        s.require_default(key, "0", "a deformable convolution")?;
    }
    if s.raw("share_index").is_some() {
        return Err(s.err("[convolutional] share_index= (shared weights) is not supported"));
    }
    let filters = s.uint("filters", Some(1), 1, MAX_FILTERS)?;
    let groups = s.uint("groups", Some(1), 1, MAX_FILTERS)?;
    if !filters.is_multiple_of(groups) {
        return Err(s.err(format!(
            "[convolutional] filters={filters} is not a multiple of groups={groups}"
        )));
    }
    Ok(Layer::Convolutional {
        filters,
        groups,
        size,
        stride,
        padding,
        batch_normalize: s.int("batch_normalize", Some(0))? != 0,
        activation: s.activation(Activation::Logistic)?,
    })
}

fn parse_maxpool(s: &Section) -> Result<Layer> {
    s.check_keys(
        &[
            "size",
            "stride",
            "stride_x",
            "stride_y",
            "padding",
            "maxpool_depth",
            "out_channels",
            "antialiasing",
        ],
        &["maxpool_zero_nonmax"],
    )?;
    // Darknet: stride defaults to 1, size to the stride, padding to size − 1.
    let stride = s.uint("stride", Some(1), 1, MAX_KERNEL)?;
    for key in ["stride_x", "stride_y"] {
        if s.raw(key).is_some() && s.uint(key, None, 1, MAX_KERNEL)? != stride {
            return Err(s.err(format!(
                "[maxpool] {key} different from stride= is not supported"
            )));
        }
    }
    s.require_default("maxpool_depth", "0", "a max-pool across channels")?;
    s.require_default("antialiasing", "0", "an anti-aliased stride")?;
    let size = s.uint("size", Some(stride as i64), 1, MAX_KERNEL)?;
    let padding = s.uint("padding", Some(size as i64 - 1), 0, MAX_KERNEL)?;
    Ok(Layer::MaxPool {
        size,
        stride,
        padding,
    })
}

fn parse_route(s: &Section) -> Result<Layer> {
    s.check_keys(&["layers", "groups", "group_id"], &[])?;
    let (raw, line) = s
        .raw("layers")
        .ok_or_else(|| s.err("[route] needs layers="))?;
    let refs = s.list::<i64>("layers")?.unwrap_or_default();
    if refs.is_empty() {
        return Err(s.err_at(line, format!("[route] layers={raw:?} names no layer")));
    }
    let layers = refs
        .iter()
        .map(|&r| s.layer_ref(r, line))
        .collect::<Result<_>>()?;
    let groups = s.uint("groups", Some(1), 1, MAX_FILTERS)?;
    let group_id = s.uint("group_id", Some(0), 0, MAX_FILTERS)?;
    if group_id >= groups {
        return Err(s.err(format!(
            "[route] group_id={group_id} is not below groups={groups}"
        )));
    }
    Ok(Layer::Route {
        layers,
        groups,
        group_id,
    })
}

fn parse_shortcut(s: &Section) -> Result<Layer> {
    s.check_keys(
        &[
            "from",
            "activation",
            "weights_type",
            "weights_normalization",
        ],
        &[],
    )?;
    s.require_default("weights_type", "none", "a weighted sum")?;
    let (raw, line) = s
        .raw("from")
        .ok_or_else(|| s.err("[shortcut] needs from="))?;
    let refs = s.list::<i64>("from")?.unwrap_or_default();
    let &[from] = refs.as_slice() else {
        return Err(s.err_at(
            line,
            format!("[shortcut] from={raw:?}: exactly one layer is supported"),
        ));
    };
    Ok(Layer::Shortcut {
        from: s.layer_ref(from, line)?,
        activation: s.activation(Activation::Linear)?,
    })
}

fn parse_yolo(s: &Section) -> Result<Layer> {
    s.check_keys(
        &[
            "classes",
            "num",
            "mask",
            "anchors",
            "scale_x_y",
            "new_coords",
            "map",
        ],
        &[
            "max",
            "show_details",
            "max_delta",
            "counters_per_class",
            "label_smooth_eps",
            "objectness_smooth",
            "iou_normalizer",
            "obj_normalizer",
            "cls_normalizer",
            "delta_normalizer",
            "iou_loss",
            "iou_thresh_kind",
            "beta_nms",
            "nms_kind",
            "jitter",
            "resize",
            "focal_loss",
            "ignore_thresh",
            "truth_thresh",
            "iou_thresh",
            "random",
            "track_history_size",
            "sim_thresh",
            "dets_for_track",
            "dets_for_show",
            "track_ciou_norm",
            "embedding_layer",
        ],
    )?;
    if s.raw("map").is_some() {
        return Err(s.err("[yolo] map= (a class-id remapping file) is not supported"));
    }
    let classes = s.uint("classes", Some(20), 1, 100_000)?;
    let all: Vec<f32> = s.list::<f32>("anchors")?.unwrap_or_default();
    if !all.len().is_multiple_of(2) || all.is_empty() {
        return Err(s.err(format!(
            "[yolo] anchors= needs an even, non-zero count of numbers, found {}",
            all.len()
        )));
    }
    if all.iter().any(|a| !a.is_finite() || *a <= 0.0) {
        return Err(s.err("[yolo] anchors must be positive numbers"));
    }
    let mut pairs: Vec<(f32, f32)> = all.chunks_exact(2).map(|p| (p[0], p[1])).collect();
    // Darknet reads the first `num` anchors (num= absent: all of them here).
    let total = s.uint("num", Some(pairs.len() as i64), 1, 100_000)?;
    if total > pairs.len() {
        return Err(s.err(format!(
            "[yolo] num={total} but anchors= lists only {} pairs",
            pairs.len()
        )));
    }
    pairs.truncate(total);
    let mask: Vec<i64> = s
        .list::<i64>("mask")?
        .unwrap_or_else(|| (0..pairs.len() as i64).collect());
    let anchors = mask
        .iter()
        .map(|&m| {
            usize::try_from(m)
                .ok()
                .and_then(|m| pairs.get(m).copied())
                .ok_or_else(|| {
                    s.err(format!(
                        "[yolo] mask {m} is not an anchor index (there are {})",
                        pairs.len()
                    ))
                })
        })
        .collect::<Result<Vec<_>>>()?;
    if anchors.is_empty() {
        return Err(s.err("[yolo] mask= is empty"));
    }
    let scale_x_y = match s.raw("scale_x_y") {
        None => 1.0,
        Some((v, line)) => v
            .parse::<f32>()
            .ok()
            .filter(|x| x.is_finite() && *x > 0.0)
            .ok_or_else(|| {
                s.err_at(
                    line,
                    format!("[yolo] scale_x_y={v:?} is not a positive number"),
                )
            })?,
    };
    let new_coords = match s.int("new_coords", Some(0))? {
        0 => false,
        1 => true,
        other => {
            return Err(s.err(format!(
                "[yolo] new_coords={other} is not supported (0 or 1)"
            )));
        }
    };
    Ok(Layer::Yolo(YoloHead {
        anchors,
        num_classes: classes,
        scale_x_y,
        new_coords,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TINY_HEAD: &str = "[net]\nwidth=416\nheight=416\nchannels=3\n";

    #[test]
    fn errors_name_section_and_line() {
        let text = format!("{TINY_HEAD}[convolutional]\nfilters=16\nsize=3\n\n[maxpool]\nsize=x\n");
        let err = Cfg::parse(&text).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("section 1") && msg.contains("line 10"),
            "{msg}"
        );
        assert!(matches!(
            err,
            Error::Cfg {
                section: Some(1),
                line: Some(10),
                ..
            }
        ));
    }

    #[test]
    fn route_resolves_negative_and_absolute() {
        let text = format!(
            "{TINY_HEAD}[convolutional]\nfilters=4\n[convolutional]\nfilters=4\n[route]\nlayers=-1, 0\n\
             [convolutional]\nfilters=18\n[yolo]\nmask=0\nanchors=1,2\nclasses=1\n"
        );
        let cfg = Cfg::parse(&text).unwrap();
        assert_eq!(
            cfg.layers[2].layer,
            Layer::Route {
                layers: vec![1, 0],
                groups: 1,
                group_id: 0
            }
        );
        let bad = format!("{TINY_HEAD}[convolutional]\nfilters=4\n[route]\nlayers=-3\n");
        assert!(
            Cfg::parse(&bad)
                .unwrap_err()
                .to_string()
                .contains("not an earlier layer")
        );
        let forward = format!("{TINY_HEAD}[convolutional]\nfilters=4\n[route]\nlayers=1\n");
        assert!(Cfg::parse(&forward).is_err());
    }

    const HEAD: &str =
        "[convolutional]\nfilters=6\nactivation=linear\n[yolo]\nmask=0\nanchors=1,2\nclasses=1\n";

    #[test]
    fn route_groups_keep_one_channel_slice() {
        let text = format!(
            "{TINY_HEAD}[convolutional]\nfilters=64\nsize=3\nstride=2\npad=1\nactivation=leaky\n\
             [route]\nlayers=-1\ngroups=2\ngroup_id=1\n[route]\nlayers=-1,-2\ngroups=4\ngroup_id=3\n{HEAD}"
        );
        let cfg = Cfg::parse(&text).unwrap();
        assert_eq!(
            cfg.layers[1].layer,
            Layer::Route {
                layers: vec![0],
                groups: 2,
                group_id: 1
            }
        );
        let shapes = cfg.shapes(416, 416).unwrap();
        // 64 → 32, then (32 + 64) / 4 = 8 + 16 = 24.
        assert_eq!(
            shapes[..3],
            [(64, 208, 208), (32, 208, 208), (24, 208, 208)]
        );
        for bad in ["groups=2\ngroup_id=2", "groups=0", "groups=3"] {
            let text = format!(
                "{TINY_HEAD}[convolutional]\nfilters=64\n[route]\nlayers=-1\n{bad}\n{HEAD}"
            );
            let e = Cfg::parse(&text).and_then(|c| c.shapes(416, 416));
            assert!(e.is_err(), "{bad}");
        }
    }

    #[test]
    fn yolov4_keys_and_activations() {
        let text = format!(
            "{TINY_HEAD}mosaic=1\nmax_batches = 500500\n[convolutional]\nbatch_normalize=1\nfilters=8\n\
             size=3\npad=1\nactivation=mish\n[convolutional]\nfilters=8\ngroups=2\nsize=3\npad=1\n\
             activation=swish\n[shortcut]\nfrom=-2\nactivation=leaky\n[maxpool]\nstride=1\nsize=5\n\
             [convolutional]\nfilters=12\nactivation=logistic\n[yolo]\nmask=0,1\nanchors=1,2, 3,4\nnum=2\n\
             classes=1\nscale_x_y=2.0\nnew_coords=1\niou_loss=ciou\nnms_kind=greedynms\nbeta_nms=0.6\n"
        );
        let cfg = Cfg::parse(&text).unwrap();
        assert!(matches!(
            cfg.layers[0].layer,
            Layer::Convolutional {
                activation: Activation::Mish,
                ..
            }
        ));
        assert!(matches!(
            cfg.layers[1].layer,
            Layer::Convolutional {
                activation: Activation::Swish,
                groups: 2,
                ..
            }
        ));
        assert_eq!(
            cfg.layers[2].layer,
            Layer::Shortcut {
                from: 0,
                activation: Activation::Leaky
            }
        );
        // SPP's max-pool keeps the size: padding 4 = size − 1.
        assert_eq!(
            cfg.layers[3].layer,
            Layer::MaxPool {
                size: 5,
                stride: 1,
                padding: 4
            }
        );
        assert_eq!(cfg.shapes(64, 64).unwrap()[3], (8, 64, 64));
        let head = &cfg.heads()[0];
        assert_eq!((head.scale_x_y, head.new_coords), (2.0, true));
        // Darknet's default activation of a convolution is logistic.
        let cfg = Cfg::parse(&format!("{TINY_HEAD}[convolutional]\nfilters=6\n{HEAD}")).unwrap();
        assert!(matches!(
            cfg.layers[0].layer,
            Layer::Convolutional {
                activation: Activation::Logistic,
                ..
            }
        ));
    }

    #[test]
    fn unknown_keys_and_unsupported_values_are_named() {
        for (section, expect) in [
            ("[convolutional]\nfliters=16\n", "\"fliters\""),
            ("[maxpool]\nsize=2\nstrid=2\n", "\"strid\""),
            ("[route]\nlayers=-1\ngroup=2\n", "\"group\""),
            (
                "[convolutional]\nfilters=4\nsize=3\ndilation=2\n",
                "dilation=2",
            ),
            ("[convolutional]\nfilters=4\nxnor=1\n", "xnor=1"),
            ("[maxpool]\nmaxpool_depth=1\n", "maxpool_depth=1"),
            ("[upsample]\nscale=2\n", "scale=2"),
            ("[shortcut]\nfrom=-1,-2\n", "exactly one layer"),
            (
                "[shortcut]\nfrom=-1\nweights_type=per_channel\n",
                "weights_type",
            ),
        ] {
            let text = format!("{TINY_HEAD}[convolutional]\nfilters=4\n{section}{HEAD}");
            let err = Cfg::parse(&text).unwrap_err();
            let msg = err.to_string();
            assert!(
                matches!(
                    err,
                    Error::Cfg {
                        section: Some(1),
                        line: Some(_),
                        ..
                    }
                ),
                "{msg}"
            );
            assert!(msg.contains(expect), "{section:?}: {msg}");
        }
        let e = Cfg::parse(&format!("{TINY_HEAD}widht=3\n{HEAD}")).unwrap_err();
        assert!(e.to_string().contains("\"widht\""), "{e}");
        // Training-only keys Darknet reads on any layer are accepted.
        assert!(
            Cfg::parse(&format!(
                "{TINY_HEAD}[convolutional]\nfilters=4\nstopbackward=1\n{HEAD}"
            ))
            .is_ok()
        );
    }

    #[test]
    fn maxpool_defaults_follow_darknet() {
        let text =
            format!("{TINY_HEAD}[maxpool]\nsize=2\nstride=1\n[yolo]\nanchors=1,1\nclasses=1\n");
        let cfg = Cfg::parse(&text).unwrap();
        assert_eq!(
            cfg.layers[0].layer,
            Layer::MaxPool {
                size: 2,
                stride: 1,
                padding: 1
            }
        );
    }

    #[test]
    fn unsupported_things_are_named() {
        let text = format!("{TINY_HEAD}[crnn]\n");
        assert!(
            Cfg::parse(&text)
                .unwrap_err()
                .to_string()
                .contains("[crnn]")
        );
        let text = format!("{TINY_HEAD}[convolutional]\nactivation=gelu\n");
        let e = Cfg::parse(&text).unwrap_err().to_string();
        assert!(e.contains("gelu") && e.contains("mish"), "{e}");
        assert!(Cfg::parse("").is_err());
        assert!(Cfg::parse("[convolutional]\n").is_err());
        assert!(Cfg::parse("width=3\n").is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,400}") {
            let _ = Cfg::parse(&text);
        }

        #[test]
        fn cfg_like_text_never_panics(
            lines in proptest::collection::vec(prop_oneof![
                Just("[net]".to_string()), Just("[convolutional]".to_string()), Just("[route]".to_string()),
                Just("[yolo]".to_string()), Just("[maxpool]".to_string()), Just("[shortcut]".to_string()),
                Just("[upsample]".to_string()),
                "(width|height|filters|size|stride|pad|layers|from|mask|anchors|classes|padding)=-?[0-9,]{0,12}",
            ], 0..40)
        ) {
            let _ = Cfg::parse(&lines.join("\n"));
        }
    }
}
