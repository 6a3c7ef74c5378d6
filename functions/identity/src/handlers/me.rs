//! `GET /identity/me` and `PATCH /identity/me`: the caller's own account.

use andes_shared::auth::Principal;
use andes_shared::http::{ok, parse_json_bounded, ApiError, FieldError};
use andes_shared::ids;
use andes_shared::validation::FieldErrors;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};

use super::{blocking, MAX_BODY_BYTES};
use crate::account::Account;
use crate::password::{hash_password, verify_password};
use crate::store::Store;
use crate::validation::{check_password, normalize_name, normalize_phone};

async fn caller_account(store: &Store, request: &Request) -> Result<Account, ApiError> {
    let principal = Principal::require_account(request)?;
    store
        .get_account(&principal.id)
        .await?
        .ok_or_else(|| ApiError::NotFound("account not found".into()))
}

pub async fn get_me(store: &Store, request: Request) -> Result<Response<Body>, ApiError> {
    let account = caller_account(store, &request).await?;
    ok(&account.view())
}

pub async fn update_me(store: &Store, request: Request) -> Result<Response<Body>, ApiError> {
    let body: Map<String, Value> = parse_json_bounded(&request, MAX_BODY_BYTES)?;
    let patch = parse_patch(&body).map_err(ApiError::Validation)?;
    let mut account = caller_account(store, &request).await?;
    if let Some(change) = &patch.password {
        let (current, hash) = (change.current.clone(), account.password_hash.clone());
        if !blocking(move || verify_password(&current, &hash)).await? {
            return Err(ApiError::invalid("current_password", "is incorrect"));
        }
        let new = change.new.clone();
        account.password_hash = blocking(move || hash_password(&new))
            .await?
            .map_err(ApiError::internal)?;
    }
    if let Some(name) = patch.name {
        account.name = name;
    }
    if let Some(phone) = patch.phone {
        account.phone = phone;
    }
    store.update_account(&mut account, &ids::now_rfc3339()).await?;
    ok(&account.view())
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
