//! Rides settings, read from the environment once per cold start, and the state every rides
//! function shares.

use std::time::Duration;

use andes_shared::aws;
use andes_shared::config::{needed, optional, parsed_or, required, ConfigError};
use andes_shared::dynamo::Table;
use andes_shared::http::ApiError;
use identity::directory::Directory;

use crate::store::Store;

/// Rides' settings. Every function gets `RIDES_TABLE` and `IDENTITY_TABLE` (template.yaml's
/// `Globals`); the buckets are set only where they are used, so they are `Option`s here and a
/// function that needs one and lacks it fails with an error naming the variable.
#[derive(Debug, Clone)]
pub struct Config {
    pub table: String,
    /// Identity's table, read through [`Directory`] only.
    pub identity_table: String,
    /// `RIDES_EXPORTS_BUCKET` (export function, admin command).
    pub exports_bucket: Option<String>,
    /// `RIDES_IMPORTS_BUCKET` (admin command; the import function reads the bucket of its event).
    pub imports_bucket: Option<String>,
    /// `EXPORT_URL_TTL_SECONDS`: lifetime of export download links, default 1 h.
    pub export_url_ttl: Duration,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            table: required("RIDES_TABLE")?,
            identity_table: required("IDENTITY_TABLE")?,
            exports_bucket: optional("RIDES_EXPORTS_BUCKET"),
            imports_bucket: optional("RIDES_IMPORTS_BUCKET"),
            export_url_ttl: Duration::from_secs(parsed_or("EXPORT_URL_TTL_SECONDS", 3600)?),
        })
    }

    pub fn exports_bucket(&self) -> Result<&str, ApiError> {
        needed(self.exports_bucket.as_deref(), "RIDES_EXPORTS_BUCKET")
    }

    pub fn imports_bucket(&self) -> Result<&str, ApiError> {
        needed(self.imports_bucket.as_deref(), "RIDES_IMPORTS_BUCKET")
    }
}

/// What every rides function shares, built once per cold start (building the clients makes
/// no network call).
pub struct State {
    pub config: Config,
    pub store: Store,
    /// Identity's accounts (the caller's account, usernames).
    pub directory: Directory,
    pub s3: aws_sdk_s3::Client,
}

impl State {
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let sdk = aws::sdk_config().await;
        let dynamodb = aws::dynamodb(&sdk);
        Ok(Self {
            store: Store::new(Table::new(dynamodb.clone(), config.table.clone())),
            directory: Directory::new(dynamodb, config.identity_table.clone()),
            s3: aws::s3(&sdk),
            config,
        })
    }
}
