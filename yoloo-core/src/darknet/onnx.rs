//! Darknet network → ONNX `ModelProto`, built in memory.
//!
//! The graph uses only ops that both tract and ONNX Runtime run (opset 13):
//! `Conv` (batch-norm folded), `LeakyRelu` (alpha 0.1, Darknet's), `Relu`,
//! `Sigmoid`, `MaxPool` (Darknet's asymmetric padding), `Concat`, `Add`,
//! `Resize` (nearest, asymmetric, floor — Darknet's upsample) and `Identity`
//! for the named outputs. Each `[yolo]` becomes a graph output carrying the
//! raw head tensor; the anchors and class names travel in `metadata_props`
//! so an exported file is self-describing.

/// The ONNX protobuf types (tract's, prost-generated), for building or
/// inspecting models in memory.
pub use tract_onnx::pb;
use tract_onnx::pb::tensor_proto::DataType;

use super::cfg::{Activation, Cfg, Layer};
use super::weights::Weights;
use crate::decode::YoloHead;
use crate::{Error, Result};

/// Name of the graph input.
pub const INPUT_NAME: &str = "images";
/// Metadata key holding the heads (see [`encode_heads`]).
pub const META_HEADS: &str = "yoloo.heads";
/// Metadata key holding the class names, one per line.
pub const META_NAMES: &str = "yoloo.names";
/// ONNX opset the graph is written for.
pub const OPSET: i64 = 13;

/// Serialises heads for the model metadata: one head per line,
/// `classes=80;scale_x_y=1;anchors=81,82 135,169 344,319`, with
/// `;new_coords=1` for the heads of scaled YOLOv4 models.
///
/// ```
/// use yoloo_core::darknet::onnx::{decode_heads, encode_heads};
/// use yoloo_core::decode::YoloHead;
/// let heads = vec![YoloHead::new(vec![(10.0, 14.0), (23.0, 27.0)], 80)];
/// assert_eq!(decode_heads(&encode_heads(&heads)).unwrap(), heads);
/// ```
pub fn encode_heads(heads: &[YoloHead]) -> String {
    heads
        .iter()
        .map(|h| {
            let anchors: Vec<String> = h
                .anchors
                .iter()
                .map(|(w, hh)| format!("{w},{hh}"))
                .collect();
            format!(
                "classes={};scale_x_y={};anchors={}{}",
                h.num_classes,
                h.scale_x_y,
                anchors.join(" "),
                if h.new_coords { ";new_coords=1" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parses what [`encode_heads`] wrote.
pub fn decode_heads(text: &str) -> Result<Vec<YoloHead>> {
    let bad = |m: String| Error::Model(format!("{META_HEADS} metadata: {m}"));
    let mut heads = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut head = YoloHead::new(Vec::new(), 0);
        for field in line.split(';') {
            let (k, v) = field
                .split_once('=')
                .ok_or_else(|| bad(format!("bad field {field:?}")))?;
            match k.trim() {
                "classes" => {
                    head.num_classes = v
                        .trim()
                        .parse()
                        .map_err(|_| bad(format!("classes={v:?}")))?
                }
                "scale_x_y" => {
                    head.scale_x_y = v
                        .trim()
                        .parse()
                        .map_err(|_| bad(format!("scale_x_y={v:?}")))?
                }
                "new_coords" => head.new_coords = v.trim() == "1",
                "anchors" => {
                    for pair in v.split_whitespace() {
                        let (w, h) = pair
                            .split_once(',')
                            .ok_or_else(|| bad(format!("anchor {pair:?}")))?;
                        let p = |s: &str| {
                            s.parse::<f32>()
                                .map_err(|_| bad(format!("anchor {pair:?}")))
                        };
                        head.anchors.push((p(w)?, p(h)?));
                    }
                }
                _ => {}
            }
        }
        if head.anchors.is_empty() || head.num_classes == 0 {
            return Err(bad(format!("incomplete head {line:?}")));
        }
        heads.push(head);
    }
    if heads.is_empty() {
        return Err(bad("no heads".into()));
    }
    Ok(heads)
}

fn float_tensor(name: &str, dims: &[usize], data: &[f32]) -> pb::TensorProto {
    let mut raw = Vec::with_capacity(data.len() * 4);
    for v in data {
        raw.extend_from_slice(&v.to_le_bytes());
    }
    pb::TensorProto {
        name: name.into(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: DataType::Float as i32,
        raw_data: raw,
        ..Default::default()
    }
}

fn int_tensor(name: &str, data: &[i64]) -> pb::TensorProto {
    pb::TensorProto {
        name: name.into(),
        dims: vec![data.len() as i64],
        data_type: DataType::Int64 as i32,
        int64_data: data.to_vec(),
        ..Default::default()
    }
}

fn attr_ints(name: &str, ints: &[i64]) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Ints as i32,
        ints: ints.to_vec(),
        ..Default::default()
    }
}

fn attr_int(name: &str, i: i64) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Int as i32,
        i,
        ..Default::default()
    }
}

fn attr_float(name: &str, f: f32) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::Float as i32,
        f,
        ..Default::default()
    }
}

fn attr_str(name: &str, s: &str) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: pb::attribute_proto::AttributeType::String as i32,
        s: s.as_bytes().to_vec(),
        ..Default::default()
    }
}

fn node(
    op: &str,
    name: String,
    inputs: Vec<String>,
    output: String,
    attribute: Vec<pb::AttributeProto>,
) -> pb::NodeProto {
    pb::NodeProto {
        op_type: op.into(),
        name,
        input: inputs,
        output: vec![output],
        attribute,
        ..Default::default()
    }
}

fn value_info(name: &str, dims: &[usize]) -> pb::ValueInfoProto {
    use pb::tensor_shape_proto::{Dimension, dimension::Value};
    pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(pb::TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|&d| Dimension {
                            value: Some(Value::DimValue(d as i64)),
                            ..Default::default()
                        })
                        .collect(),
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Builds the ONNX model of `cfg` with `weights` for a `width × height` input
/// (pass the cfg's own size, or any other multiple of 32), optionally
/// embedding class names.
pub fn to_onnx(
    cfg: &Cfg,
    weights: &Weights,
    width: usize,
    height: usize,
    names: Option<&[String]>,
) -> Result<pb::ModelProto> {
    let shapes = cfg.shapes(width, height)?;
    let mut nodes = Vec::new();
    let mut inits = Vec::new();
    let mut outputs = Vec::new();
    // Tensor name holding each layer's output.
    let mut tensor: Vec<String> = Vec::with_capacity(cfg.layers.len());
    let mut convs = weights.convs.iter();

    let activate =
        |nodes: &mut Vec<pb::NodeProto>, act: Activation, input: String, i: usize| -> String {
            let out = format!("l{i}");
            match act {
                Activation::Linear => return input,
                Activation::Leaky => nodes.push(node(
                    "LeakyRelu",
                    format!("leaky{i}"),
                    vec![input],
                    out.clone(),
                    vec![attr_float("alpha", 0.1)],
                )),
                Activation::Relu => nodes.push(node(
                    "Relu",
                    format!("relu{i}"),
                    vec![input],
                    out.clone(),
                    vec![],
                )),
                Activation::Logistic => nodes.push(node(
                    "Sigmoid",
                    format!("sigmoid{i}"),
                    vec![input],
                    out.clone(),
                    vec![],
                )),
                Activation::Tanh => nodes.push(node(
                    "Tanh",
                    format!("tanh{i}"),
                    vec![input],
                    out.clone(),
                    vec![],
                )),
                // x·sigmoid(x)
                Activation::Swish => {
                    let gate = format!("swish{i}.sigmoid");
                    nodes.push(node(
                        "Sigmoid",
                        gate.clone(),
                        vec![input.clone()],
                        gate.clone(),
                        vec![],
                    ));
                    nodes.push(node(
                        "Mul",
                        format!("swish{i}"),
                        vec![input, gate],
                        out.clone(),
                        vec![],
                    ));
                }
                // x·tanh(softplus(x)), in opset-13 ops (ONNX's own Mish is opset 18).
                Activation::Mish => {
                    let (sp, th) = (format!("mish{i}.softplus"), format!("mish{i}.tanh"));
                    nodes.push(node(
                        "Softplus",
                        sp.clone(),
                        vec![input.clone()],
                        sp.clone(),
                        vec![],
                    ));
                    nodes.push(node("Tanh", th.clone(), vec![sp], th.clone(), vec![]));
                    nodes.push(node(
                        "Mul",
                        format!("mish{i}"),
                        vec![input, th],
                        out.clone(),
                        vec![],
                    ));
                }
            }
            out
        };

    for (i, def) in cfg.layers.iter().enumerate() {
        let input = if i == 0 {
            INPUT_NAME.to_string()
        } else {
            tensor[i - 1].clone()
        };
        let in_c = if i == 0 {
            cfg.channels
        } else {
            shapes[i - 1].0
        };
        let out = match &def.layer {
            Layer::Convolutional {
                filters,
                groups,
                size,
                stride,
                padding,
                activation,
                ..
            } => {
                let params = convs.next().ok_or_else(|| Error::Weights {
                    message: format!("no parameters for the convolution at layer {i}"),
                })?;
                let in_c = in_c / groups;
                if params.weights.len() != filters * in_c * size * size
                    || params.bias.len() != *filters
                {
                    return Err(Error::Weights {
                        message: format!("parameters of layer {i} do not fit its shape"),
                    });
                }
                let (w, b) = (format!("conv{i}.weight"), format!("conv{i}.bias"));
                inits.push(float_tensor(
                    &w,
                    &[*filters, in_c, *size, *size],
                    &params.weights,
                ));
                inits.push(float_tensor(&b, &[*filters], &params.bias));
                let (k, s, p) = (*size as i64, *stride as i64, *padding as i64);
                let conv_out = format!("conv{i}");
                nodes.push(node(
                    "Conv",
                    format!("conv{i}"),
                    vec![input, w, b],
                    conv_out.clone(),
                    vec![
                        attr_ints("kernel_shape", &[k, k]),
                        attr_ints("strides", &[s, s]),
                        attr_ints("pads", &[p, p, p, p]),
                        attr_int("group", *groups as i64),
                    ],
                ));
                activate(&mut nodes, *activation, conv_out, i)
            }
            Layer::MaxPool {
                size,
                stride,
                padding,
            } => {
                let (before, after) = ((padding / 2) as i64, (padding - padding / 2) as i64);
                let out = format!("l{i}");
                nodes.push(node(
                    "MaxPool",
                    format!("maxpool{i}"),
                    vec![input],
                    out.clone(),
                    vec![
                        attr_ints("kernel_shape", &[*size as i64, *size as i64]),
                        attr_ints("strides", &[*stride as i64, *stride as i64]),
                        attr_ints("pads", &[before, before, after, after]),
                    ],
                ));
                out
            }
            Layer::Route {
                layers, groups: 1, ..
            } if layers.len() == 1 => tensor[layers[0]].clone(),
            Layer::Route {
                layers,
                groups,
                group_id,
            } => {
                let out = format!("l{i}");
                let mut inputs = Vec::with_capacity(layers.len());
                for (k, &l) in layers.iter().enumerate() {
                    if *groups == 1 {
                        inputs.push(tensor[l].clone());
                        continue;
                    }
                    // Darknet keeps the `group_id`-th of `groups` equal
                    // channel slices of each input.
                    let part = (shapes[l].0 / groups) as i64;
                    let start = part * *group_id as i64;
                    let name = format!("route{i}.slice{k}");
                    let (starts, ends, axes) = (
                        format!("{name}.starts"),
                        format!("{name}.ends"),
                        format!("{name}.axes"),
                    );
                    inits.push(int_tensor(&starts, &[start]));
                    inits.push(int_tensor(&ends, &[start + part]));
                    inits.push(int_tensor(&axes, &[1]));
                    nodes.push(node(
                        "Slice",
                        name.clone(),
                        vec![tensor[l].clone(), starts, ends, axes],
                        name.clone(),
                        vec![],
                    ));
                    inputs.push(name);
                }
                if let [only] = inputs.as_slice() {
                    only.clone()
                } else {
                    nodes.push(node(
                        "Concat",
                        format!("route{i}"),
                        inputs,
                        out.clone(),
                        vec![attr_int("axis", 1)],
                    ));
                    out
                }
            }
            Layer::Shortcut { from, activation } => {
                let sum = format!("sum{i}");
                nodes.push(node(
                    "Add",
                    format!("shortcut{i}"),
                    vec![input, tensor[*from].clone()],
                    sum.clone(),
                    vec![],
                ));
                activate(&mut nodes, *activation, sum, i)
            }
            Layer::Upsample { stride } => {
                let scales = format!("upsample{i}.scales");
                inits.push(float_tensor(
                    &scales,
                    &[4],
                    &[1.0, 1.0, *stride as f32, *stride as f32],
                ));
                let out = format!("l{i}");
                nodes.push(node(
                    "Resize",
                    format!("upsample{i}"),
                    vec![input, String::new(), scales],
                    out.clone(),
                    vec![
                        attr_str("mode", "nearest"),
                        attr_str("coordinate_transformation_mode", "asymmetric"),
                        attr_str("nearest_mode", "floor"),
                    ],
                ));
                out
            }
            Layer::Yolo(_) => {
                let out = format!("yolo{i}");
                nodes.push(node(
                    "Identity",
                    format!("yolo{i}"),
                    vec![input.clone()],
                    out.clone(),
                    vec![],
                ));
                let (c, h, w) = shapes[i];
                outputs.push(value_info(&out, &[1, c, h, w]));
                input
            }
        };
        tensor.push(out);
    }
    if convs.next().is_some() {
        return Err(Error::Weights {
            message: "more convolution parameters than convolutions".into(),
        });
    }

    let mut metadata_props = vec![pb::StringStringEntryProto {
        key: META_HEADS.into(),
        value: encode_heads(&cfg.heads()),
    }];
    if let Some(names) = names {
        metadata_props.push(pb::StringStringEntryProto {
            key: META_NAMES.into(),
            value: names.join("\n"),
        });
    }
    Ok(pb::ModelProto {
        ir_version: 8,
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        producer_name: "yoloo".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        graph: Some(pb::GraphProto {
            name: "darknet".into(),
            node: nodes,
            initializer: inits,
            input: vec![value_info(INPUT_NAME, &[1, cfg.channels, height, width])],
            output: outputs,
            ..Default::default()
        }),
        metadata_props,
        ..Default::default()
    })
}
