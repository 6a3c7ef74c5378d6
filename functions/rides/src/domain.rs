//! Entities, request validation and the seed's rules, as plain functions (no AWS here).

use andes_shared::http::FieldError;
use andes_shared::ids;
use andes_shared::validation::FieldErrors;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

// ------------------------------------------------------------------ seed messages
pub const ALREADY_MEMBER: &str = "User is already member of this circle";
pub const INVALID_INVITATION: &str = "Invalid invitation code.";
pub const MEMBER_LIMIT_REACHED: &str = "Circle has reached its member limit";
pub const LIMIT_REQUIRED: &str = "If circle is limited, a member limit must be provided";
/// A limited circle never exceeds its limit, so a new limit cannot be below the members it has.
pub const LIMIT_BELOW_MEMBERS: &str = "members_limit must be at least the current members_count";
pub const ONGOING_RIDE: &str = "Ongoing rides cannot be modified.";
pub const RIDE_FULL: &str = "Ride is already full!";
pub const ALREADY_PASSENGER: &str = "Passenger is already in this trip";
pub const CANNOT_JOIN_NOW: &str = "You can't join this ride now";
pub const NOT_STARTED: &str = "Ride has not started yet";
pub const NOT_PASSENGER: &str = "User is not a passenger";
pub const ALREADY_RATED: &str = "Rating have already been emitted!";
pub const ON_BEHALF: &str = "Rides offered on behalf of others are not allowed.";
pub const NOT_ACTIVE_MEMBER: &str = "User is not an active member of the circle.";
pub const OWNER_CANNOT_JOIN: &str = "Ride owners cannot join their own rides";
pub const DEPARTURE_TOO_SOON: &str = "Departure time must be at least pass the next 20 minutes window.";
pub const ARRIVAL_BEFORE_DEPARTURE: &str = "Departure date must happen after arrival date.";
pub const SLUG_TAKEN: &str = "circle with this slug already exists.";

/// Invitations a circle's creator starts with (seed: `remaining_invitations=10`).
pub const CREATOR_INVITATIONS: i64 = 10;
/// A ride must leave at least this long from now (seed: 10 minutes).
pub const MIN_DEPARTURE_MINUTES: i64 = 10;
/// Window of the deactivate-finished-rides task (seed's beat schedule: 20 minutes).
pub const DEACTIVATE_WINDOW_MINUTES: i64 = 20;
pub const CODE_LENGTH: usize = 10;
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-";

// ------------------------------------------------------------------ entities

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

    pub fn view(&self) -> Value {
        serde_json::json!({
            "username": self.username,
            "picture": self.picture,
            "biography": self.biography,
            "rides_taken": self.rides_taken,
            "rides_offered": self.rides_offered,
            "reputation": reputation(self.rating_sum, self.rating_count),
        })
    }
}

/// Average rounded to one decimal; 5.0 before any rating (seed default).
pub fn reputation(sum: i64, count: i64) -> f64 {
    average(sum, count).unwrap_or(5.0)
}

pub fn average(sum: i64, count: i64) -> Option<f64> {
    (count > 0).then(|| (sum as f64 / count as f64 * 10.0).round() / 10.0)
}

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
    pub fn view(&self) -> Value {
        serde_json::json!({
            "slug": self.slug,
            "name": self.name,
            "about": self.about,
            "picture": self.picture,
            "rides_offered": self.rides_offered,
            "rides_taken": self.rides_taken,
            "verified": self.verified,
            "is_public": self.is_public,
            "is_limited": self.is_limited,
            "members_limit": if self.is_limited { Some(self.members_limit) } else { None },
            "members_count": self.members_count,
            "created": self.created,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Membership {
    pub circle: String,
    pub username: String,
    pub is_admin: bool,
    #[serde(default)]
    pub used_invitations: i64,
    #[serde(default)]
    pub remaining_invitations: i64,
    /// Issued codes not used yet; never above `remaining_invitations`.
    #[serde(default)]
    pub unused_codes: i64,
    #[serde(default)]
    pub invited_by: Option<String>,
    #[serde(default)]
    pub rides_taken: i64,
    #[serde(default)]
    pub rides_offered: i64,
    pub is_active: bool,
    pub joined_at: String,
}

impl Membership {
    pub fn new(
        circle: &str,
        username: &str,
        is_admin: bool,
        remaining: i64,
        invited_by: Option<String>,
        now: &str,
    ) -> Self {
        Self {
            circle: circle.to_string(),
            username: username.to_string(),
            is_admin,
            used_invitations: 0,
            remaining_invitations: remaining,
            unused_codes: 0,
            invited_by,
            rides_taken: 0,
            rides_offered: 0,
            is_active: true,
            joined_at: now.to_string(),
        }
    }

    pub fn view(&self) -> Value {
        serde_json::json!({
            "user": { "username": self.username },
            "circle": self.circle,
            "is_admin": self.is_admin,
            "is_active": self.is_active,
            "used_invitations": self.used_invitations,
            "remaining_invitations": self.remaining_invitations,
            "invited_by": self.invited_by,
            "rides_taken": self.rides_taken,
            "rides_offered": self.rides_offered,
            "joined_at": self.joined_at,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invitation {
    pub code: String,
    pub circle: String,
    pub issued_by: String,
    pub used: bool,
    #[serde(default)]
    pub used_by: Option<String>,
    #[serde(default)]
    pub used_at: Option<String>,
    pub created: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ride {
    pub id: String,
    pub circle: String,
    pub offered_by: String,
    pub available_seats: i64,
    #[serde(default)]
    pub comments: String,
    pub departure_location: String,
    pub departure_date: String,
    pub arrival_location: String,
    pub arrival_date: String,
    pub is_active: bool,
    #[serde(default)]
    pub rating_sum: i64,
    #[serde(default)]
    pub rating_count: i64,
    pub created: String,
    #[serde(default)]
    pub version: u64,
    /// Stored as a DynamoDB string set (absent while empty); see the store.
    #[serde(skip)]
    pub passengers: Vec<String>,
}

impl Ride {
    pub fn rating(&self) -> Option<f64> {
        average(self.rating_sum, self.rating_count)
    }

    pub fn view(&self) -> Value {
        serde_json::json!({
            "id": self.id,
            "circle": self.circle,
            "offered_by": self.offered_by,
            "available_seats": self.available_seats,
            "comments": self.comments,
            "departure_location": self.departure_location,
            "departure_date": self.departure_date,
            "arrival_location": self.arrival_location,
            "arrival_date": self.arrival_date,
            "passengers": self.passengers,
            "rating": self.rating(),
            "is_active": self.is_active,
            "created": self.created,
        })
    }

    pub fn departure(&self) -> DateTime<Utc> {
        parse_time(&self.departure_date).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rating {
    pub ride: String,
    pub circle: String,
    pub rating_user: String,
    pub rated_user: String,
    pub rating: i64,
    #[serde(default)]
    pub comments: Option<String>,
    pub created: String,
}

// ------------------------------------------------------------------ small rules

pub fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Circle slugs: 1–40 of `[a-z0-9-]` (digits allowed, unlike the seed's URL regex).
pub fn validate_slug(raw: &str) -> Result<String, String> {
    let slug = raw.trim();
    if slug.is_empty() || slug.chars().count() > 40 {
        return Err("must be 1 to 40 characters".into());
    }
    if !slug
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err("may only contain lowercase letters, digits and hyphens".into());
    }
    Ok(slug.to_string())
}

fn bounded_text(raw: &str, min: usize, max: usize) -> Result<String, String> {
    let text = raw.trim();
    let count = text.chars().count();
    if count < min || count > max {
        return Err(if min == 0 {
            format!("must be at most {max} characters")
        } else {
            format!("must be {min} to {max} characters")
        });
    }
    Ok(text.to_string())
}

/// A picture is a URL (the seed's image uploads are out of scope).
fn picture(value: &Value) -> Result<Option<String>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(url) if url.trim().is_empty() => Ok(None),
        Value::String(url) if url.len() <= 500 && (url.starts_with("https://") || url.starts_with("http://")) => {
            Ok(Some(url.trim().to_string()))
        }
        _ => Err("must be an http(s) URL of at most 500 characters, or null".into()),
    }
}

fn boolean(value: &Value) -> Result<bool, String> {
    value.as_bool().ok_or_else(|| "must be true or false".to_string())
}

fn integer(value: &Value, min: i64, max: i64) -> Result<i64, String> {
    match value.as_i64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be an integer from {min} to {max}")),
    }
}

/// `true/false/1/0` (any case) in a query string.
pub fn query_bool(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err("must be true or false".into()),
    }
}

/// A fresh random invitation code (10 characters of `A-Z0-9.-`, as the seed's manager).
pub fn random_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LENGTH)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

pub fn validate_code(raw: &str) -> Result<String, String> {
    let code = raw.trim();
    if code.len() != CODE_LENGTH || !code.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        return Err(INVALID_INVITATION.into());
    }
    Ok(code.to_string())
}

// ------------------------------------------------------------------ profile

#[derive(Debug, Default)]
pub struct ProfilePatch {
    pub picture: Option<Option<String>>,
    pub biography: Option<String>,
}

pub fn validate_profile_patch(body: &Map<String, Value>) -> Result<ProfilePatch, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    errors.unknown(body, &["picture", "biography"]);
    let mut patch = ProfilePatch::default();
    if let Some(value) = body.get("picture") {
        patch.picture = errors.check("picture", picture(value));
    }
    if let Some(text) = errors.text(body, "biography") {
        patch.biography = errors.check("biography", bounded_text(text, 0, 500));
    }
    errors.finish(|| patch)
}

// ------------------------------------------------------------------ circles

#[derive(Debug, Default, Clone)]
pub struct CirclePatch {
    pub name: Option<String>,
    pub about: Option<String>,
    pub picture: Option<Option<String>>,
    pub is_limited: Option<bool>,
    pub members_limit: Option<Option<i64>>,
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
        &["name", "about", "picture", "is_limited", "members_limit"]
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
        patch.name = errors.check("name", bounded_text(name, 1, 140));
    }
    let slug = if creating {
        errors
            .required_text(body, "slug")
            .and_then(|s| errors.check("slug", validate_slug(s)))
    } else {
        None
    };
    if let Some(about) = errors.text(body, "about") {
        patch.about = errors.check("about", bounded_text(about, 0, 255));
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
        Some(value) => patch.members_limit = errors.check("members_limit", integer(value, 10, 32000)).map(Some),
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

pub const CIRCLE_ORDERING: [&str; 6] = [
    "rides_offered",
    "rides_taken",
    "name",
    "created",
    "members_limit",
    "members_count",
];
pub const RIDE_ORDERING: [&str; 3] = ["departure_date", "arrival_date", "available_seats"];

/// `ordering=-rides_offered,name`: fields with `-` for descending.
pub fn parse_ordering(raw: Option<&str>, allowed: &[&str]) -> Result<Vec<(String, bool)>, String> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(|part| {
            let part = part.trim();
            let (field, descending) = match part.strip_prefix('-') {
                Some(field) => (field, true),
                None => (part, false),
            };
            if allowed.contains(&field) {
                Ok((field.to_string(), descending))
            } else {
                Err(format!(
                    "must be a comma-separated list of {} (prefix - for descending)",
                    allowed.join(", ")
                ))
            }
        })
        .collect()
}

/// DRF's SearchFilter: every whitespace-separated term must match one of the fields
/// (case-insensitive substring).
pub fn search_terms(raw: Option<&str>) -> Vec<String> {
    raw.map(|r| r.split_whitespace().map(str::to_lowercase).collect())
        .unwrap_or_default()
}

pub fn matches_search(terms: &[String], fields: &[&str]) -> bool {
    terms
        .iter()
        .all(|term| fields.iter().any(|field| field.to_lowercase().contains(term)))
}

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

// ------------------------------------------------------------------ rides

#[derive(Debug, Default, Clone)]
pub struct RideInput {
    pub available_seats: Option<i64>,
    pub comments: Option<String>,
    pub departure_location: Option<String>,
    pub departure_date: Option<DateTime<Utc>>,
    pub arrival_location: Option<String>,
    pub arrival_date: Option<DateTime<Utc>>,
}

/// `POST` (all but `comments` required) and `PATCH` bodies of a ride. `offered_by`, when
/// sent, must be the caller's username.
pub fn validate_ride(
    body: &Map<String, Value>,
    creating: bool,
    caller: &str,
    now: DateTime<Utc>,
) -> Result<RideInput, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    let mut allowed = vec![
        "available_seats",
        "comments",
        "departure_location",
        "departure_date",
        "arrival_location",
        "arrival_date",
    ];
    if creating {
        allowed.push("offered_by");
    }
    errors.unknown(body, &allowed);
    if creating {
        if let Some(offered_by) = errors.text(body, "offered_by") {
            if offered_by.trim().to_lowercase() != caller {
                errors.add("offered_by", ON_BEHALF);
            }
        }
    }
    let mut input = RideInput::default();
    let text = |errors: &mut FieldErrors, field: &str| {
        if creating {
            errors.required_text(body, field)
        } else {
            errors.text(body, field)
        }
    };
    match body.get("available_seats") {
        None if creating => errors.add("available_seats", "is required"),
        None => {}
        Some(value) => input.available_seats = errors.check("available_seats", integer(value, 1, 15)),
    }
    if let Some(comments) = errors.text(body, "comments") {
        input.comments = errors.check("comments", bounded_text(comments, 0, 500));
    }
    for (field, slot) in [
        ("departure_location", &mut input.departure_location),
        ("arrival_location", &mut input.arrival_location),
    ] {
        if let Some(location) = text(&mut errors, field) {
            *slot = errors.check(field, bounded_text(location, 1, 255));
        }
    }
    let min_departure = now + Duration::minutes(MIN_DEPARTURE_MINUTES);
    if let Some(raw) = text(&mut errors, "departure_date") {
        match parse_time(raw) {
            None => errors.add("departure_date", "must be an RFC 3339 date-time"),
            Some(time) if time < min_departure => errors.add("departure_date", DEPARTURE_TOO_SOON),
            Some(time) => input.departure_date = Some(time),
        }
    }
    if let Some(raw) = text(&mut errors, "arrival_date") {
        match parse_time(raw) {
            None => errors.add("arrival_date", "must be an RFC 3339 date-time"),
            Some(time) => input.arrival_date = Some(time),
        }
    }
    if let (Some(departure), Some(arrival)) = (input.departure_date, input.arrival_date) {
        if arrival <= departure {
            errors.add("arrival_date", ARRIVAL_BEFORE_DEPARTURE);
        }
    }
    errors.finish(|| input)
}

pub fn new_ride(circle: &str, offered_by: &str, input: RideInput, now: &str) -> Ride {
    Ride {
        id: ids::new_id(),
        circle: circle.to_string(),
        offered_by: offered_by.to_string(),
        available_seats: input.available_seats.unwrap_or(1),
        comments: input.comments.unwrap_or_default(),
        departure_location: input.departure_location.unwrap_or_default(),
        departure_date: input.departure_date.map(ids::rfc3339).unwrap_or_default(),
        arrival_location: input.arrival_location.unwrap_or_default(),
        arrival_date: input.arrival_date.map(ids::rfc3339).unwrap_or_default(),
        is_active: true,
        rating_sum: 0,
        rating_count: 0,
        created: now.to_string(),
        version: 1,
        passengers: Vec::new(),
    }
}

/// Applies a PATCH to a ride that has not left yet; arrival must stay after departure.
pub fn apply_ride_patch(original: &mut Ride, input: RideInput, now: DateTime<Utc>) -> Result<(), RideRuleError> {
    if original.departure() <= now {
        return Err(RideRuleError::Conflict(ONGOING_RIDE));
    }
    let mut ride = original.clone();
    if let Some(seats) = input.available_seats {
        ride.available_seats = seats;
    }
    if let Some(comments) = input.comments {
        ride.comments = comments;
    }
    if let Some(location) = input.departure_location {
        ride.departure_location = location;
    }
    if let Some(location) = input.arrival_location {
        ride.arrival_location = location;
    }
    if let Some(time) = input.departure_date {
        ride.departure_date = ids::rfc3339(time);
    }
    if let Some(time) = input.arrival_date {
        ride.arrival_date = ids::rfc3339(time);
    }
    let arrival = parse_time(&ride.arrival_date).unwrap_or(DateTime::<Utc>::MIN_UTC);
    if arrival <= ride.departure() {
        return Err(RideRuleError::Invalid(vec![FieldError::new(
            "arrival_date",
            ARRIVAL_BEFORE_DEPARTURE,
        )]));
    }
    *original = ride;
    Ok(())
}

#[derive(Debug, PartialEq)]
pub enum RideRuleError {
    Conflict(&'static str),
    Forbidden(&'static str),
    Invalid(Vec<FieldError>),
}

/// Why `username` cannot join `ride` now, in the seed's order of checks.
pub fn join_ride_check(ride: &Ride, username: &str, now: DateTime<Utc>) -> Result<(), RideRuleError> {
    if ride.offered_by == username {
        return Err(RideRuleError::Forbidden(OWNER_CANNOT_JOIN));
    }
    if !ride.is_active || ride.departure() <= now {
        return Err(RideRuleError::Conflict(CANNOT_JOIN_NOW));
    }
    if ride.available_seats < 1 {
        return Err(RideRuleError::Conflict(RIDE_FULL));
    }
    if ride.passengers.iter().any(|p| p == username) {
        return Err(RideRuleError::Conflict(ALREADY_PASSENGER));
    }
    Ok(())
}

/// Rides listed in a circle: active, leaving at least 10 minutes from now, a seat left,
/// matching `search` on locations; ordered as asked (seed default: departure, arrival, seats).
pub fn select_rides(
    mut rides: Vec<Ride>,
    search: &[String],
    ordering: &[(String, bool)],
    now: DateTime<Utc>,
) -> Vec<Ride> {
    let min_departure = now + Duration::minutes(MIN_DEPARTURE_MINUTES);
    rides.retain(|r| {
        r.is_active
            && r.available_seats >= 1
            && r.departure() >= min_departure
            && matches_search(search, &[&r.departure_location, &r.arrival_location])
    });
    let ordering: Vec<(String, bool)> = if ordering.is_empty() {
        RIDE_ORDERING.iter().map(|f| (f.to_string(), false)).collect()
    } else {
        ordering.to_vec()
    };
    let key = |r: &Ride, field: &str| -> (i64, String) {
        match field {
            "available_seats" => (r.available_seats, String::new()),
            "arrival_date" => (0, r.arrival_date.clone()),
            _ => (0, r.departure_date.clone()),
        }
    };
    rides.sort_by(|a, b| {
        for (field, descending) in &ordering {
            let order = key(a, field).cmp(&key(b, field));
            let order = if *descending { order.reverse() } else { order };
            if order.is_ne() {
                return order;
            }
        }
        a.id.cmp(&b.id)
    });
    rides
}

pub fn validate_rating(body: &Map<String, Value>) -> Result<(i64, Option<String>), Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    errors.unknown(body, &["rating", "comments"]);
    let rating = match body.get("rating") {
        None | Some(Value::Null) => {
            errors.add("rating", "is required");
            None
        }
        Some(value) => errors.check("rating", integer(value, 1, 5)),
    };
    let comments = errors
        .text(body, "comments")
        .and_then(|c| errors.check("comments", bounded_text(c, 0, 500)));
    errors.finish(|| (rating.unwrap_or_default(), comments.filter(|c| !c.is_empty())))
}

// ------------------------------------------------------------------ paging of in-memory lists

/// Offset cursors for lists that are filtered and ordered in memory.
pub fn offset_cursor(offset: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

pub fn parse_offset_cursor(cursor: Option<&str>) -> Result<usize, String> {
    use base64::Engine;
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(0);
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("offset:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| "is not a cursor returned by this list".to_string())
}

/// One page of an in-memory list: `{items, next_cursor}`.
pub fn page<T>(items: Vec<T>, offset: usize, limit: usize, view: impl Fn(&T) -> Value) -> Value {
    let total = items.len();
    let page: Vec<Value> = items.iter().skip(offset).take(limit).map(view).collect();
    let next = (offset + limit < total).then(|| offset_cursor(offset + limit));
    serde_json::json!({ "items": page, "next_cursor": next })
}

// ------------------------------------------------------------------ circles CSV import

/// One valid line of a circles CSV (`name,slug_name,is_public,verified,members_limit`).
#[derive(Debug, Clone, PartialEq)]
pub struct CircleRow {
    pub line: u64,
    pub name: String,
    pub slug: String,
    pub is_public: bool,
    pub verified: bool,
    pub members_limit: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

pub const CSV_COLUMNS: [&str; 5] = ["name", "slug_name", "is_public", "verified", "members_limit"];

fn csv_bool(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        other => Err(format!("{other:?} is not 1/0/true/false")),
    }
}

/// Parses a circles CSV: the valid rows, and one error per bad line (line numbers count the
/// header as line 1). A missing or wrong header is an error of line 1 and nothing imports.
pub fn parse_circles_csv(bytes: &[u8]) -> (Vec<CircleRow>, Vec<LineError>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    match reader.headers() {
        Ok(headers) if headers.iter().map(str::trim).eq(CSV_COLUMNS.iter().copied()) => {}
        Ok(headers) => {
            let found: Vec<&str> = headers.iter().collect();
            errors.push(LineError {
                line: 1,
                message: format!("header must be {}, found {}", CSV_COLUMNS.join(","), found.join(",")),
            });
            return (rows, errors);
        }
        Err(error) => {
            errors.push(LineError {
                line: 1,
                message: format!("unreadable header: {error}"),
            });
            return (rows, errors);
        }
    }
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map(|p| p.line()).unwrap_or(0);
                errors.push(LineError {
                    line,
                    message: format!("unreadable line: {error}"),
                });
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        match parse_circle_record(&record, line) {
            Ok(row) => rows.push(row),
            Err(message) => errors.push(LineError { line, message }),
        }
    }
    (rows, errors)
}

fn parse_circle_record(record: &csv::StringRecord, line: u64) -> Result<CircleRow, String> {
    if record.len() != CSV_COLUMNS.len() {
        return Err(format!("expected {} fields, found {}", CSV_COLUMNS.len(), record.len()));
    }
    let field = |i: usize| record.get(i).unwrap_or_default();
    let mut problems = Vec::new();
    let name = bounded_text(field(0), 1, 140)
        .map_err(|m| problems.push(format!("name {m}")))
        .ok();
    let slug = validate_slug(field(1))
        .map_err(|m| problems.push(format!("slug_name {m}")))
        .ok();
    let is_public = csv_bool(field(2))
        .map_err(|m| problems.push(format!("is_public: {m}")))
        .ok();
    let verified = csv_bool(field(3))
        .map_err(|m| problems.push(format!("verified: {m}")))
        .ok();
    let limit = match field(4).trim().parse::<i64>() {
        Ok(0) => Some(0),
        Ok(n) if (10..=32000).contains(&n) => Some(n),
        _ => {
            problems.push(format!(
                "members_limit {:?} must be 0 (unlimited) or 10 to 32000",
                field(4).trim()
            ));
            None
        }
    };
    match (name, slug, is_public, verified, limit) {
        (Some(name), Some(slug), Some(is_public), Some(verified), Some(members_limit)) if problems.is_empty() => {
            Ok(CircleRow {
                line,
                name,
                slug,
                is_public,
                verified,
                members_limit,
            })
        }
        _ => Err(problems.join("; ")),
    }
}

impl CircleRow {
    pub fn circle(&self, now: &str) -> Circle {
        Circle {
            slug: self.slug.clone(),
            name: self.name.clone(),
            about: String::new(),
            picture: None,
            rides_offered: 0,
            rides_taken: 0,
            verified: self.verified,
            is_public: self.is_public,
            is_limited: self.members_limit > 0,
            members_limit: self.members_limit,
            members_count: 0,
            created: now.to_string(),
            updated: now.to_string(),
            version: 1,
        }
    }
}

// ------------------------------------------------------------------ rides export

pub const EXPORT_HEADER: &str = "id,passengers,departure_location,departure_date,arrival_location,arrival_date,rating";

/// A CSV cell a spreadsheet will not run as a formula: text starting with `=`, `+`, `-`, `@`,
/// tab or CR gets a leading `'` (OWASP "CSV injection").
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// Today's rides as CSV; `passengers` are usernames separated by `;`, `rating` empty when
/// nobody rated. Every cell goes through [`spreadsheet_safe`] (locations are user text).
pub fn rides_csv(rides: &[Ride]) -> Result<Vec<u8>, String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(EXPORT_HEADER.split(','))
        .map_err(|e| e.to_string())?;
    for ride in rides {
        let rating = ride.rating().map(|r| format!("{r:.1}")).unwrap_or_default();
        let passengers = ride.passengers.join(";");
        let cells = [
            ride.id.as_str(),
            &passengers,
            &ride.departure_location,
            &ride.departure_date,
            &ride.arrival_location,
            &ride.arrival_date,
            &rating,
        ];
        writer
            .write_record(cells.map(spreadsheet_safe).iter().map(|c| c.as_ref()))
            .map_err(|e| e.to_string())?;
    }
    writer.into_inner().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    fn now() -> DateTime<Utc> {
        parse_time("2026-01-10T12:00:00Z").unwrap()
    }

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

    #[test]
    fn ride_bodies_follow_the_seed() {
        let body = obj(json!({
            "available_seats": 3, "departure_location": "A", "arrival_location": "B",
            "departure_date": "2026-01-10T12:30:00Z", "arrival_date": "2026-01-10T13:00:00Z",
        }));
        assert!(validate_ride(&body, true, "ana", now()).is_ok());
        let mut soon = body.clone();
        soon.insert("departure_date".into(), json!("2026-01-10T12:05:00Z"));
        let errors = validate_ride(&soon, true, "ana", now()).unwrap_err();
        assert_eq!(errors[0].message, DEPARTURE_TOO_SOON);
        let mut backwards = body.clone();
        backwards.insert("arrival_date".into(), json!("2026-01-10T12:30:00Z"));
        assert_eq!(
            validate_ride(&backwards, true, "ana", now()).unwrap_err()[0].message,
            ARRIVAL_BEFORE_DEPARTURE
        );
        let mut other = body.clone();
        other.insert("offered_by".into(), json!("bob"));
        assert_eq!(
            validate_ride(&other, true, "ana", now()).unwrap_err()[0].message,
            ON_BEHALF
        );
        other.insert("offered_by".into(), json!("ana"));
        assert!(validate_ride(&other, true, "ana", now()).is_ok());
        let mut seats = body;
        seats.insert("available_seats".into(), json!(16));
        assert_eq!(
            fields(validate_ride(&seats, true, "ana", now()).unwrap_err()),
            ["available_seats"]
        );
        assert_eq!(
            fields(validate_ride(&obj(json!({})), true, "ana", now()).unwrap_err()).len(),
            5
        );
        assert!(validate_ride(&obj(json!({"comments": "x"})), false, "ana", now()).is_ok());
    }

    fn ride(departure: &str) -> Ride {
        let input = RideInput {
            available_seats: Some(2),
            departure_date: parse_time(departure),
            arrival_date: parse_time(departure).map(|d| d + Duration::hours(1)),
            departure_location: Some("A".into()),
            arrival_location: Some("B".into()),
            ..Default::default()
        };
        new_ride("c", "ana", input, "t")
    }

    #[test]
    fn joining_rules_in_seed_order() {
        let mut r = ride("2026-01-10T13:00:00Z");
        assert_eq!(
            join_ride_check(&r, "ana", now()),
            Err(RideRuleError::Forbidden(OWNER_CANNOT_JOIN))
        );
        assert_eq!(join_ride_check(&r, "bob", now()), Ok(()));
        r.passengers.push("bob".into());
        assert_eq!(
            join_ride_check(&r, "bob", now()),
            Err(RideRuleError::Conflict(ALREADY_PASSENGER))
        );
        r.available_seats = 0;
        assert_eq!(
            join_ride_check(&r, "bob", now()),
            Err(RideRuleError::Conflict(RIDE_FULL))
        );
        let gone = ride("2026-01-10T11:00:00Z");
        assert_eq!(
            join_ride_check(&gone, "bob", now()),
            Err(RideRuleError::Conflict(CANNOT_JOIN_NOW))
        );
    }

    #[test]
    fn ongoing_rides_cannot_be_modified() {
        let mut r = ride("2026-01-10T11:59:00Z");
        assert_eq!(
            apply_ride_patch(&mut r, RideInput::default(), now()),
            Err(RideRuleError::Conflict(ONGOING_RIDE))
        );
        let mut r = ride("2026-01-10T13:00:00Z");
        let patch = RideInput {
            arrival_date: parse_time("2026-01-10T12:59:00Z"),
            ..Default::default()
        };
        assert!(matches!(
            apply_ride_patch(&mut r, patch, now()),
            Err(RideRuleError::Invalid(_))
        ));
        assert!(apply_ride_patch(
            &mut r,
            RideInput {
                available_seats: Some(4),
                ..Default::default()
            },
            now()
        )
        .is_ok());
        assert_eq!(r.available_seats, 4);
    }

    #[test]
    fn listed_rides_leave_later_and_have_seats() {
        let mut full = ride("2026-01-10T14:00:00Z");
        full.available_seats = 0;
        let soon = ride("2026-01-10T12:05:00Z");
        let later = ride("2026-01-10T15:00:00Z");
        let first = ride("2026-01-10T13:00:00Z");
        let ids: Vec<String> = select_rides(vec![full, soon, later.clone(), first.clone()], &[], &[], now())
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, [first.id, later.id]);
    }

    #[test]
    fn averages_have_one_decimal() {
        assert_eq!(reputation(0, 0), 5.0);
        assert_eq!(reputation(14, 3), 4.7);
        assert_eq!(average(5, 2), Some(2.5));
        assert_eq!(average(0, 0), None);
    }

    #[test]
    fn codes_use_the_seed_alphabet() {
        for _ in 0..50 {
            let code = random_code();
            assert_eq!(code.len(), 10);
            assert!(validate_code(&code).is_ok());
        }
        assert!(validate_code("short").is_err());
        assert!(validate_code("abcdefghij").is_err());
    }

    #[test]
    fn ratings_are_one_to_five() {
        assert_eq!(
            validate_rating(&obj(json!({"rating": 5, "comments": "great"}))).unwrap(),
            (5, Some("great".into()))
        );
        assert_eq!(
            fields(validate_rating(&obj(json!({"rating": 6}))).unwrap_err()),
            ["rating"]
        );
        assert_eq!(fields(validate_rating(&obj(json!({}))).unwrap_err()), ["rating"]);
    }

    #[test]
    fn seed_csv_parses_completely() {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/rides/circles.csv")).unwrap();
        let (rows, errors) = parse_circles_csv(&bytes);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 21);
        assert_eq!(rows[0].name, "Facultad de Ciencias, UNAM");
        assert_eq!(rows[0].line, 2);
        assert!(rows
            .iter()
            .any(|r| r.slug == "grupo-3340-campo" && r.members_limit == 50 && r.circle("t").is_limited));
    }

    #[test]
    fn bad_csv_lines_are_reported_by_number() {
        let csv = "name,slug_name,is_public,verified,members_limit\nGood,good,1,0,0\nBad Slug,Bad Slug,1,0,0\nShort,short\nLimit,limit,1,1,5\nOk2,ok-2,0,1,30\n";
        let (rows, errors) = parse_circles_csv(csv.as_bytes());
        assert_eq!(
            rows.iter().map(|r| r.slug.as_str()).collect::<Vec<_>>(),
            ["good", "ok-2"]
        );
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 4, 5]);
        let (rows, errors) = parse_circles_csv(b"a,b\n1,2\n");
        assert!(rows.is_empty());
        assert_eq!(errors[0].line, 1);
    }

    #[test]
    fn export_csv_has_the_spec_columns() {
        let mut r = ride("2026-01-10T13:00:00Z");
        r.passengers = vec!["bob".into(), "eve".into()];
        r.rating_sum = 9;
        r.rating_count = 2;
        let text = String::from_utf8(rides_csv(&[r.clone()]).unwrap()).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(EXPORT_HEADER));
        assert_eq!(
            lines.next().unwrap(),
            format!(
                "{},bob;eve,A,2026-01-10T13:00:00.000Z,B,2026-01-10T14:00:00.000Z,4.5",
                r.id
            )
        );
    }

    #[test]
    fn export_csv_cells_never_start_a_formula() {
        for (cell, safe) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
        ] {
            assert_eq!(spreadsheet_safe(cell), safe);
        }
        for plain in ["Plaza", "", "2026-01-10T13:00:00.000Z", "4.5", "a=b", "'quoted"] {
            assert_eq!(spreadsheet_safe(plain), plain);
        }
        let mut r = ride("2026-01-10T13:00:00Z");
        r.departure_location = "=HYPERLINK(\"http://evil\",\"x\")".into();
        r.arrival_location = "@cmd".into();
        let text = String::from_utf8(rides_csv(&[r.clone()]).unwrap()).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[2], "'=HYPERLINK(\"http://evil\",\"x\")");
        assert_eq!(&row[4], "'@cmd");
        assert_eq!(&row[3], "2026-01-10T13:00:00.000Z");
    }

    #[test]
    fn offset_cursors_round_trip() {
        assert_eq!(parse_offset_cursor(Some(&offset_cursor(40))), Ok(40));
        assert_eq!(parse_offset_cursor(None), Ok(0));
        assert!(parse_offset_cursor(Some("junk")).is_err());
        let page = page(vec![1, 2, 3], 1, 1, |n| json!(n));
        assert_eq!(page["items"], json!([2]));
        assert!(page["next_cursor"].is_string());
    }
}
