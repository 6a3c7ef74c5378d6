//! Officer API keys, through identity's own key generation and store.

use andes_shared::http::ApiError;
use andes_shared::ids;
use identity::api_keys::{self, ApiKeyRecord};
use identity::store::Store as IdentityStore;

use crate::domain::ROLE_OFFICER;

/// A key just stored for an officer: `key` is shown once.
pub struct IssuedKey {
    pub key: String,
    pub prefix: String,
}

/// Generates and stores a new `officer` key whose principal is the officer id.
pub async fn issue_officer_key(identity: &IdentityStore, officer_id: &str) -> Result<IssuedKey, ApiError> {
    // Prefixes are random (36^8); a collision just means drawing again.
    for _ in 0..3 {
        let new = api_keys::generate();
        let record = ApiKeyRecord {
            prefix: new.prefix.clone(),
            key_hash: new.hash,
            principal_id: officer_id.to_string(),
            role: ROLE_OFFICER.to_string(),
            created: ids::now_rfc3339(),
            revoked: false,
        };
        if identity.put_api_key(&record).await? {
            return Ok(IssuedKey {
                key: new.key,
                prefix: new.prefix,
            });
        }
    }
    Err(ApiError::Unavailable(
        "could not find a free key prefix; try again".into(),
    ))
}

/// Revokes a key; a key that is already gone is fine.
pub async fn revoke(identity: &IdentityStore, prefix: Option<&str>) -> Result<(), ApiError> {
    if let Some(prefix) = prefix {
        identity.revoke_api_key(prefix).await?;
    }
    Ok(())
}
