//! `POST /identity/verify`: the token from the confirmation email marks the account verified;
//! `POST /identity/verify/resend`: a fresh confirmation email.

use andes_shared::http::{json, json_body, ok, ApiError};
use andes_shared::ids;
use andes_shared::limits;
use chrono::Utc;
use lambda_http::{http::StatusCode, Body, Request, Response};
use serde::Deserialize;

use super::{send_confirmation, MAX_BODY_BYTES};
use crate::config::State;
use crate::tokens::{verify_verification_token, TokenError};
use crate::validation::normalize_email;

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Verified {
    account: crate::account::AccountView,
}

pub const LINK_EXPIRED: &str = "Verification link has expired.";
pub const INVALID_TOKEN: &str = "Invalid token";

#[derive(Deserialize)]
struct VerifyInput {
    token: String,
}

#[utoipa::path(
    post,
    path = "/identity/verify",
    request_body = crate::openapi::VerifyBody,
    responses(
        (status = 200, description = "The account, now verified", body = Verified),
        (status = 400, description = "The token is invalid or expired"),
    )
)]
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
    ok(&Verified {
        account: account.view(),
    })
}

#[derive(Deserialize)]
struct ResendInput {
    email: String,
}

/// Always 202 for a well-formed request: whether the email is registered, already verified or
/// was sent a confirmation less than a minute ago never shows in the answer. Every request does
/// the same table work (the address's last-sent record and the account lookup, in parallel); a
/// confirmation that cannot be queued is logged and its record released, so a retry sends it.
#[utoipa::path(
    post,
    path = "/identity/verify/resend",
    request_body = crate::openapi::ResendBody,
    responses(
        (status = 202, description = "Accepted, whether or not the address has an unverified account", body = crate::openapi::Accepted),
        (status = 429, description = "Too many resends from this address this hour"),
    )
)]
pub async fn resend(state: &State, request: Request) -> Result<Response<Body>, ApiError> {
    let ResendInput { email } = json_body(&request, MAX_BODY_BYTES)?;
    let email = normalize_email(&email).map_err(|message| ApiError::invalid("email", message))?;
    let store = &state.store;
    store
        .count(&state.config.resends_per_ip(), &limits::client_address(&request))
        .await?;
    let now = chrono::Utc::now().timestamp();
    let (claimed, account) = tokio::join!(store.claim_confirmation(&email, now), store.account_by_email(&email));
    let (claimed, account) = (claimed?, account?);
    if let Some(account) = account.filter(|account| claimed && !account.verified) {
        if let Err(error) = send_confirmation(state, &account).await {
            tracing::error!(account_id = %account.id, error = %error, "confirmation not queued");
            store.release_confirmation(&email, now).await?;
        }
    }
    json(StatusCode::ACCEPTED, &serde_json::json!({}))
}
