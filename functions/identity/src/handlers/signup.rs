//! `POST /identity/signup`: create an unverified account and queue its confirmation email.

use andes_shared::http::{created, json_body, ApiError};
use andes_shared::ids;
use andes_shared::limits;
use lambda_http::{Body, Request, Response};

use super::{blocking, send_confirmation, MAX_BODY_BYTES};
use crate::account::{Account, ROLE_USER};
use crate::config::State;
use crate::password::hash_password;
use crate::validation::{validate_signup, SignupInput, ValidSignup};

#[utoipa::path(
    post,
    path = "/identity/signup",
    request_body = crate::openapi::SignupBody,
    responses(
        (status = 201, description = "The new, unverified account; a confirmation email is queued", body = crate::account::AccountView),
        (status = 409, description = "The email or username is taken"),
        (status = 429, description = "Too many signups from this address this hour"),
        (status = 503, description = "The confirmation email could not be queued; sign up again"),
    )
)]
pub async fn signup(state: &State, request: Request) -> Result<Response<Body>, ApiError> {
    let store = &state.store;
    let input: SignupInput = json_body(&request, MAX_BODY_BYTES)?;
    let valid = validate_signup(input).map_err(ApiError::Validation)?;
    // Counted before Argon2, so a refused flood costs one write each.
    let per_ip = state.config.signups_per_ip();
    store.count(&per_ip, &limits::client_address(&request)).await?;
    let password = valid.password.clone();
    let password_hash = blocking(move || hash_password(&password))
        .await?
        .map_err(ApiError::internal)?;
    let account = new_account(valid, password_hash, &ids::now_rfc3339());
    store
        .create_account(&account, Some(chrono::Utc::now().timestamp()))
        .await?;

    // An account without its confirmation email could never be verified, and a retried
    // signup would be a 409: if the email cannot be queued, the account goes too and the
    // client is told to retry.
    if let Err(error) = send_confirmation(state, &account).await {
        tracing::error!(account_id = %account.id, error = %error, "confirmation not queued; removing the new account");
        if let Err(cleanup) = store.delete_new_account(&account).await {
            tracing::error!(account_id = %account.id, error = %cleanup, "new account could not be removed");
        }
        return Err(ApiError::Unavailable(
            "the confirmation email could not be sent; please sign up again".into(),
        ));
    }
    created(&account.view())
}

/// A new, unverified account: role `user`, plus the chosen user type's role.
pub fn new_account(valid: ValidSignup, password_hash: String, now: &str) -> Account {
    let mut roles = vec![ROLE_USER.to_string()];
    roles.extend(valid.user_type);
    Account {
        id: ids::new_id(),
        email: valid.email,
        username: valid.username,
        name: valid.name,
        phone: valid.phone,
        roles,
        verified: false,
        password_hash,
        created: now.to_string(),
        updated: now.to_string(),
        version: 1,
        session_version: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_accounts_are_unverified_users_with_their_user_type() {
        let valid = ValidSignup {
            email: "ana@example.com".into(),
            username: "ana_99".into(),
            password: "s3cret-pass".into(),
            name: "Ana".into(),
            phone: None,
            user_type: Some("restaurant".into()),
        };
        let account = new_account(valid, "$argon2id$...".into(), "2026-01-01T00:00:00.000Z");
        assert_eq!(account.roles, vec!["user", "restaurant"]);
        assert!(!account.verified);
        assert_eq!(account.version, 1);
        let view = serde_json::to_value(account.view()).unwrap();
        assert!(view.get("password_hash").is_none());
        assert!(view["phone"].is_null());
    }
}
