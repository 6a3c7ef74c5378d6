//! Identity settings, read from the environment once per cold start.

use andes_shared::config::{parsed_or, required, ConfigError};

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

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::new(&required("JWT_SECRET")?)
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

pub fn table_name() -> Result<String, ConfigError> {
    required("IDENTITY_TABLE")
}

pub fn notifications_queue_url() -> Result<String, ConfigError> {
    required("NOTIFICATIONS_QUEUE_URL")
}

pub fn outbox_bucket() -> Result<String, ConfigError> {
    required("OUTBOX_BUCKET")
}

pub fn access_token_ttl_seconds() -> Result<i64, ConfigError> {
    let ttl: i64 = parsed_or("ACCESS_TOKEN_TTL_SECONDS", 3600)?;
    if ttl <= 0 {
        return Err(ConfigError::Invalid {
            name: "ACCESS_TOKEN_TTL_SECONDS",
            reason: "must be positive".into(),
        });
    }
    Ok(ttl)
}

pub fn permissions_cache_seconds() -> Result<u64, ConfigError> {
    parsed_or("PERMISSIONS_CACHE_SECONDS", 30)
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
