//! File storage through object_store: a local directory by default,
//! S3-compatible storage in production (`STORAGE_URL=s3://bucket`).

use bytes::Bytes;
use object_store::{ObjectStore, path::Path as ObjectPath};
use std::sync::Arc;

#[derive(Debug, Default, Clone)]
pub struct S3Options {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// The directory behind a local store (None for S3).
    local_dir: Option<std::path::PathBuf>,
    public_url: String,
    /// Where clients fetch local files (`{public_url}/media/`); None for S3.
    local_base: Option<String>,
    s3: Option<object_store::aws::AmazonS3>,
}

impl Storage {
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Self> {
        Self::from_url(
            &config.storage_url(),
            &config.public_url(),
            S3Options {
                endpoint: config.s3_endpoint.clone(),
                region: config.aws_region.clone(),
                access_key_id: config.aws_access_key_id.clone(),
                secret_access_key: config.aws_secret_access_key.clone(),
            },
        )
    }

    pub fn from_url(url: &str, public_url: &str, s3: S3Options) -> anyhow::Result<Self> {
        if let Some(dir) = url.strip_prefix("file://") {
            std::fs::create_dir_all(dir)?;
            let store = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
            return Ok(Self {
                store: Arc::new(store),
                local_dir: Some(std::path::PathBuf::from(dir)),
                public_url: public_url.to_string(),
                local_base: Some(format!("{public_url}/media")),
                s3: None,
            });
        }
        if let Some(bucket) = url.strip_prefix("s3://") {
            // Credentials from the environment (instance roles included),
            // overridden by what the configuration names.
            let mut b = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(bucket.trim_end_matches('/'));
            if let Some(endpoint) = s3.endpoint {
                b = b
                    .with_allow_http(endpoint.starts_with("http://"))
                    .with_endpoint(endpoint);
            }
            if let Some(region) = s3.region {
                b = b.with_region(region);
            }
            if let (Some(id), Some(secret)) = (s3.access_key_id, s3.secret_access_key) {
                b = b.with_access_key_id(id).with_secret_access_key(secret);
            }
            let s3 = b.build()?;
            return Ok(Self {
                store: Arc::new(s3.clone()),
                local_dir: None,
                public_url: public_url.to_string(),
                local_base: None,
                s3: Some(s3),
            });
        }
        anyhow::bail!("STORAGE_URL must be file:///path or s3://bucket")
    }

    pub async fn put(&self, key: &str, data: Bytes) -> anyhow::Result<()> {
        self.store
            .put(&ObjectPath::parse(key)?, data.into())
            .await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> anyhow::Result<Option<Bytes>> {
        let path = ObjectPath::parse(key)?;
        match self.store.get(&path).await {
            Ok(r) => Ok(Some(r.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self.store.delete(&ObjectPath::parse(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Where `/media/{key}` serves a public object (thumbnails) from either
    /// store.
    pub fn public_url(&self, key: &str) -> Option<String> {
        Some(format!("{}/media/{key}", self.public_url))
    }

    /// The file behind `key` when storage is a local directory.
    pub fn local_path(&self, key: &str) -> Option<std::path::PathBuf> {
        let dir = self.local_dir.as_ref()?;
        let path = ObjectPath::parse(key).ok()?;
        let mut out = dir.clone();
        for part in path.parts() {
            out.push(part.as_ref());
        }
        Some(out)
    }

    /// A short-lived signed GET URL when storage is S3 (None for local).
    pub async fn signed_url(
        &self,
        key: &str,
        ttl: std::time::Duration,
    ) -> anyhow::Result<Option<String>> {
        let Some(s3) = &self.s3 else { return Ok(None) };
        use object_store::signer::Signer;
        let url = s3
            .signed_url(http_method_get(), &ObjectPath::parse(key)?, ttl)
            .await?;
        Ok(Some(url.to_string()))
    }

    /// Starts a streamed upload: parts are sent as they fill, so memory
    /// stays bounded whatever the object's size. Finish or abort it.
    pub async fn start_upload(&self, key: &str) -> anyhow::Result<Upload> {
        let upload = self.store.put_multipart(&ObjectPath::parse(key)?).await?;
        Ok(Upload(object_store::WriteMultipart::new_with_chunk_size(
            upload,
            8 * 1024 * 1024,
        )))
    }

    /// Copies an object into a local file (for ffprobe/ffmpeg), streaming.
    pub async fn download_to(&self, key: &str, dest: &std::path::Path) -> anyhow::Result<()> {
        use futures::StreamExt;
        use tokio::io::AsyncWriteExt;
        let mut stream = self
            .store
            .get(&ObjectPath::parse(key)?)
            .await?
            .into_stream();
        let mut file = tokio::fs::File::create(dest).await?;
        while let Some(chunk) = stream.next().await {
            file.write_all(&chunk?).await?;
        }
        file.flush().await?;
        Ok(())
    }

    /// A URL a client can fetch the object from.
    pub async fn url(&self, key: &str) -> anyhow::Result<String> {
        if let Some(base) = &self.local_base {
            return Ok(format!("{base}/{key}"));
        }
        if let Some(s3) = &self.s3 {
            use object_store::signer::Signer;
            let url = s3
                .signed_url(
                    http_method_get(),
                    &ObjectPath::parse(key)?,
                    std::time::Duration::from_secs(3600),
                )
                .await?;
            return Ok(url.to_string());
        }
        anyhow::bail!("no URL for storage")
    }
}

fn http_method_get() -> reqwest::Method {
    reqwest::Method::GET
}

/// An upload in progress (see [`Storage::start_upload`]).
pub struct Upload(object_store::WriteMultipart);

impl Upload {
    /// Queues bytes; waits while too many parts are in flight.
    pub async fn write(&mut self, data: &[u8]) -> anyhow::Result<()> {
        self.0.wait_for_capacity(2).await?;
        self.0.write(data);
        Ok(())
    }

    pub async fn finish(self) -> anyhow::Result<()> {
        self.0.finish().await?;
        Ok(())
    }

    /// Discards everything written: nothing is left behind.
    pub async fn abort(self) {
        if let Err(e) = self.0.abort().await {
            tracing::warn!(error = %e, "aborting an upload failed");
        }
    }
}
