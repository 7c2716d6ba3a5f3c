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
    /// `logistic`: sigmoid.
    Logistic,
}

/// One layer of a Darknet network.
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// `[convolutional]`.
    Convolutional {
        /// Output channels.
        filters: usize,
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
    /// `[route]`: concatenation of earlier layers' outputs along channels.
    Route {
        /// Absolute indices of the layers concatenated.
        layers: Vec<usize>,
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

    fn activation(&self) -> Result<Activation> {
        match self.raw("activation") {
            None => Ok(Activation::Linear),
            Some(("leaky", _)) => Ok(Activation::Leaky),
            Some(("linear", _)) => Ok(Activation::Linear),
            Some(("relu", _)) => Ok(Activation::Relu),
            Some(("logistic", _)) => Ok(Activation::Logistic),
            Some((other, line)) => Err(self.err_at(
                line,
                format!(
                    "activation {other:?} is not supported (leaky, linear, relu, logistic are)"
                ),
            )),
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
                    size,
                    stride,
                    padding,
                    ..
                } => {
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
                Layer::Route { layers } => {
                    let (_, rh, rw) = shapes[layers[0]];
                    let mut channels = 0;
                    for &l in layers {
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
                        channels += lc;
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
        "convolutional" | "conv" => {
            let size = s.uint("size", Some(1), 1, MAX_KERNEL)?;
            let pad = s.int("pad", Some(0))?;
            let explicit = s.uint("padding", Some(0), 0, MAX_KERNEL)?;
            let padding = if pad != 0 { size / 2 } else { explicit };
            if s.int("groups", Some(1))? != 1 {
                return Err(s.err("grouped convolutions (groups≠1) are not supported"));
            }
            if s.int("dilation", Some(1))? != 1 {
                return Err(s.err("dilated convolutions are not supported"));
            }
            Ok(Layer::Convolutional {
                filters: s.uint("filters", Some(1), 1, MAX_FILTERS)?,
                size,
                stride: s.uint("stride", Some(1), 1, MAX_KERNEL)?,
                padding,
                batch_normalize: s.int("batch_normalize", Some(0))? != 0,
                activation: s.activation()?,
            })
        }
        "maxpool" | "max" => {
            let size = s.uint("size", Some(2), 1, MAX_KERNEL)?;
            let stride = s.uint("stride", Some(size as i64), 1, MAX_KERNEL)?;
            let padding = s.uint("padding", Some(size as i64 - 1), 0, MAX_KERNEL)?;
            Ok(Layer::MaxPool {
                size,
                stride,
                padding,
            })
        }
        "route" => {
            let (raw, line) = s
                .raw("layers")
                .ok_or_else(|| s.err("[route] needs layers="))?;
            let refs = s.list::<i64>("layers")?.unwrap_or_default();
            if refs.is_empty() {
                return Err(s.err_at(line, format!("[route] layers={raw:?} names no layer")));
            }
            if s.raw("groups").is_some() {
                return Err(s.err("[route] groups= (YOLOv4-tiny) is not supported"));
            }
            let layers = refs
                .iter()
                .map(|&r| s.layer_ref(r, line))
                .collect::<Result<_>>()?;
            Ok(Layer::Route { layers })
        }
        "shortcut" | "shortcut_layer" => {
            let (_, line) = s
                .raw("from")
                .ok_or_else(|| s.err("[shortcut] needs from="))?;
            let from = s.layer_ref(s.int("from", None)?, line)?;
            Ok(Layer::Shortcut {
                from,
                activation: s.activation()?,
            })
        }
        "upsample" => Ok(Layer::Upsample {
            stride: s.uint("stride", Some(2), 1, 64)?,
        }),
        "yolo" => {
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
            let pairs: Vec<(f32, f32)> = all.chunks_exact(2).map(|p| (p[0], p[1])).collect();
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
            Ok(Layer::Yolo(YoloHead {
                anchors,
                num_classes: classes,
                scale_x_y,
            }))
        }
        other => Err(s.err(format!("section [{other}] is not supported"))),
    }
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
        assert_eq!(cfg.layers[2].layer, Layer::Route { layers: vec![1, 0] });
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
        let text = format!("{TINY_HEAD}[convolutional]\nactivation=mish\n");
        assert!(Cfg::parse(&text).unwrap_err().to_string().contains("mish"));
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
