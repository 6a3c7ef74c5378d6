//! `POST /identity/verify`: the token from the confirmation email marks the account verified;
//! `POST /identity/verify/resend`: a fresh confirmation email.

use andes_shared::http::{json, json_body, ok, ApiError};
use andes_shared::ids;
use andes_shared::limits::Limit;
use chrono::Utc;
use lambda_http::{http::StatusCode, Body, Request, Response};
use serde::Deserialize;

use super::{send_confirmation, MAX_BODY_BYTES};
use crate::config::State;
use crate::tokens::{verify_verification_token, TokenError};
use crate::validation::normalize_email;

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

#[derive(Deserialize)]
struct ResendInput {
    email: String,
}

/// One confirmation email per address and minute, whoever asks.
const RESENDS: Limit = Limit {
    name: "verify-resend",
    max: 1,
    window_seconds: 60,
    message: "a confirmation email was sent to this address less than a minute ago",
};

/// Always 202 for a well-formed request: whether the email is registered, already verified or
/// was just sent a confirmation never shows in the answer. Every request does the same table
/// work (the per-address counter and the account lookup) so timing tells little either.
pub async fn resend(state: &State, request: Request) -> Result<Response<Body>, ApiError> {
    let ResendInput { email } = json_body(&request, MAX_BODY_BYTES)?;
    let email = normalize_email(&email).map_err(|message| ApiError::invalid("email", message))?;
    let (counted, account) = tokio::join!(
        state.store.count(&RESENDS, &email),
        state.store.account_by_email(&email)
    );
    let due = match counted {
        Ok(()) => true,
        Err(ApiError::TooManyRequests { .. }) => false,
        Err(other) => return Err(other),
    };
    if let Some(account) = account?.filter(|account| due && !account.verified) {
        send_confirmation(state, &account).await.map_err(|error| {
            tracing::error!(account_id = %account.id, error = %error, "confirmation not queued");
            ApiError::Unavailable("the confirmation email could not be sent; please try again".into())
        })?;
    }
    json(StatusCode::ACCEPTED, &serde_json::json!({}))
}
