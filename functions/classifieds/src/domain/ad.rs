//! Ads: the fields an owner writes and their validation, money, statuses, catalog facts, and
//! the ad as stored.

use andes_shared::http::FieldError;
use andes_shared::validation::FieldErrors;
use serde::{Deserialize, Deserializer, Serialize};

use super::images::Image;

pub const TYPES: &[&str] = &[
    "naked", "sport", "touring", "offroad", "scooter", "motoneta", "custom", "street", "bigtrail",
];
pub const ORIGINS: &[&str] = &["national", "imported"];
pub const COLORS: &[&str] = &["blue", "green", "red", "black", "white", "silver", "yellow", "purple"];
pub const OPTIONS: &[&str] = &["alarm", "chest", "computer", "gps"];
pub const BRAKE_SYSTEMS: &[&str] = &["abs", "drum", "combined"];
pub const IGNITIONS: &[&str] = &["pedal", "electric", "both"];
pub const COOLINGS: &[&str] = &["air", "liquid"];

pub const MAX_SALES_PHRASE: usize = 500;
pub const MAX_DESCRIPTION: usize = 4000;
pub const MAX_MILEAGE: u32 = 10_000_000;
pub const MIN_YEAR: i32 = 1900;
/// Largest price: 999,999,999.99.
pub const MAX_PRICE_CENTS: i64 = 99_999_999_999;

/// Ad statuses. `draft` → `pending` (publish asked) → `published`; `published` → `pending`
/// on edit; `failed` when publication failed after retries (the owner can publish again);
/// `deleted` until the worker has removed the images and the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Pending,
    Published,
    Failed,
    Deleted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Pending => "pending",
            Self::Published => "published",
            Self::Failed => "failed",
            Self::Deleted => "deleted",
        }
    }

    /// Whether the owner may ask for publication from this status (pending again re-enqueues,
    /// in case the first message could not be sent).
    pub fn can_publish(self) -> bool {
        !matches!(self, Self::Deleted)
    }

    /// Whether images may still be added or edits made.
    pub fn is_editable(self) -> bool {
        !matches!(self, Self::Deleted)
    }

    /// The status after an edit: a published ad goes back to pending (and is re-published).
    pub fn after_edit(self) -> Self {
        match self {
            Self::Published => Self::Pending,
            other => other,
        }
    }
}

/// The fields of an ad the owner writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AdFields {
    pub model_id: u32,
    #[schema(required = true)]
    pub version_id: Option<u32>,
    pub city_id: u32,
    #[serde(rename = "type")]
    pub kind: String,
    pub origin: String,
    pub fabrication_year: i32,
    pub model_year: i32,
    #[schema(required = true)]
    pub license_plate: Option<String>,
    pub mileage: u32,
    pub is_new: bool,
    pub color: String,
    /// Decimal string with two decimals (`"12500.00"`).
    pub price: String,
    pub sales_phrase: String,
    pub description: String,
    pub options: Vec<String>,
    pub accept_new_offer: bool,
    pub accept_exchange: bool,
    pub doc_ok: bool,
    pub track_ready: bool,
    pub brake_system: String,
    pub ignition: String,
    pub cooling: String,
    pub top_offer: bool,
}

fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A create or edit request: every field optional (create checks the required ones);
/// `null` clears `version_id` and `license_plate`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdInput {
    pub model_id: Option<u32>,
    #[serde(default, deserialize_with = "double_option")]
    pub version_id: Option<Option<u32>>,
    pub city_id: Option<u32>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub origin: Option<String>,
    pub fabrication_year: Option<i32>,
    pub model_year: Option<i32>,
    #[serde(default, deserialize_with = "double_option")]
    pub license_plate: Option<Option<String>>,
    pub mileage: Option<u32>,
    pub is_new: Option<bool>,
    pub color: Option<String>,
    pub price: Option<serde_json::Value>,
    pub sales_phrase: Option<String>,
    pub description: Option<String>,
    pub options: Option<Vec<String>>,
    pub accept_new_offer: Option<bool>,
    pub accept_exchange: Option<bool>,
    pub doc_ok: Option<bool>,
    pub track_ready: Option<bool>,
    pub brake_system: Option<String>,
    pub ignition: Option<String>,
    pub cooling: Option<String>,
    pub top_offer: Option<bool>,
    /// Edit only: the new order of the ad's images (a subset drops the others).
    pub images: Option<Vec<String>>,
    /// Edit only: the version the client read; a stale one is a 409. Without it the edit
    /// applies to the ad as it is.
    pub version: Option<u64>,
}

fn one_of(errors: &mut FieldErrors, field: &str, value: Option<String>, allowed: &[&str]) -> Option<String> {
    let value = value?;
    let normalized = value.trim().to_lowercase();
    if allowed.contains(&normalized.as_str()) {
        Some(normalized)
    } else {
        errors.add(field, format!("must be one of {}", allowed.join(", ")));
        None
    }
}

fn required<T>(errors: &mut FieldErrors, field: &str, value: Option<T>) -> Option<T> {
    if value.is_none() {
        errors.add(field, "is required");
    }
    value
}

/// A positive decimal price with at most two decimals, as a string or a JSON number,
/// → (normalised string, cents).
pub fn parse_price(value: &serde_json::Value) -> Result<(String, i64), String> {
    let text = match value {
        serde_json::Value::String(s) => s.trim().to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return Err("must be a decimal string such as \"12500.00\"".into()),
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole)
        || whole.len() > 9
        || (!fraction.is_empty() && (!digits(fraction) || fraction.len() > 2))
        || (text.contains('.') && fraction.is_empty())
    {
        return Err("must be a decimal with at most 2 decimals, such as \"12500.00\"".into());
    }
    let whole: i64 = whole.parse().map_err(|_| "is too large".to_string())?;
    let cents_part: i64 = format!("{fraction:0<2}").parse().unwrap_or(0);
    let cents = whole * 100 + cents_part;
    if cents <= 0 {
        return Err("must be greater than 0".into());
    }
    if cents > MAX_PRICE_CENTS {
        return Err("is too large".into());
    }
    Ok((format_cents(cents), cents))
}

pub fn format_cents(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn plate(value: &str) -> Result<String, String> {
    let normalized: String = value.trim().to_uppercase().chars().filter(|c| *c != ' ').collect();
    if normalized.is_empty()
        || normalized.len() > 10
        || !normalized.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err("must be 1 to 10 letters, digits or hyphens".into());
    }
    Ok(normalized)
}

fn bounded_text(errors: &mut FieldErrors, field: &str, value: Option<String>, max: usize) -> Option<String> {
    let value = value?;
    if !errors.plain(field, &value) {
        return None;
    }
    let value = value.trim().to_string();
    if value.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
        return None;
    }
    Some(value)
}

/// Validates a create (`base` = None: required fields must be present) or an edit (merged
/// onto `base`). Catalog ids are checked against the catalog by the caller. Returns the
/// fields and the price in cents.
pub fn build_fields(
    base: Option<&AdFields>,
    input: &AdInput,
    current_year: i32,
) -> Result<(AdFields, i64), Vec<FieldError>> {
    let mut e = FieldErrors::default();
    let creating = base.is_none();
    if creating && input.images.is_some() {
        e.add("images", "images are added with POST /ads/{id}/images");
    }
    if creating && input.version.is_some() {
        e.add("version", "is set by the service");
    }
    macro_rules! pick {
        ($field:ident) => {
            input.$field.clone().or_else(|| base.map(|b| b.$field.clone()))
        };
    }
    let model_id = required(&mut e, "model_id", pick!(model_id));
    let city_id = required(&mut e, "city_id", pick!(city_id));
    let version_id = match &input.version_id {
        Some(v) => *v,
        None => base.and_then(|b| b.version_id),
    };
    let kind = required(
        &mut e,
        "type",
        input.kind.clone().or_else(|| base.map(|b| b.kind.clone())),
    );
    let kind = one_of(&mut e, "type", kind, TYPES);
    let origin = required(&mut e, "origin", pick!(origin));
    let origin = one_of(&mut e, "origin", origin, ORIGINS);
    let color = required(&mut e, "color", pick!(color));
    let color = one_of(&mut e, "color", color, COLORS);
    let brake_system = required(&mut e, "brake_system", pick!(brake_system));
    let brake_system = one_of(&mut e, "brake_system", brake_system, BRAKE_SYSTEMS);
    let ignition = required(&mut e, "ignition", pick!(ignition));
    let ignition = one_of(&mut e, "ignition", ignition, IGNITIONS);
    let cooling = required(&mut e, "cooling", pick!(cooling));
    let cooling = one_of(&mut e, "cooling", cooling, COOLINGS);
    let fabrication_year = required(&mut e, "fabrication_year", pick!(fabrication_year));
    let model_year = required(&mut e, "model_year", pick!(model_year));
    if let Some(year) = fabrication_year {
        if !(MIN_YEAR..=current_year + 1).contains(&year) {
            e.add(
                "fabrication_year",
                format!("must be from {MIN_YEAR} to {}", current_year + 1),
            );
        }
    }
    if let (Some(model), Some(fabrication)) = (model_year, fabrication_year) {
        if model < fabrication {
            e.add("model_year", "must not be before fabrication_year");
        } else if model > current_year + 1 {
            e.add("model_year", format!("must not be after {}", current_year + 1));
        }
    }
    let mileage = required(&mut e, "mileage", pick!(mileage));
    if mileage.is_some_and(|m| m > MAX_MILEAGE) {
        e.add("mileage", format!("must be at most {MAX_MILEAGE}"));
    }
    let price = match (&input.price, base) {
        (Some(raw), _) => e.check("price", parse_price(raw)),
        (None, Some(b)) => e.check("price", parse_price(&serde_json::Value::String(b.price.clone()))),
        (None, None) => {
            e.add("price", "is required");
            None
        }
    };
    let license_plate = match &input.license_plate {
        Some(Some(raw)) => e.check("license_plate", plate(raw)).map(Some),
        Some(None) => Some(None),
        None => Some(base.and_then(|b| b.license_plate.clone())),
    }
    .flatten();
    let sales_phrase = bounded_text(&mut e, "sales_phrase", pick!(sales_phrase), MAX_SALES_PHRASE).unwrap_or_default();
    let description = bounded_text(&mut e, "description", pick!(description), MAX_DESCRIPTION).unwrap_or_default();
    let mut options = Vec::new();
    for option in pick!(options).unwrap_or_default() {
        let option = option.trim().to_lowercase();
        if !OPTIONS.contains(&option.as_str()) {
            e.add("options", format!("each option must be one of {}", OPTIONS.join(", ")));
            break;
        }
        if !options.contains(&option) {
            options.push(option);
        }
    }
    let flag = |value: Option<bool>, current: Option<bool>| value.or(current).unwrap_or(false);
    e.finish(|| ())?;
    let (price, cents) = price.expect("checked");
    Ok((
        AdFields {
            model_id: model_id.expect("checked"),
            version_id,
            city_id: city_id.expect("checked"),
            kind: kind.expect("checked"),
            origin: origin.expect("checked"),
            fabrication_year: fabrication_year.expect("checked"),
            model_year: model_year.expect("checked"),
            license_plate,
            mileage: mileage.expect("checked"),
            is_new: flag(input.is_new, base.map(|b| b.is_new)),
            color: color.expect("checked"),
            price,
            sales_phrase,
            description,
            options,
            accept_new_offer: flag(input.accept_new_offer, base.map(|b| b.accept_new_offer)),
            accept_exchange: flag(input.accept_exchange, base.map(|b| b.accept_exchange)),
            doc_ok: flag(input.doc_ok, base.map(|b| b.doc_ok)),
            track_ready: flag(input.track_ready, base.map(|b| b.track_ready)),
            brake_system: brake_system.expect("checked"),
            ignition: ignition.expect("checked"),
            cooling: cooling.expect("checked"),
            top_offer: flag(input.top_offer, base.map(|b| b.top_offer)),
        },
        cents,
    ))
}

/// The catalog facts an ad needs, looked up by the caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Placement {
    pub brand_id: u32,
    pub brand_name: String,
    pub model_name: String,
    pub version_name: Option<String>,
    pub state_id: u32,
    pub state_acronym: String,
    pub city_name: String,
}

/// An ad as stored: the owner's fields, the catalog facts, images and lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ad {
    pub id: String,
    pub owner: String,
    pub status: Status,
    pub details: AdFields,
    pub price_cents: i64,
    pub placement: Placement,
    pub images: Vec<Image>,
    /// Permanent keys of images dropped by edits, deleted by the next publication.
    #[serde(default)]
    pub dropped: Vec<String>,
    pub created: String,
    pub updated: String,
    #[serde(default)]
    pub published_at: Option<String>,
    #[serde(default)]
    pub failure: Option<String>,
    pub version: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(value: serde_json::Value) -> AdInput {
        serde_json::from_value(value).unwrap()
    }

    fn full() -> serde_json::Value {
        json!({
            "model_id": 1, "city_id": 1, "type": "naked", "origin": "national", "fabrication_year": 2020,
            "model_year": 2021, "mileage": 1000, "color": "red", "price": "12500.5",
            "brake_system": "abs", "ignition": "electric", "cooling": "liquid"
        })
    }

    #[test]
    fn a_complete_create_is_valid_and_normalised() {
        let (fields, cents) = build_fields(None, &input(full()), 2026).unwrap();
        assert_eq!(fields.price, "12500.50");
        assert_eq!(cents, 1_250_050);
        assert!(!fields.is_new);
        assert_eq!(fields.version_id, None);
    }

    #[test]
    fn create_names_every_missing_field() {
        let errors = build_fields(None, &input(json!({})), 2026).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        for field in [
            "model_id",
            "city_id",
            "type",
            "origin",
            "color",
            "price",
            "fabrication_year",
            "model_year",
            "mileage",
        ] {
            assert!(fields.contains(&field), "{field} missing from {fields:?}");
        }
    }

    #[test]
    fn years_are_bounded() {
        let mut body = full();
        body["model_year"] = json!(2019);
        let errors = build_fields(None, &input(body.clone()), 2026).unwrap_err();
        assert_eq!(errors[0].field, "model_year");
        body["fabrication_year"] = json!(2027);
        body["model_year"] = json!(2028);
        let fields: Vec<_> = build_fields(None, &input(body), 2026)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert!(fields.contains(&"model_year".to_string()));
        let mut next_year = full();
        next_year["model_year"] = json!(2027);
        assert!(build_fields(None, &input(next_year), 2026).is_ok());
    }

    #[test]
    fn enums_and_texts_are_checked() {
        let mut body = full();
        body["color"] = json!("pink");
        body["options"] = json!(["gps", "jetpack"]);
        body["sales_phrase"] = json!("x".repeat(501));
        let fields: Vec<_> = build_fields(None, &input(body), 2026)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["color", "sales_phrase", "options"]);
    }

    #[test]
    fn free_texts_refuse_control_characters() {
        for field in ["sales_phrase", "description"] {
            let mut body = full();
            body[field] = json!("Revisada\u{0}");
            let errors = build_fields(None, &input(body.clone()), 2026).unwrap_err();
            assert_eq!(errors[0].field, field);
            body[field] = json!("linha 1\nlinha 2\tfim");
            assert!(build_fields(None, &input(body), 2026).is_ok());
        }
    }

    #[test]
    fn edits_merge_and_clear() {
        let mut body = full();
        body["version_id"] = json!(3);
        body["license_plate"] = json!("abc 1d23");
        let (base, _) = build_fields(None, &input(body), 2026).unwrap();
        assert_eq!(base.license_plate.as_deref(), Some("ABC1D23"));
        let (edited, cents) =
            build_fields(Some(&base), &input(json!({"price": 99, "version_id": null})), 2026).unwrap();
        assert_eq!(edited.price, "99.00");
        assert_eq!(cents, 9900);
        assert_eq!(edited.version_id, None);
        assert_eq!(edited.license_plate.as_deref(), Some("ABC1D23"));
        assert_eq!(edited.model_year, 2021);
    }

    #[test]
    fn prices() {
        assert_eq!(parse_price(&json!("0.01")).unwrap(), ("0.01".into(), 1));
        assert_eq!(parse_price(&json!(10)).unwrap(), ("10.00".into(), 1000));
        for bad in [
            json!("0"),
            json!("-1"),
            json!("1.234"),
            json!("1."),
            json!("abc"),
            json!(true),
            json!("1e5"),
            json!("1234567890"),
        ] {
            assert!(parse_price(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn statuses() {
        assert_eq!(Status::Published.after_edit(), Status::Pending);
        assert_eq!(Status::Draft.after_edit(), Status::Draft);
        assert!(!Status::Deleted.can_publish());
        assert!(Status::Failed.can_publish());
    }
}
