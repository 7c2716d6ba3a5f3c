//! Cloudinary as the image store: signed uploads and deletions through its
//! REST API (no SDK). The signature is Cloudinary's documented algorithm: the
//! request's parameters (except `file`, `cloud_name`, `resource_type` and
//! `api_key`) sorted by name, joined as `k=v&k=v`, the API secret appended,
//! SHA-1, lowercase hex.

use bytes::Bytes;
use serde::Deserialize;
use sha1::{Digest, Sha1};

use crate::error::BlobError;

/// Account and endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct CloudinaryConfig {
    /// Cloud name.
    pub cloud_name: String,
    /// API key.
    pub api_key: String,
    /// API secret (never logged).
    pub api_secret: String,
    /// `https://api.cloudinary.com`, or a stand-in in tests.
    pub api_base: String,
    /// Folder prefixed to every public id.
    pub folder: String,
}

impl std::fmt::Debug for CloudinaryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudinaryConfig")
            .field("cloud_name", &self.cloud_name)
            .field("api_key", &self.api_key)
            .field("api_secret", &"***")
            .field("api_base", &self.api_base)
            .field("folder", &self.folder)
            .finish()
    }
}

impl CloudinaryConfig {
    /// Parses the SDKs' `cloudinary://api_key:api_secret@cloud_name`.
    pub fn from_url(s: &str, api_base: &str, folder: &str) -> Result<Self, BlobError> {
        let bad = |why: &str| {
            BlobError::Config(format!(
                "CLOUDINARY_URL: {why} (expected cloudinary://key:secret@cloud)"
            ))
        };
        let url = url::Url::parse(s).map_err(|_| bad("not a URL"))?;
        if url.scheme() != "cloudinary" {
            return Err(bad("scheme is not cloudinary"));
        }
        let cloud_name = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no cloud name"))?;
        let api_key = url.username();
        let api_secret = url.password().ok_or_else(|| bad("no API secret"))?;
        if api_key.is_empty() || api_secret.is_empty() {
            return Err(bad("no API key or secret"));
        }
        let decode = |v: &str| {
            url::form_urlencoded::parse(format!("v={v}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        Ok(Self {
            cloud_name: cloud_name.to_owned(),
            api_key: decode(api_key),
            api_secret: decode(api_secret),
            api_base: api_base.trim_end_matches('/').to_owned(),
            folder: folder.to_owned(),
        })
    }
}

/// Cloudinary's request signature over `params` (the excluded names are skipped here too).
pub fn sign(params: &[(&str, &str)], api_secret: &str) -> String {
    let mut p: Vec<&(&str, &str)> = params
        .iter()
        .filter(|(k, v)| {
            !matches!(
                *k,
                "file" | "cloud_name" | "resource_type" | "api_key" | "signature"
            ) && !v.is_empty()
        })
        .collect();
    p.sort_by(|a, b| a.0.cmp(b.0));
    let joined = p
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let digest = Sha1::digest(format!("{joined}{api_secret}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Deserialize)]
struct UploadResponse {
    secure_url: String,
}

#[derive(Debug, Deserialize)]
struct ErrorResponse {
    error: ErrorBody,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    message: String,
}

/// A Cloudinary client.
#[derive(Debug, Clone)]
pub struct Cloudinary {
    cfg: CloudinaryConfig,
    http: reqwest::Client,
}

fn now_secs() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        .to_string()
}

impl Cloudinary {
    /// A client.
    pub fn new(cfg: CloudinaryConfig, http: reqwest::Client) -> Self {
        Self { cfg, http }
    }

    /// The public id for a storage key: `{folder}/{key without extension}`.
    pub fn public_id(&self, key: &str) -> String {
        let stem = key.rsplit_once('.').map_or(key, |(s, _)| s);
        if self.cfg.folder.is_empty() {
            stem.to_owned()
        } else {
            format!("{}/{stem}", self.cfg.folder)
        }
    }

    fn endpoint(&self, action: &str) -> String {
        format!(
            "{}/v1_1/{}/image/{action}",
            self.cfg.api_base, self.cfg.cloud_name
        )
    }

    async fn error_of(resp: reqwest::Response) -> BlobError {
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let msg = serde_json::from_str::<ErrorResponse>(&text)
            .map(|e| e.error.message)
            .unwrap_or_else(|_| text.chars().take(200).collect());
        BlobError::Cloudinary(format!("HTTP {status}: {msg}"))
    }

    /// Signed upload; returns the `secure_url`.
    pub async fn upload(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<String, BlobError> {
        let public_id = self.public_id(key);
        let timestamp = now_secs();
        let signature = sign(
            &[("public_id", &public_id), ("timestamp", &timestamp)],
            &self.cfg.api_secret,
        );
        let file_name = key.rsplit('/').next().unwrap_or("image").to_owned();
        let part = reqwest::multipart::Part::stream(bytes)
            .file_name(file_name)
            .mime_str(content_type)?;
        let form = reqwest::multipart::Form::new()
            .part("file", part)
            .text("api_key", self.cfg.api_key.clone())
            .text("timestamp", timestamp)
            .text("public_id", public_id)
            .text("signature", signature);
        let resp = self
            .http
            .post(self.endpoint("upload"))
            .multipart(form)
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(Self::error_of(resp).await);
        }
        let body: UploadResponse = resp
            .json()
            .await
            .map_err(|e| BlobError::Cloudinary(format!("upload response: {e}")))?;
        Ok(body.secure_url)
    }

    /// Signed deletion of the image stored under `key`.
    pub async fn destroy(&self, key: &str) -> Result<(), BlobError> {
        let public_id = self.public_id(key);
        let timestamp = now_secs();
        let signature = sign(
            &[("public_id", &public_id), ("timestamp", &timestamp)],
            &self.cfg.api_secret,
        );
        let form = [
            ("public_id", public_id.as_str()),
            ("timestamp", timestamp.as_str()),
            ("api_key", self.cfg.api_key.as_str()),
            ("signature", signature.as_str()),
        ];
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let resp = self
            .http
            .post(self.endpoint("destroy"))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(Self::error_of(resp).await);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cloudinary's published sanity check: signing
    /// `public_id=sample_image&timestamp=1315060510` with the secret `abcd`.
    #[test]
    fn signature_matches_the_documented_example() {
        let sig = sign(
            &[("timestamp", "1315060510"), ("public_id", "sample_image")],
            "abcd",
        );
        assert_eq!(sig, "b4ad47fb4e25c7bf5f92a20089f9db59bc302313");
    }

    /// The documentation's upload example with an `eager` parameter; `file`
    /// and `api_key` are excluded from the signature.
    #[test]
    fn signature_with_eager_excludes_file_and_key() {
        let sig = sign(
            &[
                ("timestamp", "1315060510"),
                ("public_id", "sample_image"),
                ("eager", "w_400,h_300,c_pad|w_260,h_200,c_crop"),
                ("file", "ignored"),
                ("api_key", "1234"),
            ],
            "abcd",
        );
        assert_eq!(sig, "bfd09f95f331f558cbd1320e67aa8d488770583e");
    }

    #[test]
    fn parses_the_sdk_url() {
        let c = CloudinaryConfig::from_url("cloudinary://123:s%40cret@demo", "http://x/", "f")
            .expect("valid");
        assert_eq!(
            (
                c.cloud_name.as_str(),
                c.api_key.as_str(),
                c.api_secret.as_str()
            ),
            ("demo", "123", "s@cret")
        );
        assert_eq!(c.api_base, "http://x");
        assert!(!format!("{c:?}").contains("s@cret"));
        assert!(CloudinaryConfig::from_url("https://123:abc@demo", "", "").is_err());
        assert!(CloudinaryConfig::from_url("cloudinary://123@demo", "", "").is_err());
    }

    #[test]
    fn public_ids_drop_the_extension() {
        let c = Cloudinary::new(
            CloudinaryConfig::from_url("cloudinary://1:2@c", "http://x", "yoloo").expect("valid"),
            yoloo_api::client::http_client(std::time::Duration::from_secs(5), "test")
                .expect("client"),
        );
        assert_eq!(c.public_id("01J/original.jpg"), "yoloo/01J/original");
    }
}
