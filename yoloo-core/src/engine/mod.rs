//! Inference engines: what runs the ONNX graph.
//!
//! A [`Detector`](crate::Detector) keeps the model description (heads,
//! labels, input size, options), preprocessing and decoding; an [`Engine`]
//! only runs the graph: one `[1, 3, H, W]` `f32` tensor in, the graph's
//! outputs (in graph order) out. An engine is compiled once from the ONNX
//! graph ([`compile`]) and shared by every thread; per-call state (tract
//! states, OpenVINO infer requests) is pooled inside it.
//!
//! | [`Backend`] | cargo feature | library |
//! |---|---|---|
//! | `tract` | `runtime` (default) | none: pure Rust |
//! | `onnxruntime` | `onnxruntime` (opt-in) | `libonnxruntime.so` from the PyPI `onnxruntime` wheel, loaded at run time |
//! | `openvino` | `openvino` (opt-in) | `libopenvino_c.so` and its plugins from the PyPI `openvino` wheel, loaded at run time |
//!
//! ```
//! use yoloo_core::engine::{Backend, Precision};
//! assert_eq!("onnxruntime".parse::<Backend>().unwrap(), Backend::OnnxRuntime);
//! assert_eq!("ort".parse::<Backend>().unwrap(), Backend::OnnxRuntime);
//! assert_eq!("bf16".parse::<Precision>().unwrap(), Precision::Bf16);
//! assert!(Backend::Tract.is_built());
//! ```

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use ndarray::ArrayD;

use crate::{Error, Result};

#[cfg(any(feature = "onnxruntime", feature = "openvino"))]
mod library;
#[cfg(feature = "onnxruntime")]
mod onnxruntime;
#[cfg(feature = "openvino")]
mod openvino;
mod tract;

/// Which library runs the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Backend {
    /// [tract](https://docs.rs/tract-onnx): pure Rust, always built with `runtime`.
    Tract,
    /// ONNX Runtime through the `ort` crate (feature `onnxruntime`).
    OnnxRuntime,
    /// OpenVINO through the `openvino` crate (feature `openvino`).
    OpenVino,
}

impl Backend {
    /// Every backend, built or not.
    pub const ALL: [Backend; 3] = [Backend::Tract, Backend::OnnxRuntime, Backend::OpenVino];

    /// Whether this build of yoloo-core contains the backend (its cargo feature is on).
    pub fn is_built(self) -> bool {
        match self {
            Backend::Tract => true,
            Backend::OnnxRuntime => cfg!(feature = "onnxruntime"),
            Backend::OpenVino => cfg!(feature = "openvino"),
        }
    }

    /// The cargo feature that builds the backend.
    pub fn feature(self) -> &'static str {
        match self {
            Backend::Tract => "runtime",
            Backend::OnnxRuntime => "onnxruntime",
            Backend::OpenVino => "openvino",
        }
    }
}

/// The numeric precision inference runs at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Precision {
    /// 32-bit float, every backend (the default).
    #[default]
    Fp32,
    /// bfloat16 arithmetic where the backend and the CPU support it
    /// (OpenVINO on a CPU with AVX-512 BF16 or AMX); refused elsewhere.
    Bf16,
    /// 8-bit integer convolutions from a QDQ model (one that has
    /// `QuantizeLinear`/`DequantizeLinear` nodes, e.g. written by
    /// `convert --int8`), or one yoloo quantizes in memory from calibration photos.
    Int8,
}

/// `name()` (the name used on command lines and in the API), `Display`
/// and a case-insensitive `FromStr` with aliases, from one table per enum.
macro_rules! named_settings {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal $(| $alias:literal)*),+ $(,)? }) => {
        impl $ty {
            #[doc = concat!("The name used on command lines and in the API:", $(" `", $name, "`",)+ ".")]
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $ty {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($name $(| $alias)* => Ok($ty::$variant),)+
                    other => Err(Error::InvalidParameter(format!(
                        concat!("unknown ", $what, " {:?}: expected one of", $(" ", $name,)+),
                        other
                    ))),
                }
            }
        }
    };
}

named_settings!(Backend, "backend", {
    Tract => "tract",
    OnnxRuntime => "onnxruntime" | "ort" | "onnx-runtime",
    OpenVino => "openvino" | "ov",
});

named_settings!(Precision, "precision", {
    Fp32 => "fp32" | "f32" | "float32",
    Bf16 => "bf16" | "bfloat16",
    Int8 => "int8" | "i8" | "u8",
});

/// How many threads one [`Engine::run`] may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// All the threads the engine was compiled with (one image at a time).
    All,
    /// One thread, so that several images can run side by side
    /// ([`Detector::detect_batch`](crate::Detector::detect_batch)). Engines
    /// whose thread count is fixed at compile time treat it as `All`
    /// (see [`EngineInfo::single_thread_runs`]).
    One,
}

/// How an engine is compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// Which library runs the graph.
    pub backend: Backend,
    /// Arithmetic precision.
    pub precision: Precision,
    /// Threads per inference (≥ 1).
    pub threads: usize,
    /// Network input `(width, height)`: the graph's input is fixed to `[1, 3, height, width]`.
    pub input: (u32, u32),
    /// The backend's shared library (a file, or the folder holding it);
    /// `None` = `YOLOO_ORT_LIB` / `YOLOO_OPENVINO_LIB`, else `runtimes/`
    /// in the working directory, else beside the executable.
    pub library: Option<PathBuf>,
}

impl EngineConfig {
    /// A configuration for `backend` at `precision`, `threads` threads, input `(w, h)`.
    pub fn new(backend: Backend, precision: Precision, threads: usize, input: (u32, u32)) -> Self {
        Self {
            backend,
            precision,
            threads,
            input,
            library: None,
        }
    }
}

/// What an engine is, for logs, `/v1/models` and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct EngineInfo {
    /// The backend.
    pub backend: Backend,
    /// The precision it runs at.
    pub precision: Precision,
    /// Threads per inference.
    pub threads: usize,
    /// The library's version (`0.23.9` for tract, `1.32.0` for ONNX Runtime, …).
    pub version: String,
    /// The shared library loaded, for the backends that load one.
    pub library: Option<PathBuf>,
    /// Whether [`Threads::One`] runs really use one thread (so that images
    /// can run side by side); `false` when the thread count is fixed at compile time.
    pub single_thread_runs: bool,
}

/// Runs a compiled ONNX graph. `Send + Sync`: one engine serves every
/// thread; implementations pool their per-call state.
pub trait Engine: Send + Sync {
    /// What runs, at which precision, with how many threads.
    fn info(&self) -> &EngineInfo;

    /// Number of graph outputs.
    fn outputs(&self) -> usize;

    /// Runs the graph on one input tensor (the shape compiled for) and
    /// returns every output, in graph order, as `f32`.
    fn run(&self, input: ArrayD<f32>, threads: Threads) -> Result<Vec<ArrayD<f32>>>;
}

impl fmt::Debug for dyn Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine").field("info", self.info()).finish()
    }
}

/// The backends `auto` tries for `precision`, in order, from what
/// `benches/compare.py` measured (2 threads, yolov3-tiny). fp32: ONNX
/// Runtime, then OpenVINO, then tract (the first two are level within noise
/// on an AVX2 EPYC and an AVX-512 Xeon; on a Zen 4 OpenVINO took 0.86× ONNX
/// Runtime's time in one run, and ONNX Runtime, the smaller library at
/// 33 MiB against 88, stays first). bf16: OpenVINO alone. int8: OpenVINO,
/// then ONNX Runtime, then tract. Backends not built in are left out.
///
/// ```
/// use yoloo_core::engine::{Backend, Precision, auto_order};
/// assert_eq!(auto_order(Precision::Fp32).last(), Some(&Backend::Tract));
/// ```
pub fn auto_order(precision: Precision) -> Vec<Backend> {
    let order: &[Backend] = match precision {
        Precision::Fp32 => &[Backend::OnnxRuntime, Backend::OpenVino, Backend::Tract],
        Precision::Bf16 => &[Backend::OpenVino],
        Precision::Int8 => &[Backend::OpenVino, Backend::OnnxRuntime, Backend::Tract],
    };
    order.iter().copied().filter(|b| b.is_built()).collect()
}

/// Compiles `proto` for `config`: the one place that picks an engine.
pub fn compile(
    proto: &tract_onnx::pb::ModelProto,
    config: &EngineConfig,
) -> Result<Box<dyn Engine>> {
    if !config.backend.is_built() {
        return Err(Error::BackendNotBuilt {
            backend: config.backend,
        });
    }
    match config.backend {
        Backend::Tract => Ok(Box::new(tract::TractEngine::compile(proto, config)?)),
        #[cfg(feature = "onnxruntime")]
        Backend::OnnxRuntime => Ok(Box::new(onnxruntime::OrtEngine::compile(
            &encode(proto),
            config,
        )?)),
        #[cfg(feature = "openvino")]
        Backend::OpenVino => Ok(Box::new(openvino::OpenVinoEngine::compile(
            &encode(proto),
            config,
        )?)),
        #[allow(unreachable_patterns)]
        _ => Err(Error::BackendNotBuilt {
            backend: config.backend,
        }),
    }
}

#[cfg(any(feature = "onnxruntime", feature = "openvino"))]
fn encode(proto: &tract_onnx::pb::ModelProto) -> Vec<u8> {
    use prost::Message;
    proto.encode_to_vec()
}
