//! Small generated ONNX graphs with a given output: no real YOLOv5-layout
//! or NMS-included file is on any registry, so these stand in for them.
//!
//! The graph is `input [1, 3, H, W] → GlobalAveragePool → Flatten →
//! MatMul(zeros) + rows → Reshape(shape)`: the output is `rows` exactly,
//! computed from the input, so every engine runs a real graph.

use yoloo_core::darknet::onnx::pb;

fn tensor_f32(name: &str, dims: &[i64], data: &[f32]) -> pb::TensorProto {
    pb::TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: pb::tensor_proto::DataType::Float as i32,
        raw_data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

fn tensor_i64(name: &str, data: &[i64]) -> pb::TensorProto {
    pb::TensorProto {
        name: name.into(),
        dims: vec![data.len() as i64],
        data_type: pb::tensor_proto::DataType::Int64 as i32,
        int64_data: data.to_vec(),
        ..Default::default()
    }
}

/// A tensor type; a dimension of 0 is symbolic (`dim_param`).
fn value_info(name: &str, dims: &[i64]) -> pb::ValueInfoProto {
    use pb::tensor_shape_proto::{Dimension, dimension::Value};
    pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: pb::tensor_proto::DataType::Float as i32,
                shape: Some(pb::TensorShapeProto {
                    dim: dims
                        .iter()
                        .enumerate()
                        .map(|(i, &d)| Dimension {
                            value: Some(if d > 0 {
                                Value::DimValue(d)
                            } else {
                                Value::DimParam(format!("d{i}"))
                            }),
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

fn node(op: &str, inputs: &[&str], output: &str) -> pb::NodeProto {
    pb::NodeProto {
        op_type: op.into(),
        name: output.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        ..Default::default()
    }
}

/// A model with a `[1, 3, size, size]` input (dynamic height and width for
/// `size` 0) whose one output is `rows` shaped `shape`, with `metadata` as
/// its `metadata_props`.
pub fn constant_output(
    size: i64,
    shape: &[i64],
    rows: &[f32],
    metadata: &[(&str, &str)],
) -> pb::ModelProto {
    let n: i64 = shape.iter().product();
    assert_eq!(n as usize, rows.len());
    let graph = pb::GraphProto {
        name: "generated".into(),
        node: vec![
            node("GlobalAveragePool", &["images"], "pooled"),
            node("Flatten", &["pooled"], "flat"),
            node("MatMul", &["flat", "zeros"], "projected"),
            node("Add", &["projected", "rows"], "biased"),
            node("Reshape", &["biased", "shape"], "output0"),
        ],
        initializer: vec![
            tensor_f32("zeros", &[3, n], &vec![0.0; 3 * n as usize]),
            tensor_f32("rows", &[n], rows),
            tensor_i64("shape", shape),
        ],
        input: vec![value_info("images", &[1, 3, size, size])],
        output: vec![value_info("output0", shape)],
        ..Default::default()
    };
    pb::ModelProto {
        ir_version: 8,
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        producer_name: "yoloo-tests".into(),
        graph: Some(graph),
        metadata_props: metadata
            .iter()
            .map(|(k, v)| pb::StringStringEntryProto {
                key: k.to_string(),
                value: v.to_string(),
            })
            .collect(),
        ..Default::default()
    }
}
