//! Records in an embedded redb file. ULIDs sort by time, so "newest first"
//! is a reverse range scan and a cursor is an id.
//!
//! | table | key → value | what |
//! |---|---|---|
//! | `images` | id → record JSON | the records |
//! | `classes` | (label, id) → () | the class index: the ids of the `done` records whose counts name the label |
//! | `counts` | label → u64 | objects counted over all `done` records |
//! | `orphans` | storage key → due (Unix ms) | images of deleted records still to remove |
//! | `meta` | name → u64 | `class_index` = 1 once the index is built |
//!
//! Every change of a record and its index, counts and orphans is one write
//! transaction.

use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, Table, TableDefinition, WriteTransaction};

use super::record::{ClassFilter, ClassTotals, Page, Record, Status, merge_newest};
use super::{Backfill, Write};
use crate::error::RecordError;

const IMAGES: TableDefinition<&str, &[u8]> = TableDefinition::new("images");
const CLASSES: TableDefinition<(&str, &str), ()> = TableDefinition::new("classes");
const COUNTS: TableDefinition<&str, u64> = TableDefinition::new("counts");
const ORPHANS: TableDefinition<&str, u64> = TableDefinition::new("orphans");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// The `meta` entry that says the class index and counts are built.
const INDEX_BUILT: &str = "class_index";

/// Above every id (ids are uppercase Crockford base32).
const AFTER_IDS: &str = "~";

fn db_err(e: impl std::fmt::Display) -> RecordError {
    RecordError::Redb(e.to_string())
}

/// The embedded record store.
#[derive(Clone)]
pub struct RedbRecords {
    db: Arc<Database>,
}

/// Adds (`+1`) or removes (`-1`) a record's share of the index and counts.
fn apply(
    classes: &mut Table<(&str, &str), ()>,
    counts: &mut Table<&str, u64>,
    record: &Record,
    add: bool,
) -> Result<(), RecordError> {
    if record.status != Status::Done {
        return Ok(());
    }
    for (label, n) in &record.counts {
        let n = *n as u64;
        let have = counts
            .get(label.as_str())
            .map_err(db_err)?
            .map_or(0, |v| v.value());
        if add {
            classes
                .insert((label.as_str(), record.id.as_str()), ())
                .map_err(db_err)?;
            counts
                .insert(label.as_str(), have.saturating_add(n))
                .map_err(db_err)?;
        } else {
            classes
                .remove((label.as_str(), record.id.as_str()))
                .map_err(db_err)?;
            match have.saturating_sub(n) {
                0 => {
                    counts.remove(label.as_str()).map_err(db_err)?;
                }
                left => {
                    counts.insert(label.as_str(), left).map_err(db_err)?;
                }
            }
        }
    }
    Ok(())
}

fn stored(tx: &WriteTransaction, id: &str) -> Result<Option<Record>, RecordError> {
    let t = tx.open_table(IMAGES).map_err(db_err)?;
    let v = t.get(id).map_err(db_err)?;
    Ok(match v {
        Some(v) => Some(serde_json::from_slice(v.value())?),
        None => None,
    })
}

impl RedbRecords {
    /// Opens (or creates) the database file, and builds the class index and
    /// counts if this store has none yet (a file from before they existed).
    pub fn open(path: &Path) -> Result<(Self, Backfill), RecordError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(db_err)?;
        }
        let db = Database::create(path).map_err(db_err)?;
        let tx = db.begin_write().map_err(db_err)?;
        let built = {
            tx.open_table(IMAGES).map_err(db_err)?;
            tx.open_table(CLASSES).map_err(db_err)?;
            tx.open_table(COUNTS).map_err(db_err)?;
            tx.open_table(ORPHANS).map_err(db_err)?;
            let meta = tx.open_table(META).map_err(db_err)?;
            meta.get(INDEX_BUILT).map_err(db_err)?.is_some()
        };
        let backfill = if built {
            Backfill::NotNeeded
        } else {
            Backfill::Done(Self::backfill(&tx)?)
        };
        tx.commit().map_err(db_err)?;
        Ok((Self { db: Arc::new(db) }, backfill))
    }

    /// Rebuilds the index and counts from the records, inside `tx`.
    fn backfill(tx: &WriteTransaction) -> Result<usize, RecordError> {
        let images = tx.open_table(IMAGES).map_err(db_err)?;
        let mut classes = tx.open_table(CLASSES).map_err(db_err)?;
        let mut counts = tx.open_table(COUNTS).map_err(db_err)?;
        classes.retain(|_, ()| false).map_err(db_err)?;
        counts.retain(|_, _| false).map_err(db_err)?;
        let mut n = 0;
        for item in images.iter().map_err(db_err)? {
            let (_, v) = item.map_err(db_err)?;
            let record: Record = serde_json::from_slice(v.value())?;
            apply(&mut classes, &mut counts, &record, true)?;
            n += 1;
        }
        tx.open_table(META)
            .map_err(db_err)?
            .insert(INDEX_BUILT, 1)
            .map_err(db_err)?;
        Ok(n)
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

    /// Writes a record with its index entries and counts, in one transaction
    /// (committed durably before returning). `false`: [`Write::Update`] of a
    /// record that is gone (nothing written).
    pub async fn put(&self, record: &Record, mode: Write) -> Result<bool, RecordError> {
        let record = record.clone();
        let json = serde_json::to_vec(&record)?;
        self.blocking(move |db| {
            let tx = db.begin_write().map_err(db_err)?;
            let old = stored(&tx, &record.id)?;
            if mode == Write::Update && old.is_none() {
                return Ok(false);
            }
            {
                let mut classes = tx.open_table(CLASSES).map_err(db_err)?;
                let mut counts = tx.open_table(COUNTS).map_err(db_err)?;
                if let Some(old) = &old {
                    apply(&mut classes, &mut counts, old, false)?;
                }
                apply(&mut classes, &mut counts, &record, true)?;
                let mut t = tx.open_table(IMAGES).map_err(db_err)?;
                t.insert(record.id.as_str(), json.as_slice())
                    .map_err(db_err)?;
            }
            tx.commit().map_err(db_err)?;
            Ok(true)
        })
        .await
    }

    /// Removes a record, its index entries and its share of the counts, and
    /// queues `keys` (its images) for removal due at `due_ms`, in one
    /// transaction. `false` when there is no such record (nothing changed).
    pub async fn delete(
        &self,
        id: &str,
        keys: Vec<String>,
        due_ms: u64,
    ) -> Result<bool, RecordError> {
        let id = id.to_owned();
        self.blocking(move |db| {
            let tx = db.begin_write().map_err(db_err)?;
            let Some(old) = stored(&tx, &id)? else {
                return Ok(false);
            };
            {
                let mut classes = tx.open_table(CLASSES).map_err(db_err)?;
                let mut counts = tx.open_table(COUNTS).map_err(db_err)?;
                apply(&mut classes, &mut counts, &old, false)?;
                tx.open_table(IMAGES)
                    .map_err(db_err)?
                    .remove(id.as_str())
                    .map_err(db_err)?;
                let mut orphans = tx.open_table(ORPHANS).map_err(db_err)?;
                for k in &keys {
                    orphans.insert(k.as_str(), due_ms).map_err(db_err)?;
                }
            }
            tx.commit().map_err(db_err)?;
            Ok(true)
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

    /// Newest first, strictly older than `cursor`; only records matching
    /// `filter` (through the class index). Reads one snapshot.
    pub async fn list(
        &self,
        filter: &ClassFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page, RecordError> {
        let cursor = cursor.map(str::to_owned);
        let filter = filter.clone();
        self.blocking(move |db| {
            let tx = db.begin_read().map_err(db_err)?;
            let images = tx.open_table(IMAGES).map_err(db_err)?;
            let below = cursor.as_deref().unwrap_or(AFTER_IDS);
            let ids: Vec<String> = if filter.is_all() {
                let mut ids = Vec::with_capacity(limit + 1);
                for item in images.range::<&str>(..below).map_err(db_err)?.rev() {
                    ids.push(item.map_err(db_err)?.0.value().to_owned());
                    if ids.len() > limit {
                        break;
                    }
                }
                ids
            } else {
                let classes = tx.open_table(CLASSES).map_err(db_err)?;
                let mut lists = Vec::with_capacity(filter.labels().len());
                for label in filter.labels() {
                    let mut ids = Vec::with_capacity(limit + 1);
                    let range = classes
                        .range((label.as_str(), "")..(label.as_str(), below))
                        .map_err(db_err)?;
                    for item in range.rev() {
                        ids.push(item.map_err(db_err)?.0.value().1.to_owned());
                        if ids.len() > limit {
                            break;
                        }
                    }
                    lists.push(ids);
                }
                merge_newest(lists, limit)
            };
            let more = ids.len() > limit;
            let mut records = Vec::with_capacity(limit);
            for id in ids.iter().take(limit) {
                if let Some(v) = images.get(id.as_str()).map_err(db_err)? {
                    records.push(serde_json::from_slice::<Record>(v.value())?);
                }
            }
            let next_cursor = if more {
                ids.get(limit - 1).cloned()
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

    /// Label → objects counted over all `done` records.
    pub async fn class_totals(&self) -> Result<ClassTotals, RecordError> {
        self.blocking(|db| {
            let tx = db.begin_read().map_err(db_err)?;
            let t = tx.open_table(COUNTS).map_err(db_err)?;
            let mut out = Vec::new();
            for item in t.iter().map_err(db_err)? {
                let (k, v) = item.map_err(db_err)?;
                out.push((k.value().to_owned(), v.value()));
            }
            Ok(out)
        })
        .await
    }

    /// Queues image keys for removal at `due_ms` (or moves them there).
    pub async fn queue_orphans(&self, keys: Vec<String>, due_ms: u64) -> Result<(), RecordError> {
        self.blocking(move |db| {
            let tx = db.begin_write().map_err(db_err)?;
            {
                let mut t = tx.open_table(ORPHANS).map_err(db_err)?;
                for k in &keys {
                    t.insert(k.as_str(), due_ms).map_err(db_err)?;
                }
            }
            tx.commit().map_err(db_err)
        })
        .await
    }

    /// Up to `limit` queued keys due at `now_ms`.
    pub async fn due_orphans(&self, now_ms: u64, limit: usize) -> Result<Vec<String>, RecordError> {
        self.blocking(move |db| {
            let tx = db.begin_read().map_err(db_err)?;
            let t = tx.open_table(ORPHANS).map_err(db_err)?;
            let mut out = Vec::new();
            for item in t.iter().map_err(db_err)? {
                let (k, due) = item.map_err(db_err)?;
                if due.value() <= now_ms {
                    out.push(k.value().to_owned());
                    if out.len() == limit {
                        break;
                    }
                }
            }
            Ok(out)
        })
        .await
    }

    /// Drops a key from the queue (its image is gone).
    pub async fn forget_orphan(&self, key: &str) -> Result<(), RecordError> {
        let key = key.to_owned();
        self.blocking(move |db| {
            let tx = db.begin_write().map_err(db_err)?;
            tx.open_table(ORPHANS)
                .map_err(db_err)?
                .remove(key.as_str())
                .map_err(db_err)?;
            tx.commit().map_err(db_err)
        })
        .await
    }
}
