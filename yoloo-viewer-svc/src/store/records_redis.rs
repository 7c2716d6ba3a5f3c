//! Records in Redis, through a reconnecting connection manager.
//!
//! Layout (prefix `YOLOO_REDIS_PREFIX`, default `yoloo:`):
//!
//! | key | type | content |
//! |---|---|---|
//! | `{prefix}image:{id}` | string | the record as JSON |
//! | `{prefix}image_ids` | sorted set | every id with score 0; ULIDs sort by time, so `ZREVRANGEBYLEX` lists newest first and a cursor is an id |
//! | `{prefix}class:{label}` | sorted set | the class index: ids of the `done` records whose counts name the label, score 0, paged like `image_ids` |
//! | `{prefix}counts` | hash | label → objects counted over all `done` records (the original's counts hash) |
//! | `{prefix}orphans` | sorted set | storage keys of deleted records' images still to remove, scored by when to try (Unix ms) |
//! | `{prefix}meta` | hash | `class_index` = 1 once the index is built |
//!
//! A record, its index entries and its counts change together in one Lua
//! script (atomic in Redis); the scripts name keys under the prefix, so the
//! store wants one Redis, not a cluster.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::record::{ClassFilter, ClassTotals, Page, Record, merge_newest};
use super::{Backfill, Write};
use crate::error::RecordError;

/// Shared by the scripts: adds (`sign` 1) or removes (-1) a decoded
/// record's share of the class index and the counts.
const APPLY: &str = r"
local function apply(prefix, rec, sign)
  if rec.status ~= 'done' or type(rec.counts) ~= 'table' then return end
  for label, n in pairs(rec.counts) do
    local ckey = prefix .. 'class:' .. label
    if sign > 0 then
      redis.call('ZADD', ckey, 0, rec.id)
    else
      redis.call('ZREM', ckey, rec.id)
    end
    local left = redis.call('HINCRBY', prefix .. 'counts', label, sign * n)
    if left <= 0 then redis.call('HDEL', prefix .. 'counts', label) end
  end
end
";

/// ARGV: prefix, id, record JSON, `create` | `update`. Returns 0 when an
/// update finds the record gone (nothing written), else 1.
const PUT: &str = r"
local prefix, id, json, mode = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local key = prefix .. 'image:' .. id
local old = redis.call('GET', key)
if mode == 'update' and not old then return 0 end
if old then apply(prefix, cjson.decode(old), -1) end
apply(prefix, cjson.decode(json), 1)
redis.call('SET', key, json)
redis.call('ZADD', prefix .. 'image_ids', 0, id)
return 1
";

/// ARGV: prefix, id, due (ms), then the storage keys to queue. Returns 0
/// when there is no such record (nothing changed), else 1.
const DELETE: &str = r"
local prefix, id, due = ARGV[1], ARGV[2], ARGV[3]
local key = prefix .. 'image:' .. id
local old = redis.call('GET', key)
if not old then return 0 end
apply(prefix, cjson.decode(old), -1)
redis.call('DEL', key)
redis.call('ZREM', prefix .. 'image_ids', id)
for i = 4, #ARGV do redis.call('ZADD', prefix .. 'orphans', due, ARGV[i]) end
return 1
";

/// ARGV: prefix, then ids: adds the index entries of those that still exist.
const BACKFILL: &str = r"
local prefix = ARGV[1]
for i = 2, #ARGV do
  local json = redis.call('GET', prefix .. 'image:' .. ARGV[i])
  if json then
    local rec = cjson.decode(json)
    if rec.status == 'done' and type(rec.counts) == 'table' then
      for label, _ in pairs(rec.counts) do
        redis.call('ZADD', prefix .. 'class:' .. label, 0, rec.id)
      end
    end
  end
end
return 1
";

/// Ids per backfill step.
const BACKFILL_BATCH: usize = 500;

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

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn image_key(&self, id: &str) -> String {
        self.key(&format!("image:{id}"))
    }

    fn script(&self, body: &str) -> redis::Cmd {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(format!("{APPLY}{body}")).arg(0).arg(&self.prefix);
        cmd
    }

    /// Writes a record with its index entries and counts, atomically.
    /// `false`: [`Write::Update`] of a record that is gone (nothing written).
    pub async fn put(&self, record: &Record, mode: Write) -> Result<bool, RecordError> {
        let mut con = self.con.clone();
        let json = serde_json::to_string(record)?;
        let mode = match mode {
            Write::Create => "create",
            Write::Update => "update",
        };
        let written: i64 = self
            .script(PUT)
            .arg(&record.id)
            .arg(json)
            .arg(mode)
            .query_async(&mut con)
            .await?;
        Ok(written == 1)
    }

    /// Removes a record, its index entries and its share of the counts, and
    /// queues `keys` (its images) for removal at `due_ms`, atomically.
    /// `false` when there is no such record.
    pub async fn delete(
        &self,
        id: &str,
        keys: Vec<String>,
        due_ms: u64,
    ) -> Result<bool, RecordError> {
        let mut con = self.con.clone();
        let deleted: i64 = self
            .script(DELETE)
            .arg(id)
            .arg(due_ms)
            .arg(keys)
            .query_async(&mut con)
            .await?;
        Ok(deleted == 1)
    }

    /// Builds the class index from the records if `meta` says it is not
    /// built (a store from before it existed). Safe to run while records
    /// change: each step only indexes records that still exist.
    pub async fn backfill(&self) -> Result<Backfill, RecordError> {
        let mut con = self.con.clone();
        let built: Option<String> = redis::cmd("HGET")
            .arg(self.key("meta"))
            .arg("class_index")
            .query_async(&mut con)
            .await?;
        if built.is_some() {
            return Ok(Backfill::NotNeeded);
        }
        let mut n = 0;
        let mut below = "+".to_owned();
        loop {
            let ids: Vec<String> = redis::cmd("ZREVRANGEBYLEX")
                .arg(self.key("image_ids"))
                .arg(&below)
                .arg("-")
                .arg("LIMIT")
                .arg(0)
                .arg(BACKFILL_BATCH)
                .query_async(&mut con)
                .await?;
            let Some(last) = ids.last() else { break };
            below = format!("({last}");
            n += ids.len();
            self.script(BACKFILL)
                .arg(&ids)
                .query_async::<i64>(&mut con)
                .await?;
        }
        redis::cmd("HSET")
            .arg(self.key("meta"))
            .arg("class_index")
            .arg(1)
            .query_async::<i64>(&mut con)
            .await?;
        Ok(Backfill::Done(n))
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

    async fn ids_below(
        &self,
        con: &mut ConnectionManager,
        set: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, RecordError> {
        let max = cursor.map_or_else(|| "+".to_owned(), |c| format!("({c}"));
        Ok(redis::cmd("ZREVRANGEBYLEX")
            .arg(set)
            .arg(max)
            .arg("-")
            .arg("LIMIT")
            .arg(0)
            .arg(limit + 1)
            .query_async(con)
            .await?)
    }

    /// Newest first, strictly older than `cursor`; only records matching
    /// `filter` (through the class index).
    pub async fn list(
        &self,
        filter: &ClassFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page, RecordError> {
        let mut con = self.con.clone();
        let ids = if filter.is_all() {
            self.ids_below(&mut con, &self.key("image_ids"), cursor, limit)
                .await?
        } else {
            let mut lists = Vec::with_capacity(filter.labels().len());
            for label in filter.labels() {
                let set = self.key(&format!("class:{label}"));
                lists.push(self.ids_below(&mut con, &set, cursor, limit).await?);
            }
            merge_newest(lists, limit)
        };
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

    /// Label → objects counted (`HGETALL {prefix}counts`).
    pub async fn class_totals(&self) -> Result<ClassTotals, RecordError> {
        let mut con = self.con.clone();
        let all: Vec<(String, i64)> = redis::cmd("HGETALL")
            .arg(self.key("counts"))
            .query_async(&mut con)
            .await?;
        Ok(all
            .into_iter()
            .map(|(k, v)| (k, u64::try_from(v).unwrap_or(0)))
            .collect())
    }

    /// Queues image keys for removal at `due_ms` (or moves them there).
    pub async fn queue_orphans(&self, keys: Vec<String>, due_ms: u64) -> Result<(), RecordError> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut con = self.con.clone();
        let mut cmd = redis::cmd("ZADD");
        cmd.arg(self.key("orphans"));
        for k in keys {
            cmd.arg(due_ms).arg(k);
        }
        cmd.query_async::<i64>(&mut con).await?;
        Ok(())
    }

    /// Up to `limit` queued keys due at `now_ms`.
    pub async fn due_orphans(&self, now_ms: u64, limit: usize) -> Result<Vec<String>, RecordError> {
        let mut con = self.con.clone();
        Ok(redis::cmd("ZRANGEBYSCORE")
            .arg(self.key("orphans"))
            .arg("-inf")
            .arg(now_ms)
            .arg("LIMIT")
            .arg(0)
            .arg(limit)
            .query_async(&mut con)
            .await?)
    }

    /// Drops a key from the queue (its image is gone).
    pub async fn forget_orphan(&self, key: &str) -> Result<(), RecordError> {
        let mut con = self.con.clone();
        redis::cmd("ZREM")
            .arg(self.key("orphans"))
            .arg(key)
            .query_async::<i64>(&mut con)
            .await?;
        Ok(())
    }

    /// `PING`.
    pub async fn ping(&self) -> Result<(), RecordError> {
        let mut con = self.con.clone();
        let _: String = redis::cmd("PING").query_async(&mut con).await?;
        Ok(())
    }
}
