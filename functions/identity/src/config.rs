//! Identity settings, read from the environment once per cold start, and the state every
//! identity function shares.

use std::time::Duration;

use andes_shared::aws;
use andes_shared::config::{needed, optional, parsed_or, required, ConfigError};
use andes_shared::dynamo::Table;
use andes_shared::http::ApiError;
use andes_shared::limits::Limit;

use crate::authorizer::Authorizer;
use crate::directory::Directory;
use crate::notifications::S3Outbox;
use crate::store::Store;

pub const MIN_JWT_SECRET_CHARS: usize = 32;

/// The HMAC key of access and verification tokens. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct JwtSecret(Vec<u8>);

impl JwtSecret {
    /// A secret shorter than 32 characters is refused: short HMAC keys can be brute-forced.
    pub fn new(value: &str) -> Result<Self, ConfigError> {
        if value.chars().count() < MIN_JWT_SECRET_CHARS {
            return Err(ConfigError::Invalid {
                name: "JWT_SECRET",
                reason: format!("must be at least {MIN_JWT_SECRET_CHARS} characters"),
            });
        }
        Ok(Self(value.as_bytes().to_vec()))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtSecret(<redacted>)")
    }
}

/// Identity's settings. The table name reaches every function (template.yaml `Globals`); the
/// other variables are set only on the functions that use them, so they are `Option`s here, and
/// a function that needs one and lacks it fails with an internal error naming the variable (the
/// authorizer, at start).
#[derive(Debug, Clone)]
pub struct Config {
    /// `IDENTITY_TABLE`.
    pub table: String,
    /// `JWT_SECRET` (signup, login, verify, authorizer); refused at start when too short.
    pub jwt_secret: Option<JwtSecret>,
    /// `NOTIFICATIONS_QUEUE_URL` (signup).
    pub notifications_queue_url: Option<String>,
    /// `OUTBOX_BUCKET` (notifier).
    pub outbox_bucket: Option<String>,
    /// `ACCESS_TOKEN_TTL_SECONDS` (login), default 3600.
    pub access_token_ttl_seconds: i64,
    /// `PERMISSIONS_CACHE_SECONDS` (authorizer), default 30: how long permissions and
    /// accounts' session versions are trusted.
    pub permissions_cache: Duration,
    /// `SIGNUPS_PER_IP_PER_HOUR` (signup), default 10.
    pub signups_per_ip_per_hour: u64,
    /// `RESENDS_PER_IP_PER_HOUR` (verify/resend), default 10.
    pub resends_per_ip_per_hour: u64,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let access_token_ttl_seconds: i64 = parsed_or("ACCESS_TOKEN_TTL_SECONDS", 3600)?;
        if access_token_ttl_seconds <= 0 {
            return Err(ConfigError::Invalid {
                name: "ACCESS_TOKEN_TTL_SECONDS",
                reason: "must be positive".into(),
            });
        }
        Ok(Self {
            table: required("IDENTITY_TABLE")?,
            jwt_secret: optional("JWT_SECRET")
                .map(|secret| JwtSecret::new(&secret))
                .transpose()?,
            notifications_queue_url: optional("NOTIFICATIONS_QUEUE_URL"),
            outbox_bucket: optional("OUTBOX_BUCKET"),
            access_token_ttl_seconds,
            permissions_cache: Duration::from_secs(parsed_or("PERMISSIONS_CACHE_SECONDS", 30)?),
            signups_per_ip_per_hour: parsed_or("SIGNUPS_PER_IP_PER_HOUR", 10)?,
            resends_per_ip_per_hour: parsed_or("RESENDS_PER_IP_PER_HOUR", 10)?,
        })
    }

    pub fn signups_per_ip(&self) -> Limit {
        Limit {
            name: "signup-ip",
            max: self.signups_per_ip_per_hour,
            window_seconds: 3600,
            message: "Too many signups from this address; try again later",
        }
    }

    pub fn resends_per_ip(&self) -> Limit {
        Limit {
            name: "resend-ip",
            max: self.resends_per_ip_per_hour,
            window_seconds: 3600,
            message: "Too many confirmation requests from this address; try again later",
        }
    }

    pub fn jwt_secret(&self) -> Result<&JwtSecret, ApiError> {
        needed(self.jwt_secret.as_ref(), "JWT_SECRET")
    }

    pub fn notifications_queue_url(&self) -> Result<&str, ApiError> {
        needed(self.notifications_queue_url.as_deref(), "NOTIFICATIONS_QUEUE_URL")
    }

    pub fn outbox_bucket(&self) -> Result<&str, ApiError> {
        needed(self.outbox_bucket.as_deref(), "OUTBOX_BUCKET")
    }
}

/// What every identity function shares, built once per cold start (building the clients
/// makes no network call).
pub struct State {
    pub config: Config,
    pub store: Store,
    pub sqs: aws_sdk_sqs::Client,
    pub s3: aws_sdk_s3::Client,
}

impl State {
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let sdk = aws::sdk_config().await;
        Ok(Self {
            store: Store::new(Table::new(aws::dynamodb(&sdk), config.table.clone())),
            sqs: aws::sqs(&sdk),
            s3: aws::s3(&sdk),
            config,
        })
    }

    /// Identity's accounts and keys as other services see them (admin commands use it too).
    pub fn directory(&self) -> Directory {
        Directory::from_store(self.store.clone())
    }

    /// The authorizer of every HTTP API; fails at start without a valid `JWT_SECRET`.
    pub fn authorizer(&self) -> Result<Authorizer<Store>, ConfigError> {
        let store = self.store.clone();
        let secret = self
            .config
            .jwt_secret
            .clone()
            .ok_or(ConfigError::Missing("JWT_SECRET"))?;
        Ok(Authorizer::new(store, secret, self.config.permissions_cache))
    }

    pub fn outbox(&self) -> Result<S3Outbox, ApiError> {
        Ok(S3Outbox {
            client: self.s3.clone(),
            bucket: self.config.outbox_bucket()?.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_secrets_are_refused_and_never_printed() {
        assert!(JwtSecret::new("too-short").is_err());
        let secret = JwtSecret::new("0123456789abcdef0123456789abcdef").unwrap();
        assert!(!format!("{secret:?}").contains("0123"));
    }
}
