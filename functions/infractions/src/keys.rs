//! Officer API keys, issued and revoked by identity (its `Directory`).

use andes_shared::http::ApiError;
use identity::directory::{Directory, IssuedKey};

use crate::domain::ROLE_OFFICER;

/// A new `officer` key whose principal is the officer id; its `key` is shown once.
pub async fn issue_officer_key(directory: &Directory, officer_id: &str) -> Result<IssuedKey, ApiError> {
    directory.issue_api_key(officer_id, ROLE_OFFICER).await
}

/// Revokes a key; a key that is already gone is fine.
pub async fn revoke(directory: &Directory, prefix: Option<&str>) -> Result<(), ApiError> {
    if let Some(prefix) = prefix {
        directory.revoke_api_key(prefix).await?;
    }
    Ok(())
}
