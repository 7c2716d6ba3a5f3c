//! Records (one per uploaded image) and the stores that hold them and the images.

pub mod blobs;
pub mod record;
pub mod records_redb;
pub mod records_redis;

pub use record::{BlobKind, ClassFilter, ClassTotals, Page, Record, Status, valid_id};

use crate::error::RecordError;

/// How [`Records::put`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// A new record.
    Create,
    /// A record that must still exist (a retry): when it was deleted
    /// meanwhile nothing is written.
    Update,
}

/// What opening a store did to its class index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backfill {
    /// The index was there.
    NotNeeded,
    /// The store had no index: built from this many records.
    Done(usize),
    /// Not known yet (the store did not answer); tried again later.
    Pending,
}

/// The record store: embedded (redb) or Redis.
pub enum Records {
    /// A redb file under the data directory.
    Redb(records_redb::RedbRecords),
    /// Redis.
    Redis(records_redis::RedisRecords),
}

impl Records {
    /// Writes a record with its class-index entries and its counts in one
    /// atomic step. `Ok(false)`: an [`Write::Update`] found the record gone.
    pub async fn put(&self, record: &Record, mode: Write) -> Result<bool, RecordError> {
        match self {
            Self::Redb(s) => s.put(record, mode).await,
            Self::Redis(s) => s.put(record, mode).await,
        }
    }

    /// The record with this id (its file name cleaned: [`Record::cleaned`]).
    pub async fn get(&self, id: &str) -> Result<Option<Record>, RecordError> {
        let record = match self {
            Self::Redb(s) => s.get(id).await,
            Self::Redis(s) => s.get(id).await,
        }?;
        Ok(record.map(Record::cleaned))
    }

    /// Records matching `filter` older than `cursor` (an id), newest
    /// first (file names cleaned).
    pub async fn list(
        &self,
        filter: &ClassFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page, RecordError> {
        let mut page = match self {
            Self::Redb(s) => s.list(filter, cursor, limit).await,
            Self::Redis(s) => s.list(filter, cursor, limit).await,
        }?;
        page.records = page.records.into_iter().map(Record::cleaned).collect();
        Ok(page)
    }

    /// Removes a record with its index entries and its share of the counts,
    /// and queues its image `keys` for removal (due at `due_ms`), in one
    /// atomic step. `Ok(false)`: no such record.
    pub async fn delete(
        &self,
        id: &str,
        keys: Vec<String>,
        due_ms: u64,
    ) -> Result<bool, RecordError> {
        match self {
            Self::Redb(s) => s.delete(id, keys, due_ms).await,
            Self::Redis(s) => s.delete(id, keys, due_ms).await,
        }
    }

    /// Label → objects counted over every `done` record, most first.
    pub async fn class_totals(&self) -> Result<ClassTotals, RecordError> {
        let totals = match self {
            Self::Redb(s) => s.class_totals().await?,
            Self::Redis(s) => s.class_totals().await?,
        };
        Ok(record::sorted_totals(totals))
    }

    /// Queues image keys (of no record) for removal at `due_ms`.
    pub async fn queue_orphans(&self, keys: Vec<String>, due_ms: u64) -> Result<(), RecordError> {
        match self {
            Self::Redb(s) => s.queue_orphans(keys, due_ms).await,
            Self::Redis(s) => s.queue_orphans(keys, due_ms).await,
        }
    }

    /// Up to `limit` queued image keys due at `now_ms`.
    pub async fn due_orphans(&self, now_ms: u64, limit: usize) -> Result<Vec<String>, RecordError> {
        match self {
            Self::Redb(s) => s.due_orphans(now_ms, limit).await,
            Self::Redis(s) => s.due_orphans(now_ms, limit).await,
        }
    }

    /// Drops a key from the queue: its image is gone.
    pub async fn forget_orphan(&self, key: &str) -> Result<(), RecordError> {
        match self {
            Self::Redb(s) => s.forget_orphan(key).await,
            Self::Redis(s) => s.forget_orphan(key).await,
        }
    }

    /// Builds the class index of a store that has none (Redis; the embedded
    /// store does it when opened).
    pub async fn backfill(&self) -> Result<Backfill, RecordError> {
        match self {
            Self::Redb(_) => Ok(Backfill::NotNeeded),
            Self::Redis(s) => s.backfill().await,
        }
    }

    /// Reachable?
    pub async fn ping(&self) -> Result<(), RecordError> {
        match self {
            Self::Redb(_) => Ok(()),
            Self::Redis(s) => s.ping().await,
        }
    }

    /// `redb` / `redis`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Redb(_) => "redb",
            Self::Redis(_) => "redis",
        }
    }
}
