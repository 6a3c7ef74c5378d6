//! `POST /identity/login`: email + password → access token.

use andes_shared::http::{json_body, ok, ApiError};
use andes_shared::ids;
use chrono::Utc;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use super::{attempts, blocking, MAX_BODY_BYTES};
use crate::account::AccountView;
use crate::config::State;
use crate::password::{verify_dummy, verify_password};
use crate::tokens::issue_access_token;
use crate::validation::MAX_EMAIL_CHARS;

pub const INVALID_CREDENTIALS: &str = "Invalid credentials";
pub const NOT_ACTIVE: &str = "Account is not active yet";

#[derive(Deserialize)]
struct LoginInput {
    email: String,
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct LoginOutput {
    account: AccountView,
    access_token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    expires_at: String,
}

#[utoipa::path(
    post,
    path = "/identity/login",
    request_body = crate::openapi::LoginBody,
    responses(
        (status = 200, description = "An access token for the account", body = LoginOutput),
        (status = 401, description = "Invalid credentials"),
        (status = 403, description = "The account is not verified yet"),
        (status = 429, description = "The email is locked after failed attempts (see `Retry-After`)"),
    )
)]
pub async fn login(state: &State, request: Request) -> Result<Response<Body>, ApiError> {
    let (store, secret) = (&state.store, state.config.jwt_secret()?);
    let LoginInput { email, password } = json_body(&request, MAX_BODY_BYTES)?;
    let email = email.trim().to_lowercase();
    if email.is_empty() || email.chars().count() > MAX_EMAIL_CHARS {
        blocking(move || verify_dummy(&password)).await?;
        return Err(ApiError::Unauthorized(INVALID_CREDENTIALS.into()));
    }
    let mut found = None;
    let matched = attempts::checked(store, &email, async {
        let Some(account) = store.account_by_email(&email).await? else {
            // Same Argon2 cost as a real check: timing does not tell which emails exist.
            blocking(move || verify_dummy(&password)).await?;
            return Ok(false);
        };
        let hash = account.password_hash.clone();
        let matched = blocking(move || verify_password(&password, &hash)).await?;
        found = Some(account);
        Ok(matched)
    })
    .await?;
    let account = match found {
        Some(account) if matched => account,
        _ => return Err(ApiError::Unauthorized(INVALID_CREDENTIALS.into())),
    };
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
