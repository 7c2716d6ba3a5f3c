//! Deleting: a record goes first, then its images. The record, its class
//! index entries and its share of the counts are removed in one atomic step
//! of the record store, which in the same step queues the record's image keys
//! as *orphans*; then the images are removed and each one dropped from the
//! queue. An image that cannot be removed stays queued (logged) and
//! [`sweep_orphans`] tries again later — so no record ever points at a
//! missing image, and no image is forgotten, even across a crash.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::AppError;
use crate::state::AppState;
use crate::store::blobs::record_keys;

/// Keys tried per sweep.
const SWEEP_BATCH: usize = 100;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn later_ms(state: &AppState) -> u64 {
    now_ms().saturating_add(state.config.orphan_retry.saturating_mul(1000))
}

/// Deletes a record and then its images. `Err(NotFound)` when there is no
/// such record (a second delete of the same id, too). Images that cannot be
/// removed now are left queued for [`sweep_orphans`]; the record is gone
/// either way.
pub async fn delete(state: &AppState, id: &str) -> Result<(), AppError> {
    let record = crate::process::find(state, id).await?;
    let keys = record_keys(&record);
    // Due only after a retry interval: the images are removed right below,
    // so a sweep running meanwhile does not race with this request.
    if !state
        .records
        .delete(id, keys.clone(), later_ms(state))
        .await?
    {
        return Err(AppError::NotFound(id.to_owned()));
    }
    metrics::counter!("viewer_deletes_total").increment(1);
    tracing::info!(id, "deleted");
    for key in &keys {
        remove_image(state, key).await;
    }
    Ok(())
}

/// Removes one queued image; on success drops it from the queue, on failure
/// logs it (it stays queued, due after the retry interval). `true` when gone.
async fn remove_image(state: &AppState, key: &str) -> bool {
    match state.blobs.delete(key).await {
        Ok(()) => {
            if let Err(e) = state.records.forget_orphan(key).await {
                // Still queued: a later sweep deletes it again (a no-op).
                tracing::warn!(key, error = %e, "image removed; could not unqueue it");
            }
            true
        }
        Err(e) => {
            metrics::counter!("viewer_orphan_failures_total").increment(1);
            tracing::warn!(key, error = %e, "could not remove an image; queued for a retry");
            false
        }
    }
}

/// Removes images that belong to no record (a failed upload or retry). What
/// cannot be removed now is queued for [`sweep_orphans`].
pub async fn discard(state: &AppState, keys: &[String]) {
    if keys.is_empty() {
        return;
    }
    // Queued first, so a crash in between loses nothing; due later, so the
    // sweep leaves them to this call.
    if let Err(e) = state
        .records
        .queue_orphans(keys.to_vec(), later_ms(state))
        .await
    {
        tracing::warn!(error = %e, "could not queue images of an unrecorded upload");
    }
    for key in keys {
        if !remove_image(state, key).await {
            tracing::error!(key, "an image of no record is left in the store");
        }
    }
}

/// One pass over the queued images that are due: removes them, or pushes
/// them back by the retry interval. Returns how many were removed.
pub async fn sweep_orphans(state: &AppState) -> usize {
    let due = match state.records.due_orphans(now_ms(), SWEEP_BATCH).await {
        Ok(due) => due,
        Err(e) => {
            tracing::debug!(error = %e, "orphan sweep skipped: record store unavailable");
            return 0;
        }
    };
    let mut removed = 0;
    for key in due {
        if remove_image(state, &key).await {
            removed += 1;
            tracing::info!(key, "removed a queued image");
        } else if let Err(e) = state
            .records
            .queue_orphans(vec![key.clone()], later_ms(state))
            .await
        {
            tracing::warn!(key, error = %e, "could not reschedule a queued image");
        }
    }
    removed
}

/// Runs for the life of the service: builds the class index if the store
/// did not answer at start-up, then sweeps the orphan queue every
/// `YOLOO_ORPHAN_RETRY` seconds.
pub async fn upkeep(state: std::sync::Arc<AppState>) {
    let every = Duration::from_secs(state.config.orphan_retry.max(1));
    let mut pending = state
        .backfill_pending
        .load(std::sync::atomic::Ordering::SeqCst);
    loop {
        tokio::time::sleep(every).await;
        if pending {
            match state.records.backfill().await {
                Ok(done) => {
                    crate::state::log_backfill(done);
                    pending = false;
                }
                Err(e) => tracing::warn!(error = %e, "class index not built yet"),
            }
        }
        sweep_orphans(&state).await;
    }
}
