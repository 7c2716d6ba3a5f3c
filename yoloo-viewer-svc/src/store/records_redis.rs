//! Records in Redis, through a reconnecting connection manager.
//!
//! Layout (prefix `YOLOO_REDIS_PREFIX`, default `yoloo:`):
//!
//! | key | type | content |
//! |---|---|---|
//! | `{prefix}image:{id}` | string | the record as JSON |
//! | `{prefix}image_ids` | sorted set | every id with score 0; ULIDs sort by time, so `ZREVRANGEBYLEX` lists newest first and a cursor is an id |
//! | `{prefix}counts` | hash | label → objects counted over all `done` records (the original's counts hash) |

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::record::{Page, Record, Status};
use crate::error::RecordError;

/// The Redis record store.
#[derive(Clone)]
pub struct RedisRecords {
    con: ConnectionManager,
    prefix: String,
}

impl RedisRecords {
    /// Connects lazily: the service starts even while Redis is down (readiness says so).
    pub fn connect(url: &str, prefix: &str) -> Result<Self, RecordError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_response_timeout(Some(Duration::from_secs(5)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(2));
        let con = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(Self {
            con,
            prefix: prefix.to_owned(),
        })
    }

    fn image_key(&self, id: &str) -> String {
        format!("{}image:{id}", self.prefix)
    }

    fn ids_key(&self) -> String {
        format!("{}image_ids", self.prefix)
    }

    fn counts_key(&self) -> String {
        format!("{}counts", self.prefix)
    }

    /// Creates or replaces a record, atomically with its index entry.
    pub async fn put(&self, record: &Record) -> Result<(), RecordError> {
        let mut con = self.con.clone();
        let json = serde_json::to_string(record)?;
        let was_done = match self.get(&record.id).await? {
            Some(old) => old.status == Status::Done,
            None => false,
        };
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SET")
            .arg(self.image_key(&record.id))
            .arg(json)
            .ignore()
            .cmd("ZADD")
            .arg(self.ids_key())
            .arg(0)
            .arg(&record.id)
            .ignore();
        if record.status == Status::Done && !was_done {
            for (label, n) in &record.counts {
                pipe.cmd("HINCRBY")
                    .arg(self.counts_key())
                    .arg(label)
                    .arg(*n)
                    .ignore();
            }
        }
        pipe.query_async::<()>(&mut con).await?;
        Ok(())
    }

    /// One record.
    pub async fn get(&self, id: &str) -> Result<Option<Record>, RecordError> {
        let mut con = self.con.clone();
        let v: Option<String> = redis::cmd("GET")
            .arg(self.image_key(id))
            .query_async(&mut con)
            .await?;
        Ok(match v {
            Some(s) => Some(serde_json::from_str(&s)?),
            None => None,
        })
    }

    /// Newest first, strictly older than `cursor`.
    pub async fn list(&self, cursor: Option<&str>, limit: usize) -> Result<Page, RecordError> {
        let mut con = self.con.clone();
        let max = cursor.map_or_else(|| "+".to_owned(), |c| format!("({c}"));
        let ids: Vec<String> = redis::cmd("ZREVRANGEBYLEX")
            .arg(self.ids_key())
            .arg(max)
            .arg("-")
            .arg("LIMIT")
            .arg(0)
            .arg(limit + 1)
            .query_async(&mut con)
            .await?;
        let more = ids.len() > limit;
        let ids = &ids[..ids.len().min(limit)];
        let mut records = Vec::with_capacity(ids.len());
        if !ids.is_empty() {
            let keys: Vec<String> = ids.iter().map(|id| self.image_key(id)).collect();
            let values: Vec<Option<String>> =
                redis::cmd("MGET").arg(keys).query_async(&mut con).await?;
            for s in values.into_iter().flatten() {
                records.push(serde_json::from_str::<Record>(&s)?);
            }
        }
        let next_cursor = if more { ids.last().cloned() } else { None };
        Ok(Page {
            records,
            next_cursor,
        })
    }

    /// `PING`.
    pub async fn ping(&self) -> Result<(), RecordError> {
        let mut con = self.con.clone();
        let _: String = redis::cmd("PING").query_async(&mut con).await?;
        Ok(())
    }
}
