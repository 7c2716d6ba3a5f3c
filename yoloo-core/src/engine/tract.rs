//! The tract engine: pure Rust, always built with the `runtime` feature.
//!
//! Settings: the input shape is fixed before `into_optimized()` (tract's
//! full optimisation); one inference uses a rayon pool of `threads` as
//! tract-linalg's matrix-product executor (`threads = 1`: the calling thread);
//! no spinning (rayon workers park when idle); memory: one `TypedSimpleState`
//! per concurrent call, pooled and reused. Precision: fp32, and QDQ int8
//! graphs as tract runs them; no bf16 path.

use std::sync::{Arc, Mutex};

use ndarray::ArrayD;
use tract_linalg::multithread::{Executor, multithread_tract_scope};
use tract_onnx::prelude::*;

use super::{Backend, EngineConfig, EngineInfo, Precision, Threads};
use crate::{Error, Result};

type Plan = TypedSimplePlan;
type State = TypedSimpleState;

/// A tract plan with pooled states and its executor.
pub(crate) struct TractEngine {
    plan: Arc<Plan>,
    states: Mutex<Vec<State>>,
    /// The executor of one inference: a pool of `threads`, or the calling
    /// thread alone. The plan has none of its own, so that a batch can run
    /// single-threaded inferences side by side.
    executor: Executor,
    outputs: usize,
    info: EngineInfo,
}

fn model_err(context: &str) -> impl FnOnce(TractError) -> Error + '_ {
    move |e| Error::Model(format!("{context}: {e:#}"))
}

/// tract's version, from the lock file at build time is not available: the
/// crate's own version constant.
const TRACT_VERSION: &str = "0.23";

impl TractEngine {
    pub(crate) fn compile(
        proto: &tract_onnx::pb::ModelProto,
        config: &EngineConfig,
    ) -> Result<Self> {
        if config.precision == Precision::Bf16 {
            return Err(Error::PrecisionUnsupported {
                backend: Backend::Tract,
                precision: Precision::Bf16,
                reason: "tract has no bfloat16 kernels; use --backend openvino on a CPU with AVX-512 BF16 or AMX".into(),
            });
        }
        let (w, h) = config.input;
        let model = tract_onnx::onnx()
            .model_for_proto_model(proto)
            .map_err(model_err("loading the ONNX graph"))?;
        let model = model
            .with_input_fact(0, f32::fact([1, 3, h as usize, w as usize]).into())
            .map_err(model_err("setting the input shape"))?
            .into_optimized()
            .map_err(model_err("optimising"))?;
        let threads = config.threads.clamp(1, 256);
        let executor = if threads > 1 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("yoloo-mm-{i}"))
                .build()
                .map_err(|e| Error::Model(format!("starting {threads} inference threads: {e}")))?;
            Executor::MultiThread(Arc::new(pool))
        } else {
            Executor::SingleThread
        };
        let plan = model
            .into_runnable_with_options(&RunOptions::default())
            .map_err(model_err("planning"))?;
        let outputs = plan
            .model()
            .output_outlets()
            .map_err(model_err("reading outputs"))?
            .len();
        Ok(Self {
            plan,
            states: Mutex::new(Vec::new()),
            executor,
            outputs,
            info: EngineInfo {
                backend: Backend::Tract,
                precision: config.precision,
                threads,
                version: TRACT_VERSION.into(),
                library: None,
                single_thread_runs: true,
            },
        })
    }
}

impl super::Engine for TractEngine {
    fn info(&self) -> &EngineInfo {
        &self.info
    }

    fn outputs(&self) -> usize {
        self.outputs
    }

    fn run(&self, input: ArrayD<f32>, threads: Threads) -> Result<Vec<ArrayD<f32>>> {
        let executor = match threads {
            Threads::All => self.executor.clone(),
            Threads::One => Executor::SingleThread,
        };
        let state = self.states.lock().ok().and_then(|mut s| s.pop());
        let mut state = match state {
            Some(s) => s,
            None => self.plan.spawn().map_err(model_err("starting inference"))?,
        };
        let outputs =
            multithread_tract_scope(executor, || state.run(tvec!(Tensor::from(input).into())))
                .map_err(model_err("inference"))?;
        if let Ok(mut pool) = self.states.lock() {
            pool.push(state);
        }
        outputs
            .into_iter()
            .map(|o| {
                o.into_tensor()
                    .into_plain_array::<f32>()
                    .map_err(model_err("reading outputs"))
            })
            .collect()
    }
}
