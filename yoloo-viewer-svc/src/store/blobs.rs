//! Where images go: any `object_store` backend (local files by default, S3,
//! GCS, Azure, memory) served back through `/media/{key}`, or Cloudinary,
//! whose `secure_url`s the records hold.
//!
//! Keys are generated here only: `{id}/original.{ext}`, `{id}/annotated.jpg`,
//! `{id}/thumb.jpg` — never anything a user sent.

use std::path::Path as FsPath;
use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use super::record::{BlobKind, Record, valid_id};
use crate::cloudinary::Cloudinary;
use crate::error::BlobError;

/// The storage key of one image of a record.
pub fn key_for(id: &str, kind: BlobKind, ext: &str) -> String {
    match kind {
        BlobKind::Original => format!("{id}/original.{ext}"),
        BlobKind::Annotated => format!("{id}/annotated.jpg"),
        BlobKind::Thumbnail => format!("{id}/thumb.jpg"),
    }
}

/// Every key a record's images may be stored under: the original, and the
/// annotated image and thumbnail (whether or not they were made yet).
pub fn record_keys(record: &Record) -> Vec<String> {
    vec![
        record.original_key.clone(),
        key_for(&record.id, BlobKind::Annotated, "jpg"),
        key_for(&record.id, BlobKind::Thumbnail, "jpg"),
    ]
}

/// The file extension and MIME type of an accepted image format.
pub fn ext_for_mime(mime: &str) -> &'static str {
    match mime {
        "image/png" => "png",
        "image/gif" => "gif",
        "image/bmp" => "bmp",
        "image/webp" => "webp",
        "image/tiff" => "tiff",
        _ => "jpg",
    }
}

/// MIME type of a key we generated; `None` for anything else (so `/media`
/// serves nothing but our own keys).
pub fn mime_for_key(key: &str) -> Option<&'static str> {
    let (id, file) = key.split_once('/')?;
    if !valid_id(id) {
        return None;
    }
    Some(match file {
        "annotated.jpg" | "thumb.jpg" | "original.jpg" => "image/jpeg",
        "original.png" => "image/png",
        "original.gif" => "image/gif",
        "original.bmp" => "image/bmp",
        "original.webp" => "image/webp",
        "original.tiff" => "image/tiff",
        _ => return None,
    })
}

/// The image store.
#[derive(Debug, Clone)]
pub enum Blobs {
    /// An object store; served by this service under `/media/`.
    Object {
        /// The store (already prefixed).
        store: Arc<dyn ObjectStore>,
        /// For logs and the README's "which store" line.
        describe: String,
    },
    /// Cloudinary.
    Cloudinary(Cloudinary),
}

impl Blobs {
    /// Files under `dir` (created if missing).
    pub fn local(dir: &FsPath) -> Result<Self, BlobError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| BlobError::Config(format!("cannot create {}: {e}", dir.display())))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
        Ok(Self::Object {
            store: Arc::new(store),
            describe: format!("files under {}", dir.display()),
        })
    }

    /// From a `STORAGE_URL`: `s3://bucket/prefix`, `gs://bucket/prefix`,
    /// `az://container/prefix`, `file:///dir`, `memory://`. Credentials and
    /// endpoints come from the standard `AWS_*`, `GOOGLE_*`, `AZURE_*` variables.
    pub fn from_url(s: &str) -> Result<Self, BlobError> {
        let url =
            url::Url::parse(s).map_err(|e| BlobError::Config(format!("STORAGE_URL {s:?}: {e}")))?;
        let prefix = url.path().trim_matches('/').to_owned();
        let store: Arc<dyn ObjectStore> = match url.scheme() {
            "s3" | "s3a" => Arc::new(
                object_store::aws::AmazonS3Builder::from_env()
                    .with_url(s)
                    .build()?,
            ),
            "gs" => Arc::new(
                object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_url(s)
                    .build()?,
            ),
            "az" | "azure" | "abfs" | "abfss" => Arc::new(
                object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_url(s)
                    .build()?,
            ),
            "file" => {
                let dir = url.to_file_path().map_err(|()| {
                    BlobError::Config(format!("STORAGE_URL {s:?} is not a local path"))
                })?;
                return Self::local(&dir);
            }
            "memory" => Arc::new(object_store::memory::InMemory::new()),
            other => {
                return Err(BlobError::Config(format!(
                    "STORAGE_URL scheme {other:?} is not one of s3, gs, az, file, memory"
                )));
            }
        };
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() || url.scheme() == "memory" {
            store
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(
                store,
                prefix.as_str(),
            ))
        };
        let mut shown = url.clone();
        let _ = shown.set_password(None);
        Ok(Self::Object {
            store,
            describe: shown.to_string(),
        })
    }

    /// Stores one image; returns the URL it is served at.
    pub async fn put(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<String, BlobError> {
        match self {
            Self::Object { store, .. } => {
                store.put(&Path::from(key), bytes.into()).await?;
                Ok(format!("/media/{key}"))
            }
            Self::Cloudinary(c) => c.upload(key, bytes, content_type).await,
        }
    }

    /// The stored bytes, for serving (`None` when absent or not served here).
    pub async fn get(&self, key: &str) -> Result<Option<object_store::GetResult>, BlobError> {
        match self {
            Self::Object { store, .. } => match store.get(&Path::from(key)).await {
                Ok(r) => Ok(Some(r)),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e.into()),
            },
            Self::Cloudinary(_) => Ok(None),
        }
    }

    /// The stored bytes of `key` (served at `url`), e.g. to retry a detection.
    pub async fn fetch(
        &self,
        key: &str,
        url: &str,
        http: &reqwest::Client,
    ) -> Result<Bytes, BlobError> {
        match self {
            Self::Object { store, .. } => Ok(store.get(&Path::from(key)).await?.bytes().await?),
            Self::Cloudinary(_) => {
                let resp = http.get(url).send().await?.error_for_status()?;
                Ok(resp.bytes().await?)
            }
        }
    }

    /// Removes one image.
    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self {
            Self::Object { store, .. } => match store.delete(&Path::from(key)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            },
            Self::Cloudinary(c) => c.destroy(key).await,
        }
    }

    /// Reachable? (object stores: a `HEAD` of a key that does not exist).
    pub async fn ping(&self) -> Result<(), BlobError> {
        match self {
            Self::Object { store, .. } => match store.head(&Path::from("readyz-probe")).await {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            },
            Self::Cloudinary(_) => Ok(()),
        }
    }

    /// For logs.
    pub fn describe(&self) -> String {
        match self {
            Self::Object { describe, .. } => describe.clone(),
            Self::Cloudinary(_) => "cloudinary".into(),
        }
    }
}
