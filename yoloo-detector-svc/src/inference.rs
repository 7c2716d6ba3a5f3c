//! Inference off the async runtime: a fixed set of worker threads fed by a
//! bounded queue.
//!
//! * Admission is immediate and comes before the body is read: a request
//!   takes one of `workers + queue_size` places ([`Engine::admit`]) or is
//!   refused at once (503), so overload never piles up and at most that many
//!   request bodies are held in memory, however many clients connect. A
//!   body that has not arrived within `YOLOO_BODY_TIMEOUT` of its headers
//!   fails (408) and its place is released, so slow clients hold places for
//!   a bounded time (yoloo-server's README, "Slow clients").
//! * A job whose client has hung up while it waited (its reply channel is
//!   closed) is dropped without decoding or inference.
//! * Decoding, inference, drawing and encoding all run on the workers, so the
//!   async threads only move bytes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use image::ImageFormat;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use yoloo_core::detector::{DetectOptions, Detections};
use yoloo_core::draw::{DrawStyle, draw_detections};
use yoloo_core::image_io::{DecodeLimits, decode_image};
use yoloo_core::{Detector, Error};

use crate::telemetry;

/// What a job should produce besides detections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Render {
    /// Detections only.
    None,
    /// Also the input with boxes drawn, encoded in this format.
    Annotated(ImageFormat),
}

/// A place in the engine, from before the request body is read until its job
/// is done (or dropped unprocessed).
#[derive(Debug)]
pub struct Admission {
    _place: OwnedSemaphorePermit,
}

/// One image to process.
struct Job {
    _admission: Admission,
    bytes: axum::body::Bytes,
    options: DetectOptions,
    render: Render,
    enqueued: Instant,
    reply: oneshot::Sender<Result<Outcome, Error>>,
}

/// A processed image.
#[derive(Debug)]
pub struct Outcome {
    /// The detector's result.
    pub detections: Detections,
    /// Time waiting for a worker.
    pub queued: Duration,
    /// Time spent decoding the image.
    pub decode: Duration,
    /// The annotated image, when asked for.
    pub image: Option<Vec<u8>>,
}

/// Why a job was not accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum Submit {
    /// The queue is full.
    Full,
    /// The workers have stopped (shutting down).
    Closed,
}

/// The worker pool.
pub struct Engine {
    detector: Arc<Detector>,
    tx: Option<SyncSender<Job>>,
    places: Arc<Semaphore>,
    queued: Arc<AtomicUsize>,
    busy: Arc<AtomicUsize>,
    workers: Vec<JoinHandle<()>>,
}

impl Engine {
    /// Starts `workers` threads sharing `detector`, with room for `queue_size`
    /// waiting jobs.
    pub fn start(
        detector: Detector,
        workers: usize,
        queue_size: usize,
        limits: DecodeLimits,
    ) -> Self {
        let detector = Arc::new(detector);
        let workers = workers.max(1);
        let (tx, rx) = mpsc::sync_channel::<Job>(queue_size);
        let rx = Arc::new(Mutex::new(rx));
        let queued = Arc::new(AtomicUsize::new(0));
        let busy = Arc::new(AtomicUsize::new(0));
        let handles = (0..workers)
            .map(|i| {
                let worker = Worker {
                    detector: Arc::clone(&detector),
                    rx: Arc::clone(&rx),
                    queued: Arc::clone(&queued),
                    busy: Arc::clone(&busy),
                    limits,
                };
                std::thread::Builder::new()
                    .name(format!("yoloo-worker-{i}"))
                    .spawn(move || worker.run())
            })
            .filter_map(|spawned| match spawned {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::error!(error = %e, "cannot start an inference worker");
                    None
                }
            })
            .collect();
        Self {
            detector,
            tx: Some(tx),
            places: Arc::new(Semaphore::new(workers + queue_size)),
            queued,
            busy,
            workers: handles,
        }
    }

    /// The model.
    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    /// Jobs waiting for a worker.
    pub fn queue_depth(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Jobs being processed right now.
    pub fn busy(&self) -> usize {
        self.busy.load(Ordering::Relaxed)
    }

    /// Takes a place for one request, or `None` when `workers + queue_size`
    /// requests are already admitted. Call it before reading the body.
    pub fn admit(&self) -> Option<Admission> {
        Arc::clone(&self.places)
            .try_acquire_owned()
            .ok()
            .map(|place| Admission { _place: place })
    }

    /// Queues an image; the receiver gets the outcome. Never blocks.
    pub fn submit(
        &self,
        admission: Admission,
        bytes: axum::body::Bytes,
        options: DetectOptions,
        render: Render,
    ) -> Result<oneshot::Receiver<Result<Outcome, Error>>, Submit> {
        let tx = self.tx.as_ref().ok_or(Submit::Closed)?;
        let (reply, rx) = oneshot::channel();
        let job = Job {
            _admission: admission,
            bytes,
            options,
            render,
            enqueued: Instant::now(),
            reply,
        };
        // Count before sending so a fast worker never sees the count at zero.
        let depth = self.queued.fetch_add(1, Ordering::Relaxed) + 1;
        match tx.try_send(job) {
            Ok(()) => {
                metrics::gauge!(telemetry::QUEUE_DEPTH).set(depth as f64);
                Ok(rx)
            }
            Err(e) => {
                self.queued.fetch_sub(1, Ordering::Relaxed);
                Err(match e {
                    TrySendError::Full(_) => Submit::Full,
                    TrySendError::Disconnected(_) => Submit::Closed,
                })
            }
        }
    }
}

impl Drop for Engine {
    /// Lets queued jobs finish, then joins the workers.
    fn drop(&mut self) {
        self.tx.take();
        for handle in self.workers.drain(..) {
            let _ = handle.join();
        }
    }
}

struct Worker {
    detector: Arc<Detector>,
    rx: Arc<Mutex<Receiver<Job>>>,
    queued: Arc<AtomicUsize>,
    busy: Arc<AtomicUsize>,
    limits: DecodeLimits,
}

impl Worker {
    fn run(self) {
        loop {
            // Hold the lock only while waiting for the next job.
            let job = {
                let Ok(rx) = self.rx.lock() else { return };
                match rx.recv() {
                    Ok(job) => job,
                    Err(_) => return, // the engine is gone
                }
            };
            let depth = self
                .queued
                .fetch_sub(1, Ordering::Relaxed)
                .saturating_sub(1);
            metrics::gauge!(telemetry::QUEUE_DEPTH).set(depth as f64);
            let queued = job.enqueued.elapsed();
            telemetry::stage("queue", queued);
            if job.reply.is_closed() {
                // The client hung up while waiting: don't spend a core on it.
                metrics::counter!(telemetry::CANCELLED).increment(1);
                tracing::debug!("client went away while queued; skipped");
                continue;
            }
            let busy = self.busy.fetch_add(1, Ordering::Relaxed) + 1;
            metrics::gauge!(telemetry::BUSY).set(busy as f64);
            // A bug in a decoder or the model must not take a worker down with it.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.process(&job, queued)
            }))
            .unwrap_or_else(|_| Err(Error::Model("processing this image panicked".into())));
            let busy = self.busy.fetch_sub(1, Ordering::Relaxed).saturating_sub(1);
            metrics::gauge!(telemetry::BUSY).set(busy as f64);
            let _ = job.reply.send(outcome);
        }
    }

    fn process(&self, job: &Job, queued: Duration) -> Result<Outcome, Error> {
        let t0 = Instant::now();
        let image = decode_image(&job.bytes, &self.limits)?;
        let decode = t0.elapsed();
        telemetry::stage("decode", decode);
        let detections = self.detector.detect_with(&image, &job.options)?;
        telemetry::stage("preprocess", detections.timings.preprocess);
        telemetry::stage("inference", detections.timings.inference);
        telemetry::stage("postprocess", detections.timings.postprocess);
        let image = match job.render {
            Render::None => None,
            Render::Annotated(format) => {
                let t = Instant::now();
                // Drawn in place: no second full-size copy (a 40-megapixel
                // upload is 120 MB of pixels).
                let mut drawn = image.into_rgb8();
                draw_detections(&mut drawn, &detections.detections, &DrawStyle::default());
                let bytes = encode(&drawn, format)?;
                telemetry::stage("render", t.elapsed());
                Some(bytes)
            }
        };
        Ok(Outcome {
            detections,
            queued,
            decode,
            image,
        })
    }
}

/// Encodes an RGB image as JPEG (quality 90) or PNG.
fn encode(img: &image::RgbImage, format: ImageFormat) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(img.as_raw().len() / 4);
    let result = match format {
        ImageFormat::Png => img.write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Png),
        _ => image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(img),
    };
    result.map_err(|e| Error::Model(format!("encoding the annotated image failed: {e}")))?;
    Ok(out)
}
