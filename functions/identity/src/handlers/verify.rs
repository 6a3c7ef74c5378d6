//! `POST /identity/verify`: the token from the confirmation email marks the account verified.

use andes_shared::http::{ok, parse_json_bounded, ApiError};
use andes_shared::ids;
use chrono::Utc;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::MAX_BODY_BYTES;
use crate::config::JwtSecret;
use crate::store::Store;
use crate::tokens::{verify_verification_token, TokenError};

pub const LINK_EXPIRED: &str = "Verification link has expired.";
pub const INVALID_TOKEN: &str = "Invalid token";

pub struct VerifyState {
    pub store: Store,
    pub secret: JwtSecret,
}

#[derive(Deserialize)]
struct VerifyInput {
    token: String,
}

pub async fn verify(state: &VerifyState, request: Request) -> Result<Response<Body>, ApiError> {
    let VerifyInput { token } = parse_json_bounded(&request, MAX_BODY_BYTES)?;
    let account_id =
        verify_verification_token(state.secret.bytes(), token.trim(), Utc::now()).map_err(|error| match error {
            TokenError::Expired => ApiError::BadRequest(LINK_EXPIRED.into()),
            TokenError::Invalid => ApiError::BadRequest(INVALID_TOKEN.into()),
        })?;
    // A validly signed token for an account that no longer exists is just as invalid.
    let account = state
        .store
        .mark_verified(&account_id, &ids::now_rfc3339())
        .await?
        .ok_or_else(|| ApiError::BadRequest(INVALID_TOKEN.into()))?;
    ok(&serde_json::json!({ "account": account.view() }))
}
