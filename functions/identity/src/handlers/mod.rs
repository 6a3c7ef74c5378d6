//! HTTP handlers of the identity API. Each binary in `src/bin` runs one of them.

mod attempts;
pub mod login;
pub mod me;
pub mod signup;
pub mod verify;

use andes_shared::http::ApiError;
use andes_shared::notify::{self, Notification, Recipient};
use chrono::Utc;

use crate::account::Account;
use crate::config::State;
use crate::notifications::ACCOUNT_CONFIRMATION;
use crate::tokens::issue_verification_token;

/// Request bodies of these endpoints are small; anything bigger is refused before parsing
/// (and before any password reaches Argon2).
pub const MAX_BODY_BYTES: usize = 4 * 1024;

/// Runs CPU-heavy work (Argon2) off the async executor.
async fn blocking<T, F>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work).await.map_err(ApiError::internal)
}

/// Queues the confirmation email of `account`, with a fresh verification token.
async fn send_confirmation(state: &State, account: &Account) -> Result<(), ApiError> {
    let (secret, queue_url) = (state.config.jwt_secret()?, state.config.notifications_queue_url()?);
    let token = issue_verification_token(secret.bytes(), &account.id, Utc::now());
    let to = Recipient {
        email: account.email.clone(),
        name: Some(account.name.clone()),
    };
    let data = serde_json::json!({ "username": account.username, "token": token });
    let notification = Notification::new(ACCOUNT_CONFIRMATION, to, data);
    notify::enqueue(&state.sqs, queue_url, &notification)
        .await
        .map_err(ApiError::internal)
}
