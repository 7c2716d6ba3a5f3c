//! Records (one per uploaded image) and the stores that hold them and the images.

pub mod blobs;
pub mod record;
pub mod records_redb;
pub mod records_redis;

pub use record::{BlobKind, Page, Record, Status, valid_id};

use crate::error::RecordError;

/// The record store: embedded (redb) or Redis.
pub enum Records {
    /// A redb file under the data directory.
    Redb(records_redb::RedbRecords),
    /// Redis.
    Redis(records_redis::RedisRecords),
}

impl Records {
    /// Creates or replaces a record.
    pub async fn put(&self, record: &Record) -> Result<(), RecordError> {
        match self {
            Self::Redb(s) => s.put(record).await,
            Self::Redis(s) => s.put(record).await,
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

    /// Records older than `cursor` (an id), newest first (file names cleaned).
    pub async fn list(&self, cursor: Option<&str>, limit: usize) -> Result<Page, RecordError> {
        let mut page = match self {
            Self::Redb(s) => s.list(cursor, limit).await,
            Self::Redis(s) => s.list(cursor, limit).await,
        }?;
        page.records = page.records.into_iter().map(Record::cleaned).collect();
        Ok(page)
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
