//! Records in an embedded redb file: one table, id → record JSON. ULIDs sort
//! by time, so "newest first" is a reverse range scan and a cursor is an id.

use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableDatabase, TableDefinition};

use super::record::{Page, Record};
use crate::error::RecordError;

const IMAGES: TableDefinition<&str, &[u8]> = TableDefinition::new("images");

fn db_err(e: impl std::fmt::Display) -> RecordError {
    RecordError::Redb(e.to_string())
}

/// The embedded record store.
#[derive(Clone)]
pub struct RedbRecords {
    db: Arc<Database>,
}

impl RedbRecords {
    /// Opens (or creates) the database file.
    pub fn open(path: &Path) -> Result<Self, RecordError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(db_err)?;
        }
        let db = Database::create(path).map_err(db_err)?;
        let tx = db.begin_write().map_err(db_err)?;
        tx.open_table(IMAGES).map_err(db_err)?;
        tx.commit().map_err(db_err)?;
        Ok(Self { db: Arc::new(db) })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, RecordError> + Send + 'static,
    ) -> Result<T, RecordError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(|e| RecordError::Join(e.to_string()))?
    }

    /// Creates or replaces a record (committed durably before returning).
    pub async fn put(&self, record: &Record) -> Result<(), RecordError> {
        let id = record.id.clone();
        let json = serde_json::to_vec(record)?;
        self.blocking(move |db| {
            let tx = db.begin_write().map_err(db_err)?;
            {
                let mut t = tx.open_table(IMAGES).map_err(db_err)?;
                t.insert(id.as_str(), json.as_slice()).map_err(db_err)?;
            }
            tx.commit().map_err(db_err)
        })
        .await
    }

    /// One record.
    pub async fn get(&self, id: &str) -> Result<Option<Record>, RecordError> {
        let id = id.to_owned();
        self.blocking(move |db| {
            let tx = db.begin_read().map_err(db_err)?;
            let t = tx.open_table(IMAGES).map_err(db_err)?;
            match t.get(id.as_str()).map_err(db_err)? {
                Some(v) => Ok(Some(serde_json::from_slice(v.value())?)),
                None => Ok(None),
            }
        })
        .await
    }

    /// Newest first, strictly older than `cursor`.
    pub async fn list(&self, cursor: Option<&str>, limit: usize) -> Result<Page, RecordError> {
        let cursor = cursor.map(str::to_owned);
        self.blocking(move |db| {
            let tx = db.begin_read().map_err(db_err)?;
            let t = tx.open_table(IMAGES).map_err(db_err)?;
            let range = match &cursor {
                Some(c) => t.range::<&str>(..c.as_str()).map_err(db_err)?,
                None => t.range::<&str>(..).map_err(db_err)?,
            };
            let mut records = Vec::with_capacity(limit + 1);
            for item in range.rev().take(limit + 1) {
                let (_, v) = item.map_err(db_err)?;
                records.push(serde_json::from_slice::<Record>(v.value())?);
            }
            let next_cursor = if records.len() > limit {
                records.truncate(limit);
                records.last().map(|r| r.id.clone())
            } else {
                None
            };
            Ok(Page {
                records,
                next_cursor,
            })
        })
        .await
    }
}
