//! The OpenVINO engine (feature `openvino`), through the `openvino` crate
//! with runtime linking: `libopenvino_c.so` and, beside it, `libopenvino`,
//! the CPU plugin, the ONNX frontend and TBB are loaded at run time (from
//! the PyPI `openvino` wheel; `python3 scripts/fetch_assets.py --runtimes`).
//!
//! Settings, set explicitly on the CPU device before compiling:
//! `PERFORMANCE_HINT=LATENCY`, `NUM_STREAMS=1`, `INFERENCE_NUM_THREADS =
//! threads`, `INFERENCE_PRECISION_HINT = f32` (fp32 and int8) or `bf16`
//! (bf16, only when the CPU device lists `BF16` in its
//! `OPTIMIZATION_CAPABILITIES`: AVX-512 BF16 or AMX); OpenVINO's own
//! memory reuse and graph optimisation (no knobs). int8 runs a QDQ graph,
//! which OpenVINO's low-precision transformations turn into int8 convolutions.
//!
//! One compiled model serves every thread; infer requests (the per-call
//! state, with their input and output buffers) are pooled.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ndarray::ArrayD;
use openvino::{CompiledModel, Core, DeviceType, InferRequest, PropertyKey, RwPropertyKey, Shape};

use super::library::{self, LibrarySpec};
use super::{Backend, EngineConfig, EngineInfo, Precision, Threads};
use crate::{Error, Result};

const SPEC: LibrarySpec = LibrarySpec {
    backend: Backend::OpenVino,
    env: "YOLOO_OPENVINO_LIB",
    folder: "openvino",
    prefix: "libopenvino_c.so.",
};

/// Oldest OpenVINO the `openvino` crate 0.11 works with (its element-type enum changed in 2025.1).
const MIN_VERSION: [u64; 2] = [2025, 1];

/// The library loaded in this process (OpenVINO's C API is loaded once).
static LOADED: Mutex<Option<(PathBuf, String)>> = Mutex::new(None);

fn ov_err(context: &str) -> impl FnOnce(openvino::InferenceError) -> Error + '_ {
    move |e| Error::Model(format!("openvino: {context}: {e}"))
}

/// Loads `libopenvino_c` once per process, after checking that it is one
/// and that its version is new enough.
fn load(config: &EngineConfig) -> Result<(PathBuf, String)> {
    let mut slot = LOADED
        .lock()
        .map_err(|_| Error::Model("openvino: library lock poisoned".into()))?;
    if let Some(loaded) = slot.as_ref() {
        return Ok(loaded.clone());
    }
    let path = library::locate(&SPEC, config.library.as_deref())?;
    let version = probe_version(&path)?;
    let numbers = library::version_numbers(&version);
    if numbers.len() < 2 || numbers[..2] < MIN_VERSION[..] {
        return Err(Error::LibraryVersion {
            backend: Backend::OpenVino,
            path,
            found: version,
            wanted: format!("{}.{} or newer", MIN_VERSION[0], MIN_VERSION[1]),
        });
    }
    openvino_sys::library::load_from(&path).map_err(|message| Error::LibraryLoad {
        backend: Backend::OpenVino,
        path: path.clone(),
        message,
    })?;
    *slot = Some((path.clone(), version.clone()));
    Ok((path, version))
}

#[repr(C)]
struct OvVersion {
    build_number: *const std::ffi::c_char,
    description: *const std::ffi::c_char,
}

/// Opens `path` and asks it for its version, without handing it to
/// `openvino-sys` (which panics on a library lacking OpenVINO's symbols).
fn probe_version(path: &Path) -> Result<String> {
    let load_err = |message: String| Error::LibraryLoad {
        backend: Backend::OpenVino,
        path: path.to_path_buf(),
        message,
    };
    // SAFETY: loading a shared library runs its initialisers; the path is
    // the one the user configured for OpenVINO.
    let lib = unsafe { libloading::Library::new(path) }.map_err(|e| load_err(e.to_string()))?;
    type GetVersion = unsafe extern "C" fn(*mut OvVersion) -> i32;
    type FreeVersion = unsafe extern "C" fn(*mut OvVersion);
    // SAFETY: the symbols have these signatures in OpenVINO's C API (ov_common.h).
    let (get, free) = unsafe {
        let get = lib
            .get::<GetVersion>(b"ov_get_openvino_version\0")
            .map_err(|e| load_err(format!("not an OpenVINO C library ({e})")))?;
        let free = lib
            .get::<FreeVersion>(b"ov_version_free\0")
            .map_err(|e| load_err(format!("not an OpenVINO C library ({e})")))?;
        (*get, *free)
    };
    let mut v = OvVersion {
        build_number: std::ptr::null(),
        description: std::ptr::null(),
    };
    // SAFETY: `v` is a valid out-parameter; the strings are freed by `free`.
    let version = unsafe {
        if get(&mut v) != 0 || v.build_number.is_null() {
            return Err(load_err("ov_get_openvino_version failed".into()));
        }
        let s = std::ffi::CStr::from_ptr(v.build_number)
            .to_string_lossy()
            .into_owned();
        free(&mut v);
        s
    };
    // Keep the library mapped: openvino-sys opens the same file next.
    std::mem::forget(lib);
    Ok(version)
}

pub(crate) struct OpenVinoEngine {
    compiled: Mutex<CompiledModel>,
    requests: Mutex<Vec<InferRequest>>,
    input_shape: Vec<i64>,
    outputs: usize,
    info: EngineInfo,
}

impl OpenVinoEngine {
    pub(crate) fn compile(model: &[u8], config: &EngineConfig) -> Result<Self> {
        let (path, version) = load(config)?;
        let mut core = Core::new().map_err(|e| Error::LibraryLoad {
            backend: Backend::OpenVino,
            path: path.clone(),
            message: e.to_string(),
        })?;
        let cpu = DeviceType::CPU;
        let caps = core
            .get_property(&cpu, &PropertyKey::DeviceCapabilities)
            .map_err(ov_err("reading the CPU's capabilities"))?;
        let hint = match config.precision {
            Precision::Bf16 if !caps.split_whitespace().any(|c| c == "BF16") => {
                return Err(Error::PrecisionUnsupported {
                    backend: Backend::OpenVino,
                    precision: Precision::Bf16,
                    reason: format!(
                        "this CPU has no bfloat16 instructions (OpenVINO's CPU capabilities: {}; bf16 needs AVX-512 BF16 or AMX); use fp32",
                        caps.trim()
                    ),
                });
            }
            Precision::Bf16 => "bf16",
            Precision::Fp32 | Precision::Int8 => "f32",
        };
        let threads = config.threads.clamp(1, 256);
        let threads_text = threads.to_string();
        core.set_properties(
            &cpu,
            [
                (RwPropertyKey::HintPerformanceMode, "LATENCY"),
                (RwPropertyKey::NumStreams, "1"),
                (RwPropertyKey::InferenceNumThreads, threads_text.as_str()),
                (RwPropertyKey::HintInferencePrecision, hint),
            ],
        )
        .map_err(ov_err("setting CPU properties"))?;
        let mut ov_model = core
            .read_model_from_buffer(model, None)
            .map_err(ov_err("reading the ONNX graph"))?;
        let (w, h) = config.input;
        let input_shape = vec![1, 3, i64::from(h), i64::from(w)];
        if ov_model.is_dynamic() {
            let shape = openvino::PartialShape::new_static(4, &input_shape)
                .map_err(ov_err("input shape"))?;
            ov_model
                .reshape_single_input(&shape)
                .map_err(ov_err("fixing the input shape"))?;
        }
        let outputs = ov_model
            .get_outputs_len()
            .map_err(ov_err("reading outputs"))?;
        let compiled = core
            .compile_model(&ov_model, cpu)
            .map_err(ov_err("compiling for the CPU"))?;
        Ok(Self {
            compiled: Mutex::new(compiled),
            requests: Mutex::new(Vec::new()),
            input_shape,
            outputs,
            info: EngineInfo {
                backend: Backend::OpenVino,
                precision: config.precision,
                threads,
                version,
                library: Some(path),
                single_thread_runs: false,
            },
        })
    }

    fn request(&self) -> Result<InferRequest> {
        if let Some(r) = self.requests.lock().ok().and_then(|mut p| p.pop()) {
            return Ok(r);
        }
        let mut compiled = self
            .compiled
            .lock()
            .map_err(|_| Error::Model("openvino: model lock poisoned".into()))?;
        compiled
            .create_infer_request()
            .map_err(ov_err("creating an infer request"))
    }
}

impl super::Engine for OpenVinoEngine {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn outputs(&self) -> usize {
        self.outputs
    }

    fn run(&self, input: ArrayD<f32>, _threads: Threads) -> Result<Vec<ArrayD<f32>>> {
        let want: Vec<usize> = self.input_shape.iter().map(|&d| d as usize).collect();
        if input.shape() != want.as_slice() {
            return Err(Error::InvalidParameter(format!(
                "input shape {:?}, expected {want:?}",
                input.shape()
            )));
        }
        let mut request = self.request()?;
        let mut tensor = openvino::Tensor::new(
            openvino::ElementType::F32,
            &Shape::new(&self.input_shape).map_err(ov_err("input shape"))?,
        )
        .map_err(ov_err("input tensor"))?;
        let input = input.as_standard_layout();
        let src = input
            .as_slice()
            .ok_or_else(|| Error::Model("openvino: input not contiguous".into()))?;
        tensor
            .get_data_mut::<f32>()
            .map_err(ov_err("input tensor"))?
            .copy_from_slice(src);
        request
            .set_input_tensor(&tensor)
            .map_err(ov_err("setting the input"))?;
        request.infer().map_err(ov_err("inference"))?;
        let mut out = Vec::with_capacity(self.outputs);
        for i in 0..self.outputs {
            let t = request
                .get_output_tensor_by_index(i)
                .map_err(ov_err("reading outputs"))?;
            let shape: Vec<usize> = t
                .get_shape()
                .map_err(ov_err("output shape"))?
                .get_dimensions()
                .iter()
                .map(|&d| d as usize)
                .collect();
            let data = t.get_data::<f32>().map_err(ov_err("output data"))?.to_vec();
            out.push(
                ArrayD::from_shape_vec(shape, data)
                    .map_err(|e| Error::Model(format!("openvino: output shape: {e}")))?,
            );
        }
        if let Ok(mut pool) = self.requests.lock() {
            pool.push(request);
        }
        Ok(out)
    }
}
