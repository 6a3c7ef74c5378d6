//! Who calls (a rides user) and their profile.

use std::ops::RangeInclusive;

use andes_shared::http::FieldError;
use andes_shared::validation::FieldErrors;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ratings::reputation;
use super::values::{bounded_text, picture, version};

/// Characters of a profile's `biography` once trimmed.
pub const BIOGRAPHY_CHARS: RangeInclusive<usize> = 0..=500;

/// The caller's rides identity: the account id the authorizer passes, and its username.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub account_id: String,
    pub username: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    pub username: String,
    pub account_id: String,
    #[serde(default)]
    pub picture: Option<String>,
    #[serde(default)]
    pub biography: String,
    #[serde(default)]
    pub rides_taken: i64,
    #[serde(default)]
    pub rides_offered: i64,
    /// Sum and count of the ratings received as a driver; reputation = their average.
    #[serde(default)]
    pub rating_sum: i64,
    #[serde(default)]
    pub rating_count: i64,
    pub created: String,
    #[serde(default)]
    pub version: u64,
}

impl Profile {
    pub fn new(caller: &Caller, now: &str) -> Self {
        Self {
            username: caller.username.clone(),
            account_id: caller.account_id.clone(),
            picture: None,
            biography: String::new(),
            rides_taken: 0,
            rides_offered: 0,
            rating_sum: 0,
            rating_count: 0,
            created: now.to_string(),
            version: 1,
        }
    }

    /// The profile as any user sees it.
    pub fn view(&self) -> ProfileView {
        ProfileView {
            username: self.username.clone(),
            picture: self.picture.clone(),
            biography: self.biography.clone(),
            rides_taken: self.rides_taken,
            rides_offered: self.rides_offered,
            reputation: reputation(self.rating_sum, self.rating_count),
        }
    }

    /// The profile as its owner sees it (the only one who edits it): with its `version`.
    pub fn owner_view(&self) -> OwnerProfileView {
        OwnerProfileView {
            profile: self.view(),
            version: self.version,
        }
    }

    pub fn apply(&mut self, patch: &ProfilePatch) {
        if let Some(picture) = &patch.picture {
            self.picture = picture.clone();
        }
        if let Some(biography) = &patch.biography {
            self.biography = biography.clone();
        }
    }
}

/// A profile as any user sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProfileView {
    pub username: String,
    /// An http(s) URL.
    #[schema(required = true)]
    pub picture: Option<String>,
    pub biography: String,
    pub rides_taken: i64,
    pub rides_offered: i64,
    /// The average rating received as a driver (one decimal); 5.0 before the first.
    pub reputation: f64,
}

/// A profile as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OwnerProfileView {
    #[serde(flatten)]
    pub profile: ProfileView,
    /// Send it back with a `PATCH` to have a stale edit refused (409).
    pub version: u64,
}

/// `PATCH /users/{username}/profile`; `version`, when sent, is the one the client read.
#[derive(Debug, Default)]
pub struct ProfilePatch {
    pub picture: Option<Option<String>>,
    pub biography: Option<String>,
    pub version: Option<u64>,
}

pub fn validate_profile_patch(body: &Map<String, Value>) -> Result<ProfilePatch, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    errors.unknown(body, &["picture", "biography", "version"]);
    let mut patch = ProfilePatch::default();
    if let Some(value) = body.get("picture") {
        patch.picture = errors.check("picture", picture(value));
    }
    if let Some(text) = errors.text(body, "biography") {
        patch.biography = errors.check(
            "biography",
            bounded_text(text, *BIOGRAPHY_CHARS.start(), *BIOGRAPHY_CHARS.end()),
        );
    }
    if let Some(value) = body.get("version") {
        patch.version = errors.check("version", version(value));
    }
    errors.finish(|| patch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::*;
    use serde_json::json;

    #[test]
    fn profile_patches_refuse_control_characters() {
        let patch = validate_profile_patch(&obj(json!({"biography": "Hola\nmundo", "version": 3}))).unwrap();
        assert_eq!(
            (patch.biography.as_deref(), patch.version),
            (Some("Hola\nmundo"), Some(3))
        );
        let errors = validate_profile_patch(&obj(json!({"biography": "a\u{202E}b", "version": -1}))).unwrap_err();
        assert_eq!(fields(errors), ["biography", "version"]);
    }
}
