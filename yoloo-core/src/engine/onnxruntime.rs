//! The ONNX Runtime engine (feature `onnxruntime`), through the `ort` crate
//! with `load-dynamic`: `libonnxruntime.so` is loaded at run time (from the
//! PyPI `onnxruntime` wheel; `python3 scripts/fetch_assets.py --runtimes`).
//!
//! Settings, set explicitly: CPU execution provider; graph optimisation
//! level `All` (Python's `ORT_ENABLE_ALL`); `intra_op_num_threads = threads`,
//! `inter_op_num_threads = 1`, sequential execution; intra-op spinning on
//! (ONNX Runtime's default: its threads spin briefly after each run, which
//! is what makes back-to-back inferences fast); CPU memory arena and memory
//! patterns on (the defaults). Precision: fp32, and int8 from a QDQ graph
//! (ONNX Runtime fuses it into QLinearConv); no bf16 kernels on x86.
//!
//! `ort`'s `Session::run` takes `&mut self` (ONNX Runtime's `Run` is not
//! safe to call concurrently on one session), so one session, behind a
//! mutex, serves every thread: calls take turns, each using all `threads`.

use std::path::PathBuf;
use std::sync::Mutex;

use ndarray::ArrayD;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::TensorRef;

use super::library::{self, LibrarySpec};
use super::{Backend, EngineConfig, EngineInfo, Precision, Threads};
use crate::{Error, Result};

const SPEC: LibrarySpec = LibrarySpec {
    backend: Backend::OnnxRuntime,
    env: "YOLOO_ORT_LIB",
    folder: "onnxruntime",
    prefix: "libonnxruntime.so.",
};

/// The process's ONNX Runtime environment (`ort` allows one) and the library it came from.
static ENVIRONMENT: Mutex<Option<(ort::environment::Environment, PathBuf, String)>> =
    Mutex::new(None);

fn ort_err(context: &str) -> impl FnOnce(ort::Error) -> Error + '_ {
    move |e| Error::Model(format!("onnxruntime: {context}: {e}"))
}

/// Loads the library once per process and returns the environment.
fn environment(config: &EngineConfig) -> Result<(ort::environment::Environment, PathBuf, String)> {
    let mut slot = ENVIRONMENT
        .lock()
        .map_err(|_| Error::Model("onnxruntime: environment lock poisoned".into()))?;
    if let Some(env) = slot.as_ref() {
        return Ok(env.clone());
    }
    let path = library::locate(&SPEC, config.library.as_deref())?;
    let builder = ort::init_from(&path).map_err(|e| match e {
        ort::LoadDynamicError::BadVersion { version_str, path } => Error::LibraryVersion {
            backend: Backend::OnnxRuntime,
            path,
            found: version_str,
            wanted: format!("1.{}.x or newer (ort {})", MIN_MINOR, ORT_CRATE),
        },
        other => Error::LibraryLoad {
            backend: Backend::OnnxRuntime,
            path: path.clone(),
            message: other.to_string(),
        },
    })?;
    let env = builder
        .with_name("yoloo")
        .with_telemetry(false)
        .build()
        .map_err(ort_err("creating the environment"))?;
    let version = build_version().unwrap_or_else(|| file_version(&path));
    *slot = Some((env, path, version));
    slot.as_ref()
        .cloned()
        .ok_or_else(|| Error::Model("onnxruntime: no environment".into()))
}

/// The oldest ONNX Runtime minor version the `api-31` feature accepts.
const MIN_MINOR: u32 = 31;
const ORT_CRATE: &str = "2.0.0-rc.15";

/// `1.32.0` from ONNX Runtime's build string (`git-branch=rel-1.32.0, …`).
fn build_version() -> Option<String> {
    let info = ort::info();
    let branch = info.split("git-branch=").nth(1)?;
    let v = branch.split([',', ' ']).next()?.trim_start_matches("rel-");
    (!library::version_numbers(v).is_empty()).then(|| v.to_string())
}

/// `1.32.0` from `libonnxruntime.so.1.32.0`.
fn file_version(path: &std::path::Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix(SPEC.prefix))
        .unwrap_or("unknown")
        .to_string()
}

pub(crate) struct OrtEngine {
    session: Mutex<Session>,
    outputs: usize,
    info: EngineInfo,
}

impl OrtEngine {
    pub(crate) fn compile(model: &[u8], config: &EngineConfig) -> Result<Self> {
        if config.precision == Precision::Bf16 {
            return Err(Error::PrecisionUnsupported {
                backend: Backend::OnnxRuntime,
                precision: Precision::Bf16,
                reason: "ONNX Runtime's CPU execution provider has no bfloat16 convolutions on x86; use --backend openvino on a CPU with AVX-512 BF16 or AMX".into(),
            });
        }
        let (env, path, version) = environment(config)?;
        let threads = config.threads.clamp(1, 256);
        let b = |e: ort::Error<ort::session::builder::SessionBuilder>| {
            Error::Model(format!("onnxruntime: session options: {e}"))
        };
        let session = Session::builder(&env)
            .map_err(ort_err("session builder"))?
            .with_optimization_level(GraphOptimizationLevel::All)
            .map_err(b)?
            .with_intra_threads(threads)
            .map_err(b)?
            .with_inter_threads(1)
            .map_err(b)?
            .with_parallel_execution(false)
            .map_err(b)?
            .with_intra_op_spinning(true)
            .map_err(b)?
            .with_memory_pattern(true)
            .map_err(b)?
            .commit_from_memory(model)
            .map_err(ort_err("loading the model"))?;
        let outputs = session.outputs().len();
        if session.inputs().len() != 1 {
            return Err(Error::Model(format!(
                "onnxruntime: the model has {} inputs, expected one image tensor",
                session.inputs().len()
            )));
        }
        Ok(Self {
            session: Mutex::new(session),
            outputs,
            info: EngineInfo {
                backend: Backend::OnnxRuntime,
                precision: config.precision,
                threads,
                version,
                library: Some(path),
                single_thread_runs: false,
            },
        })
    }
}

impl super::Engine for OrtEngine {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn outputs(&self) -> usize {
        self.outputs
    }

    fn run(&self, input: ArrayD<f32>, _threads: Threads) -> Result<Vec<ArrayD<f32>>> {
        let input = input.as_standard_layout();
        let tensor = TensorRef::from_array_view(input.view()).map_err(ort_err("input"))?;
        let mut session = self
            .session
            .lock()
            .map_err(|_| Error::Model("onnxruntime: session lock poisoned".into()))?;
        let outputs = session
            .run(ort::inputs![tensor])
            .map_err(ort_err("inference"))?;
        (0..outputs.len())
            .map(|i| {
                outputs[i]
                    .try_extract_array::<f32>()
                    .map(|a| a.to_owned())
                    .map_err(ort_err("reading outputs"))
            })
            .collect()
    }
}
