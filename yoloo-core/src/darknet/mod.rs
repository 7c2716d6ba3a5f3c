//! The original Darknet model files: `.cfg` + `.weights` → ONNX.
//!
//! ```no_run
//! use yoloo_core::darknet;
//! let model = darknet::load("models/yolov3-tiny.cfg", "models/yolov3-tiny.weights").unwrap();
//! let proto = model.to_onnx(416, 416, None).unwrap();
//! darknet::write_onnx(&proto, "yolov3-tiny.onnx").unwrap();
//! ```

pub mod cfg;
pub mod onnx;
pub mod weights;

use std::path::Path;

use crate::{Error, Result};

/// A parsed cfg with its weights.
#[derive(Debug, Clone)]
pub struct DarknetModel {
    /// The network.
    pub cfg: cfg::Cfg,
    /// Its folded parameters.
    pub weights: weights::Weights,
}

impl DarknetModel {
    /// Parses a cfg and weights already in memory.
    pub fn parse(cfg_text: &str, weights_bytes: &[u8]) -> Result<Self> {
        let cfg = cfg::Cfg::parse(cfg_text)?;
        let weights = weights::parse(&cfg, weights_bytes)?;
        Ok(Self { cfg, weights })
    }

    /// The ONNX model for a `width × height` input.
    pub fn to_onnx(
        &self,
        width: usize,
        height: usize,
        names: Option<&[String]>,
    ) -> Result<tract_onnx::pb::ModelProto> {
        onnx::to_onnx(&self.cfg, &self.weights, width, height, names)
    }
}

/// Reads a `.cfg` and its `.weights`.
pub fn load(cfg_path: impl AsRef<Path>, weights_path: impl AsRef<Path>) -> Result<DarknetModel> {
    let cfg = cfg::Cfg::from_file(cfg_path)?;
    let weights_path = weights_path.as_ref();
    let bytes = std::fs::read(weights_path).map_err(|e| Error::io(weights_path, e))?;
    let weights = weights::parse(&cfg, &bytes)?;
    Ok(DarknetModel { cfg, weights })
}

/// Reads an `.onnx` file (protobuf) into a model, e.g. to quantize it.
pub fn read_onnx(path: impl AsRef<Path>) -> Result<tract_onnx::pb::ModelProto> {
    use prost::Message;
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    tract_onnx::pb::ModelProto::decode(bytes.as_slice())
        .map_err(|e| Error::Model(format!("{}: not an ONNX model: {e}", path.display())))
}

/// Writes a model as an `.onnx` file (protobuf).
pub fn write_onnx(model: &tract_onnx::pb::ModelProto, path: impl AsRef<Path>) -> Result<()> {
    use prost::Message;
    let path = path.as_ref();
    std::fs::write(path, model.encode_to_vec()).map_err(|e| Error::io(path, e))
}
