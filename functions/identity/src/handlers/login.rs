//! `POST /identity/login`: email + password → access token.

use andes_shared::dynamo::retry::{read_modify_write, Attempt};
use andes_shared::http::{json_body, ok, ApiError};
use andes_shared::ids;
use chrono::Utc;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use super::{blocking, MAX_BODY_BYTES};
use crate::account::AccountView;
use crate::config::State;
use crate::lockout::{self, Admission};
use crate::password::{verify_dummy, verify_password};
use crate::store::Store;
use crate::tokens::issue_access_token;
use crate::validation::MAX_EMAIL_CHARS;

pub const INVALID_CREDENTIALS: &str = "Invalid credentials";
pub const NOT_ACTIVE: &str = "Account is not active yet";

#[derive(Deserialize)]
struct LoginInput {
    email: String,
    password: String,
}

#[derive(Serialize)]
struct LoginOutput {
    account: AccountView,
    access_token: String,
    token_type: &'static str,
    expires_at: String,
}

pub async fn login(state: &State, request: Request) -> Result<Response<Body>, ApiError> {
    let (store, secret) = (&state.store, state.config.jwt_secret()?);
    let LoginInput { email, password } = json_body(&request, MAX_BODY_BYTES)?;
    let email = email.trim().to_lowercase();
    if email.is_empty() || email.chars().count() > MAX_EMAIL_CHARS {
        blocking(move || verify_dummy(&password)).await?;
        return Err(ApiError::Unauthorized(INVALID_CREDENTIALS.into()));
    }
    let (admitted, account) = tokio::join!(admit(store, &email), store.account_by_email(&email));
    admitted?;
    let Some(account) = account? else {
        // Same Argon2 cost as a real check: timing does not tell which emails exist.
        blocking(move || verify_dummy(&password)).await?;
        return Err(ApiError::Unauthorized(INVALID_CREDENTIALS.into()));
    };
    let hash = account.password_hash.clone();
    if !blocking(move || verify_password(&password, &hash)).await? {
        return Err(ApiError::Unauthorized(INVALID_CREDENTIALS.into()));
    }
    store.clear_login_attempts(&email).await?;
    if !account.verified {
        return Err(ApiError::Forbidden(NOT_ACTIVE.into()));
    }
    let issued = issue_access_token(
        secret.bytes(),
        &account.id,
        &account.roles,
        account.session_version,
        Utc::now(),
        state.config.access_token_ttl_seconds,
    );
    ok(&LoginOutput {
        account: account.view(),
        access_token: issued.token,
        token_type: "Bearer",
        expires_at: ids::rfc3339(issued.expires_at),
    })
}

/// Counts this attempt against the email's lockout before its password is checked (see
/// [`crate::lockout`]); a 429 while the email is locked.
async fn admit(store: &Store, email: &str) -> Result<(), ApiError> {
    read_modify_write(|| async {
        let now = Utc::now().timestamp();
        let read = store.login_attempts(email).await?;
        match lockout::admit(read.as_ref(), now) {
            Admission::Refused { retry_after_seconds } => Err(ApiError::TooManyRequests {
                detail: lockout::refused_message(retry_after_seconds),
                retry_after_seconds,
            }),
            Admission::Admitted(next) => Ok(if store.claim_login_attempt(email, read.as_ref(), &next).await? {
                Attempt::Done(())
            } else {
                Attempt::Stale
            }),
        }
    })
    .await
}
