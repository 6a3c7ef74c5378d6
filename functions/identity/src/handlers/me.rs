//! `GET /identity/me` and `PATCH /identity/me`: the caller's own account.

use andes_shared::auth::Principal;
use andes_shared::dynamo::retry::{read_modify_write, Attempt};
use andes_shared::http::{json_body, ok, ApiError, FieldError};
use andes_shared::ids;
use andes_shared::validation::FieldErrors;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use super::{attempts, blocking, MAX_BODY_BYTES};
use crate::config::State;
use crate::password::{hash_password, verify_password};
use crate::store::{ProfileChange, Store};
use crate::validation::{check_password, normalize_name, normalize_phone};

fn not_found() -> ApiError {
    ApiError::NotFound("account not found".into())
}

#[utoipa::path(
    get,
    path = "/identity/me",
    responses(
        (status = 200, description = "The caller's account", body = crate::account::AccountView),
        (status = 404, description = "The account no longer exists"),
    )
)]
pub async fn get(state: &State, request: Request) -> Result<Response<Body>, ApiError> {
    let (store, principal) = (&state.store, Principal::require_account(&request)?);
    let account = store.get_account(&principal.id).await?.ok_or_else(not_found)?;
    ok(&account.view())
}

/// Writes only the fields the patch names, so concurrent patches of different fields all land
/// and none of them is a 409 (the route takes no client `version`). A password change is
/// read-modify-write: the current password is checked against the hash read, and the write
/// applies only while that hash is unchanged; after a concurrent password change the attempt
/// is stale and the current password is checked again, against the new hash.
#[utoipa::path(
    patch,
    path = "/identity/me",
    request_body = crate::openapi::MePatchBody,
    responses(
        (status = 200, description = "The account as changed", body = crate::account::AccountView),
        (status = 404, description = "The account no longer exists"),
        (status = 429, description = "The email is locked after failed password checks (see `Retry-After`)"),
    )
)]
pub async fn update(state: &State, request: Request) -> Result<Response<Body>, ApiError> {
    let body: Map<String, Value> = json_body(&request, MAX_BODY_BYTES)?;
    let patch = parse_patch(&body).map_err(ApiError::Validation)?;
    let (store, principal) = (&state.store, Principal::require_account(&request)?);
    let change = ProfileChange {
        name: patch.name,
        phone: patch.phone,
        password_hash: None,
    };
    let Some(password) = patch.password else {
        let account = store
            .change_profile(&principal.id, &change, None, &ids::now_rfc3339())
            .await?;
        return ok(&account.ok_or_else(not_found)?.view());
    };
    let work = Mutex::new(PasswordWork::default());
    let account = read_modify_write(|| async {
        let account = store.get_account(&principal.id).await?.ok_or_else(not_found)?;
        let password_hash = work
            .lock()
            .await
            .new_hash(store, &account.email, &password, &account.password_hash)
            .await?;
        let change = ProfileChange {
            password_hash: Some(password_hash),
            ..change.clone()
        };
        let written = store
            .change_profile(
                &principal.id,
                &change,
                Some(&account.password_hash),
                &ids::now_rfc3339(),
            )
            .await?;
        Ok(match written {
            Some(account) => Attempt::Done(account),
            None => Attempt::Stale,
        })
    })
    .await?;
    ok(&account.view())
}

/// The Argon2 work of a password change, kept across attempts: the current password is checked
/// again only when the stored hash changed in between, and the new password is hashed once.
#[derive(Default)]
struct PasswordWork {
    checked_against: Option<String>,
    new_hash: Option<String>,
}

impl PasswordWork {
    /// The new password's hash, once the current password matches `stored`. The check runs
    /// under the email's login lockout: a stolen session cannot guess the password either.
    async fn new_hash(
        &mut self,
        store: &Store,
        email: &str,
        change: &PasswordChange,
        stored: &str,
    ) -> Result<String, ApiError> {
        if self.checked_against.as_deref() != Some(stored) {
            let (current, hash) = (change.current.clone(), stored.to_string());
            let check = async move { blocking(move || verify_password(&current, &hash)).await };
            if !attempts::checked(store, email, check).await? {
                return Err(ApiError::invalid("current_password", "is incorrect"));
            }
            self.checked_against = Some(stored.to_string());
        }
        if let Some(hash) = &self.new_hash {
            return Ok(hash.clone());
        }
        let new = change.new.clone();
        let hash = blocking(move || hash_password(&new))
            .await?
            .map_err(ApiError::internal)?;
        self.new_hash = Some(hash.clone());
        Ok(hash)
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Patch {
    pub name: Option<String>,
    /// `Some(None)` clears the phone (`"phone": null` or `""`).
    pub phone: Option<Option<String>>,
    pub password: Option<PasswordChange>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct PasswordChange {
    pub new: String,
    pub current: String,
}

const PATCHABLE: [&str; 4] = ["name", "phone", "password", "current_password"];

/// Checks every field of a PATCH body and reports all problems at once. Fields that are not
/// editable here (email, username, roles, ...) are refused by name rather than ignored.
pub fn parse_patch(body: &Map<String, Value>) -> Result<Patch, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    for field in body.keys().filter(|k| !PATCHABLE.contains(&k.as_str())) {
        errors.add(field, "cannot be changed here");
    }
    let text = |errors: &mut FieldErrors, field: &str| -> Option<String> {
        match body.get(field)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                errors.add(field, "must be a string");
                None
            }
        }
    };
    let mut patch = Patch {
        name: text(&mut errors, "name").and_then(|n| errors.check("name", normalize_name(&n))),
        ..Patch::default()
    };
    match body.get("phone") {
        None => {}
        Some(Value::Null) => patch.phone = Some(None),
        Some(Value::String(phone)) => patch.phone = errors.check("phone", normalize_phone(Some(phone))),
        Some(_) => errors.add("phone", "must be a string or null"),
    }
    let new = text(&mut errors, "password").and_then(|p| errors.check("password", check_password(p)));
    let current = text(&mut errors, "current_password");
    if body.contains_key("password") {
        match current {
            Some(current) if !current.is_empty() => patch.password = new.map(|new| PasswordChange { new, current }),
            _ if body.get("current_password").is_some_and(|v| !v.is_string()) => {}
            _ => errors.add("current_password", "is required to change the password"),
        }
    }
    if errors.is_empty() && patch == Patch::default() {
        errors.add("body", "must change at least one of: name, phone, password");
    }
    if errors.is_empty() {
        Ok(patch)
    } else {
        Err(errors.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: Value) -> Result<Patch, Vec<String>> {
        let Value::Object(map) = json else { panic!("object") };
        parse_patch(&map).map_err(|errors| errors.into_iter().map(|e| e.field).collect())
    }

    #[test]
    fn name_and_phone_changes() {
        let patch = parse(serde_json::json!({"name": " Ana B ", "phone": "+573001234567"})).unwrap();
        assert_eq!(patch.name.as_deref(), Some("Ana B"));
        assert_eq!(patch.phone, Some(Some("+573001234567".into())));
        assert_eq!(parse(serde_json::json!({"phone": null})).unwrap().phone, Some(None));
        assert_eq!(parse(serde_json::json!({"phone": ""})).unwrap().phone, Some(None));
    }

    #[test]
    fn password_changes_need_the_current_password() {
        let patch = parse(serde_json::json!({"password": "new-secret", "current_password": "old-secret"})).unwrap();
        assert_eq!(
            patch.password,
            Some(PasswordChange {
                new: "new-secret".into(),
                current: "old-secret".into()
            })
        );
        assert_eq!(
            parse(serde_json::json!({"password": "new-secret"})).unwrap_err(),
            vec!["current_password"]
        );
        assert_eq!(
            parse(serde_json::json!({"password": "new-secret", "current_password": ""})).unwrap_err(),
            vec!["current_password"]
        );
        assert_eq!(
            parse(serde_json::json!({"password": "short", "current_password": "old-secret"})).unwrap_err(),
            vec!["password"]
        );
    }

    #[test]
    fn empty_unknown_and_bad_fields_are_refused() {
        assert_eq!(parse(serde_json::json!({})).unwrap_err(), vec!["body"]);
        assert_eq!(
            parse(serde_json::json!({"current_password": "x"})).unwrap_err(),
            vec!["body"]
        );
        assert_eq!(
            parse(serde_json::json!({"email": "x@y.co", "roles": ["admin"]})).unwrap_err(),
            vec!["email", "roles"]
        );
        assert_eq!(
            parse(serde_json::json!({"name": "", "phone": 5, "password": 7})).unwrap_err(),
            vec!["name", "phone", "password", "current_password"]
        );
    }
}
