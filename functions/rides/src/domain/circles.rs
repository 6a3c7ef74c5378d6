//! Circles: creation, edits, the seed's limited/limit rule, search and ordering.

use std::ops::RangeInclusive;

use andes_shared::http::FieldError;
use andes_shared::validation::FieldErrors;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::listing::matches_search;
use super::values::{boolean, bounded_text, integer, picture, version};

pub const LIMIT_REQUIRED: &str = "If circle is limited, a member limit must be provided";
/// A limited circle never exceeds its limit, so a new limit cannot be below the members it has.
pub const LIMIT_BELOW_MEMBERS: &str = "members_limit must be at least the current members_count";

pub const SLUG_TAKEN: &str = "circle with this slug already exists.";

/// Characters of a circle's `name` and `about` once trimmed, and of its slug.
pub const CIRCLE_NAME_CHARS: RangeInclusive<usize> = 1..=140;
pub const CIRCLE_ABOUT_CHARS: RangeInclusive<usize> = 0..=255;
pub const SLUG_MAX_CHARS: usize = 40;
/// The `members_limit` of a limited circle.
pub const MEMBERS_LIMIT: RangeInclusive<i64> = 10..=32000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Circle {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub about: String,
    #[serde(default)]
    pub picture: Option<String>,
    #[serde(default)]
    pub rides_offered: i64,
    #[serde(default)]
    pub rides_taken: i64,
    #[serde(default)]
    pub verified: bool,
    #[serde(default = "yes")]
    pub is_public: bool,
    #[serde(default)]
    pub is_limited: bool,
    /// 0 when not limited.
    #[serde(default)]
    pub members_limit: i64,
    /// Active members.
    #[serde(default)]
    pub members_count: i64,
    pub created: String,
    pub updated: String,
    #[serde(default)]
    pub version: u64,
}

fn yes() -> bool {
    true
}

impl Circle {
    pub fn view(&self) -> CircleView {
        CircleView {
            slug: self.slug.clone(),
            name: self.name.clone(),
            about: self.about.clone(),
            picture: self.picture.clone(),
            rides_offered: self.rides_offered,
            rides_taken: self.rides_taken,
            verified: self.verified,
            is_public: self.is_public,
            is_limited: self.is_limited,
            members_limit: self.is_limited.then_some(self.members_limit),
            members_count: self.members_count,
            created: self.created.clone(),
            version: self.version,
        }
    }
}

/// A circle as clients see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CircleView {
    pub slug: String,
    pub name: String,
    pub about: String,
    /// An http(s) URL.
    #[schema(required = true)]
    pub picture: Option<String>,
    pub rides_offered: i64,
    pub rides_taken: i64,
    pub verified: bool,
    pub is_public: bool,
    pub is_limited: bool,
    /// `null` unless the circle is limited.
    #[schema(required = true)]
    pub members_limit: Option<i64>,
    /// Active members.
    pub members_count: i64,
    pub created: String,
    /// Send it back with a `PATCH` to have a stale edit refused (409).
    pub version: u64,
}

/// Circle slugs: 1–40 of `[a-z0-9-]` (digits allowed, unlike the seed's URL regex).
pub fn validate_slug(raw: &str) -> Result<String, String> {
    let slug = raw.trim();
    if slug.is_empty() || slug.chars().count() > SLUG_MAX_CHARS {
        return Err(format!("must be 1 to {SLUG_MAX_CHARS} characters"));
    }
    if !slug
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err("may only contain lowercase letters, digits and hyphens".into());
    }
    Ok(slug.to_string())
}

#[derive(Debug, Default, Clone)]
pub struct CirclePatch {
    pub name: Option<String>,
    pub about: Option<String>,
    pub picture: Option<Option<String>>,
    pub is_limited: Option<bool>,
    pub members_limit: Option<Option<i64>>,
    /// The version the client read (PATCH only).
    pub version: Option<u64>,
}

const READ_ONLY_CIRCLE_FIELDS: [&str; 6] = [
    "slug",
    "is_public",
    "verified",
    "rides_offered",
    "rides_taken",
    "members_count",
];

/// `POST /circles` (`creating`: `name` and `slug` required) and `PATCH /circles/{slug}`.
/// Returns the slug (create only) and the editable fields.
pub fn validate_circle(
    body: &Map<String, Value>,
    creating: bool,
) -> Result<(Option<String>, CirclePatch), Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    let allowed: &[&str] = if creating {
        &["name", "slug", "about", "picture", "is_limited", "members_limit"]
    } else {
        &["name", "about", "picture", "is_limited", "members_limit", "version"]
    };
    for field in body.keys() {
        if !allowed.contains(&field.as_str()) {
            if READ_ONLY_CIRCLE_FIELDS.contains(&field.as_str()) {
                errors.add(field, "is read-only");
            } else {
                errors.add(field, "is not a known field");
            }
        }
    }
    let mut patch = CirclePatch::default();
    let name = if creating {
        errors.required_text(body, "name")
    } else {
        errors.text(body, "name")
    };
    if let Some(name) = name {
        patch.name = errors.check(
            "name",
            bounded_text(name, *CIRCLE_NAME_CHARS.start(), *CIRCLE_NAME_CHARS.end()),
        );
    }
    let slug = if creating {
        errors
            .required_text(body, "slug")
            .and_then(|s| errors.check("slug", validate_slug(s)))
    } else {
        None
    };
    if let Some(about) = errors.text(body, "about") {
        patch.about = errors.check(
            "about",
            bounded_text(about, *CIRCLE_ABOUT_CHARS.start(), *CIRCLE_ABOUT_CHARS.end()),
        );
    }
    if let Some(value) = body.get("picture") {
        patch.picture = errors.check("picture", picture(value));
    }
    if let Some(value) = body.get("is_limited") {
        patch.is_limited = errors.check("is_limited", boolean(value));
    }
    match body.get("members_limit") {
        None => {}
        Some(Value::Null) => patch.members_limit = Some(None),
        Some(value) => {
            patch.members_limit = errors
                .check(
                    "members_limit",
                    integer(value, *MEMBERS_LIMIT.start(), *MEMBERS_LIMIT.end()),
                )
                .map(Some)
        }
    }
    if let Some(value) = body.get("version").filter(|_| !creating) {
        patch.version = errors.check("version", version(value));
    }
    errors.finish(|| (slug, patch))
}

/// Applies a patch to a circle, checking the seed's limited/limit rule on the result.
pub fn apply_circle_patch(circle: &mut Circle, patch: CirclePatch) -> Result<(), Vec<FieldError>> {
    if let Some(name) = patch.name {
        circle.name = name;
    }
    if let Some(about) = patch.about {
        circle.about = about;
    }
    if let Some(picture) = patch.picture {
        circle.picture = picture;
    }
    let is_limited = patch.is_limited.unwrap_or(circle.is_limited);
    let limit = match patch.members_limit {
        Some(limit) => limit,
        None if patch.is_limited == Some(false) => None,
        None => (circle.members_limit > 0).then_some(circle.members_limit),
    };
    if is_limited != limit.is_some() {
        return Err(vec![FieldError::new("members_limit", LIMIT_REQUIRED)]);
    }
    // Checked again atomically by the update's condition (joins change the count meanwhile).
    if is_limited && limit.is_some_and(|limit| limit < circle.members_count) {
        return Err(vec![FieldError::new("members_limit", LIMIT_BELOW_MEMBERS)]);
    }
    circle.is_limited = is_limited;
    circle.members_limit = limit.unwrap_or(0);
    Ok(())
}

pub fn new_circle(slug: String, patch: CirclePatch, now: &str) -> Result<Circle, Vec<FieldError>> {
    let mut circle = Circle {
        slug,
        name: String::new(),
        about: String::new(),
        picture: None,
        rides_offered: 0,
        rides_taken: 0,
        verified: false,
        is_public: true,
        is_limited: false,
        members_limit: 0,
        members_count: 0,
        created: now.to_string(),
        updated: now.to_string(),
        version: 1,
    };
    apply_circle_patch(&mut circle, patch)?;
    Ok(circle)
}

/// The circles list query: `search`, `verified`, `is_limited`, `ordering`.
#[derive(Debug, Default, Clone)]
pub struct CircleQuery {
    pub search: Vec<String>,
    pub verified: Option<bool>,
    pub is_limited: Option<bool>,
    pub ordering: Vec<(String, bool)>,
}

impl CircleQuery {
    /// What its cursors are bound to: a cursor of another search, filter or order is refused.
    pub fn scope(&self) -> String {
        format!(
            "circles|{:?}|{:?}|{:?}|{:?}",
            self.search, self.verified, self.is_limited, self.ordering
        )
    }
}

pub const CIRCLE_ORDERING: [&str; 6] = [
    "rides_offered",
    "rides_taken",
    "name",
    "created",
    "members_limit",
    "members_count",
];

fn circle_key(circle: &Circle, field: &str) -> (i64, String) {
    match field {
        "rides_offered" => (circle.rides_offered, String::new()),
        "rides_taken" => (circle.rides_taken, String::new()),
        "members_limit" => (circle.members_limit, String::new()),
        "members_count" => (circle.members_count, String::new()),
        "name" => (0, circle.name.to_lowercase()),
        _ => (0, circle.created.clone()),
    }
}

/// Filters and orders public circles; default order is the seed's
/// (`-members_count, -rides_offered, -rides_taken`), then slug for a stable order.
pub fn select_circles(mut circles: Vec<Circle>, query: &CircleQuery) -> Vec<Circle> {
    circles.retain(|c| {
        c.is_public
            && query.verified.is_none_or(|v| c.verified == v)
            && query.is_limited.is_none_or(|l| c.is_limited == l)
            && matches_search(&query.search, &[&c.name, &c.slug])
    });
    let ordering: Vec<(String, bool)> = if query.ordering.is_empty() {
        vec![
            ("members_count".into(), true),
            ("rides_offered".into(), true),
            ("rides_taken".into(), true),
        ]
    } else {
        query.ordering.clone()
    };
    circles.sort_by(|a, b| {
        for (field, descending) in &ordering {
            let order = circle_key(a, field).cmp(&circle_key(b, field));
            let order = if *descending { order.reverse() } else { order };
            if order.is_ne() {
                return order;
            }
        }
        a.slug.cmp(&b.slug)
    });
    circles
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::listing::{parse_ordering, search_terms};
    use crate::domain::testing::*;
    use serde_json::json;

    #[test]
    fn slugs_allow_digits_and_hyphens_only() {
        assert_eq!(validate_slug("grupo-3340-campo").unwrap(), "grupo-3340-campo");
        assert_eq!(validate_slug("123").unwrap(), "123");
        assert!(validate_slug("Upper").is_err());
        assert!(validate_slug("with space").is_err());
        assert!(validate_slug("").is_err());
        assert!(validate_slug(&"a".repeat(41)).is_err());
    }

    #[test]
    fn circle_texts_refuse_control_characters() {
        let body =
            obj(json!({"name": "Ciclo\u{0}", "slug": "a", "about": "x\u{1b}[31m", "picture": "https://a.test/\u{7}"}));
        assert_eq!(
            fields(validate_circle(&body, true).unwrap_err()),
            ["name", "about", "picture"]
        );
        let (_, patch) = validate_circle(&obj(json!({"about": "línea 1\nlínea 2", "version": 4})), false).unwrap();
        assert_eq!(
            (patch.about.as_deref(), patch.version),
            (Some("línea 1\nlínea 2"), Some(4))
        );
        let errors = validate_circle(&obj(json!({"name": "A", "slug": "a", "version": 1})), true).unwrap_err();
        assert_eq!(fields(errors), ["version"]);
    }

    #[test]
    fn limited_circles_need_a_limit() {
        let (_, patch) = validate_circle(&obj(json!({"name": "A", "slug": "a", "is_limited": true})), true).unwrap();
        let error = new_circle("a".into(), patch, "t").unwrap_err();
        assert_eq!(error[0].message, LIMIT_REQUIRED);
        let (_, patch) = validate_circle(&obj(json!({"name": "A", "slug": "a", "members_limit": 20})), true).unwrap();
        assert_eq!(
            new_circle("a".into(), patch, "t").unwrap_err()[0].message,
            LIMIT_REQUIRED
        );
        let (_, patch) = validate_circle(
            &obj(json!({"name": "A", "slug": "a", "is_limited": true, "members_limit": 20})),
            true,
        )
        .unwrap();
        let circle = new_circle("a".into(), patch, "t").unwrap();
        assert!(circle.is_limited && circle.members_limit == 20 && circle.is_public && !circle.verified);
        let errors = validate_circle(
            &obj(json!({"name": "A", "slug": "a", "is_limited": true, "members_limit": 9})),
            true,
        )
        .unwrap_err();
        assert_eq!(fields(errors), ["members_limit"]);
    }

    #[test]
    fn circle_patch_refuses_read_only_fields_and_unlimits() {
        let errors = validate_circle(
            &obj(json!({"verified": true, "is_public": false, "rides_taken": 3, "slug": "x"})),
            false,
        )
        .unwrap_err();
        assert!(errors.iter().all(|e| e.message == "is read-only"));
        assert_eq!(errors.len(), 4);
        let mut circle = new_circle(
            "a".into(),
            CirclePatch {
                name: Some("A".into()),
                is_limited: Some(true),
                members_limit: Some(Some(10)),
                ..Default::default()
            },
            "t",
        )
        .unwrap();
        apply_circle_patch(
            &mut circle,
            CirclePatch {
                is_limited: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(!circle.is_limited && circle.members_limit == 0);
    }

    #[test]
    fn a_circle_cannot_be_limited_below_its_members() {
        let mut circle = new_circle(
            "a".into(),
            CirclePatch {
                name: Some("A".into()),
                ..Default::default()
            },
            "t",
        )
        .unwrap();
        circle.members_count = 40;
        let limit = |n: i64| CirclePatch {
            is_limited: Some(true),
            members_limit: Some(Some(n)),
            ..Default::default()
        };
        let errors = apply_circle_patch(&mut circle.clone(), limit(10)).unwrap_err();
        assert_eq!(
            (errors[0].field.as_str(), errors[0].message.as_str()),
            ("members_limit", LIMIT_BELOW_MEMBERS)
        );
        let errors = apply_circle_patch(&mut circle.clone(), limit(39)).unwrap_err();
        assert_eq!(errors[0].message, LIMIT_BELOW_MEMBERS);
        let mut exact = circle.clone();
        apply_circle_patch(&mut exact, limit(40)).unwrap();
        assert!(exact.is_limited && exact.members_limit == 40);
        // Already limited: lowering only the limit is checked too; unlimiting is always fine.
        let errors = apply_circle_patch(
            &mut exact.clone(),
            CirclePatch {
                members_limit: Some(Some(20)),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(errors[0].message, LIMIT_BELOW_MEMBERS);
        apply_circle_patch(
            &mut exact,
            CirclePatch {
                is_limited: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(!exact.is_limited);
    }

    #[test]
    fn circles_are_filtered_searched_and_ordered() {
        let make = |slug: &str, name: &str, members: i64, offered: i64, public: bool, verified: bool| {
            let mut c = new_circle(
                slug.into(),
                CirclePatch {
                    name: Some(name.into()),
                    ..Default::default()
                },
                "t",
            )
            .unwrap();
            c.members_count = members;
            c.rides_offered = offered;
            c.is_public = public;
            c.verified = verified;
            c
        };
        let circles = vec![
            make("a", "Platzi Bogotá", 1, 5, true, true),
            make("b", "UNAM Ciencias", 3, 0, true, false),
            make("c", "Hidden", 9, 9, false, true),
            make("d", "Platzi México", 3, 2, true, false),
        ];
        let slugs = |v: Vec<Circle>| v.into_iter().map(|c| c.slug).collect::<Vec<_>>();
        assert_eq!(
            slugs(select_circles(circles.clone(), &CircleQuery::default())),
            ["d", "b", "a"]
        );
        let query = CircleQuery {
            search: search_terms(Some("platzi")),
            ..Default::default()
        };
        assert_eq!(slugs(select_circles(circles.clone(), &query)), ["d", "a"]);
        let query = CircleQuery {
            verified: Some(true),
            ..Default::default()
        };
        assert_eq!(slugs(select_circles(circles.clone(), &query)), ["a"]);
        let query = CircleQuery {
            ordering: parse_ordering(Some("-name"), &CIRCLE_ORDERING).unwrap(),
            ..Default::default()
        };
        assert_eq!(slugs(select_circles(circles, &query)), ["b", "d", "a"]);
        assert!(parse_ordering(Some("password"), &CIRCLE_ORDERING).is_err());
    }
}
