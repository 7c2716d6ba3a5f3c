//! What a [`Detector`](crate::Detector) knows about its model: the family,
//! the head layout, the input size and format, and what the model's
//! metadata says ([`ModelInfo`]); and how that is read from an ONNX model
//! (feature `runtime`).

use crate::layout::{Family, HeadLayout};
use crate::metadata::ModelMetadata;
use crate::preprocess::InputFormat;

/// A loaded model's description.
///
/// ```
/// use yoloo_core::layout::{Family, HeadLayout};
/// use yoloo_core::model::ModelInfo;
/// let info = ModelInfo::new(HeadLayout::AnchorFree { classes: 80, transposed: false }, (640, 640), Default::default());
/// assert_eq!(info.family, Family::Ultralytics);
/// assert_eq!(info.format.pad_level, 114.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ModelInfo {
    /// The family: decides preprocessing and default options.
    pub family: Family,
    /// How the outputs are decoded.
    pub layout: HeadLayout,
    /// Network input `(width, height)`.
    pub input: (u32, u32),
    /// The input the network expects.
    pub format: InputFormat,
    /// What the model's metadata says (Ultralytics exports).
    pub metadata: ModelMetadata,
}

impl ModelInfo {
    /// The description of a model with `layout` and `input`, in its
    /// family's input format.
    pub fn new(layout: HeadLayout, input: (u32, u32), metadata: ModelMetadata) -> Self {
        let family = layout.family();
        Self {
            family,
            layout,
            input,
            format: family.input_format(),
            metadata,
        }
    }
}

#[cfg(feature = "runtime")]
pub(crate) use onnx::*;

#[cfg(feature = "runtime")]
mod onnx {
    use tract_onnx::pb::{ModelProto, tensor_shape_proto::dimension::Value, type_proto};

    use crate::darknet;
    use crate::layout::LayoutHints;
    use crate::metadata::ModelMetadata;
    use crate::{Error, Result};

    /// The `(key, value)` pairs of the model's `metadata_props`.
    pub(crate) fn metadata_props(proto: &ModelProto) -> impl Iterator<Item = (&str, &str)> {
        proto
            .metadata_props
            .iter()
            .map(|m| (m.key.as_str(), m.value.as_str()))
    }

    /// The metadata value of `key`.
    pub(crate) fn meta<'a>(proto: &'a ModelProto, key: &str) -> Option<&'a str> {
        metadata_props(proto)
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// What the model says about itself: yoloo's Darknet heads, Ultralytics' metadata.
    pub(crate) fn layout_hints(proto: &ModelProto) -> Result<LayoutHints> {
        let darknet_heads = meta(proto, darknet::onnx::META_HEADS)
            .map(darknet::onnx::decode_heads)
            .transpose()?;
        Ok(LayoutHints {
            darknet_heads,
            metadata: ModelMetadata::from_props(metadata_props(proto))?,
        })
    }

    /// The input's `(width, height)` when the model fixes them.
    pub(crate) fn declared_input(proto: &ModelProto) -> Option<(u32, u32)> {
        let graph = proto.graph.as_ref()?;
        let inits: std::collections::HashSet<&str> =
            graph.initializer.iter().map(|i| i.name.as_str()).collect();
        let input = graph
            .input
            .iter()
            .find(|i| !inits.contains(i.name.as_str()))?;
        let Some(type_proto::Value::TensorType(t)) = input.r#type.as_ref()?.value.as_ref() else {
            return None;
        };
        let dims = &t.shape.as_ref()?.dim;
        let fixed = |i: usize| match dims.get(i)?.value {
            Some(Value::DimValue(v)) if v > 0 => u32::try_from(v).ok(),
            _ => None,
        };
        Some((fixed(3)?, fixed(2)?))
    }

    /// The network input size: what is asked for, else what the model
    /// fixes, else its metadata's `imgsz`, else 416 for Darknet heads and
    /// 640 otherwise. A model whose graph fixes another size than the one
    /// asked for is refused (its reshapes are baked for that size), except
    /// Darknet graphs, which run at any multiple of 32.
    pub(crate) fn input_size(
        proto: &ModelProto,
        hints: &LayoutHints,
        asked: Option<(u32, u32)>,
    ) -> Result<(u32, u32)> {
        let declared = declared_input(proto);
        let darknet = hints.darknet_heads.is_some();
        match (asked, declared) {
            (Some(a), Some(d)) if a != d && !darknet => Err(Error::InvalidParameter(format!(
                "the model's input is fixed at {}×{}; it cannot run at {}×{} (export it with that size, or a dynamic one)",
                d.0, d.1, a.0, a.1
            ))),
            (Some(a), _) => Ok(a),
            (None, Some(d)) => Ok(d),
            (None, None) => {
                Ok(hints
                    .metadata
                    .imgsz
                    .unwrap_or(if darknet { (416, 416) } else { (640, 640) }))
            }
        }
    }
}
