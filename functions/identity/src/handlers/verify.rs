//! `POST /identity/verify`: the token from the confirmation email marks the account verified.

use andes_shared::http::{json_body, ok, ApiError};
use andes_shared::ids;
use chrono::Utc;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::MAX_BODY_BYTES;
use crate::config::State;
use crate::tokens::{verify_verification_token, TokenError};

pub const LINK_EXPIRED: &str = "Verification link has expired.";
pub const INVALID_TOKEN: &str = "Invalid token";

#[derive(Deserialize)]
struct VerifyInput {
    token: String,
}

pub async fn verify(state: &State, request: Request) -> Result<Response<Body>, ApiError> {
    let (store, secret) = (&state.store, state.config.jwt_secret()?);
    let VerifyInput { token } = json_body(&request, MAX_BODY_BYTES)?;
    let account_id =
        verify_verification_token(secret.bytes(), token.trim(), Utc::now()).map_err(|error| match error {
            TokenError::Expired => ApiError::BadRequest(LINK_EXPIRED.into()),
            TokenError::Invalid => ApiError::BadRequest(INVALID_TOKEN.into()),
        })?;
    // A validly signed token for an account that no longer exists is just as invalid.
    let account = store
        .mark_verified(&account_id, &ids::now_rfc3339())
        .await?
        .ok_or_else(|| ApiError::BadRequest(INVALID_TOKEN.into()))?;
    ok(&serde_json::json!({ "account": account.view() }))
}
