//! Entities, validation rules and the report merge: pure code, no AWS.

use andes_shared::http::FieldError;
use andes_shared::ids;
use andes_shared::validation::{plain_text, FieldErrors};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const ROLE_OFFICER: &str = "officer";
pub const NAME_MAX_CHARS: usize = 300;
pub const TEXT_MAX_CHARS: usize = 100;
pub const COMMENTS_MAX_CHARS: usize = 3000;
pub const PLATE_MAX_CHARS: usize = 10;
/// The longest plate a lookup takes, as sent (422 beyond): a bound for safety, well above any
/// real plate, so that a plate of any other shape is simply not found (404).
pub const PLATE_LOOKUP_MAX_CHARS: usize = 32;
/// How far in the future an infraction's timestamp may be (clock skew of the officer's device).
pub const FUTURE_TOLERANCE_SECONDS: i64 = 5 * 60;
/// The longest id a body or path may give, in bytes.
pub const ID_MAX_BYTES: usize = 128;
/// The highest badge number.
pub const BADGE_MAX: u64 = 1_000_000_000_000;

pub const VEHICLE_NOT_FOUND: &str = "No existe un vehículo asociado a la placa";
pub const EMAIL_NOT_FOUND: &str = "El email no se encuentra asociado ninguna persona";
pub const OFFICER_NOT_FOUND: &str = "No se encuentra un oficial asociado a esta token";

/// A person vehicles belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Person {
    pub id: String,
    pub name: String,
    /// Lower-cased; unique.
    pub email: String,
    pub created: String,
    pub updated: String,
    /// What a PATCH may send back as `version` (a stale one is a 409).
    // `default` reads items older than versions; every answer has one, hence required.
    #[serde(default)]
    #[schema(required = true)]
    pub version: u64,
}

/// A vehicle, keyed by its plate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Vehicle {
    /// Normalised: 1 to 10 of `A-Z0-9`.
    pub plate: String,
    pub brand: String,
    pub color: String,
    /// The owning person's id.
    pub owner_id: String,
    pub created: String,
    pub updated: String,
    /// What a PATCH may send back as `version` (a stale one is a 409).
    #[serde(default)]
    #[schema(required = true)]
    pub version: u64,
}

/// An officer; its API key is identity's, only the key's prefix is kept here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Officer {
    pub id: String,
    pub name: String,
    /// Unique.
    pub badge: u64,
    /// `null` until a key is issued.
    #[serde(default)]
    #[schema(required = true)]
    pub key_prefix: Option<String>,
    pub created: String,
    pub updated: String,
    /// What a PATCH may send back as `version` (a stale one is a 409).
    #[serde(default)]
    #[schema(required = true)]
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Infraction {
    pub id: String,
    pub plate: String,
    /// When it happened (from the request), RFC 3339 UTC with milliseconds.
    pub timestamp: String,
    pub comments: String,
    pub officer_id: String,
    #[serde(default)]
    pub officer_name: String,
    /// When it was recorded (server time).
    pub created: String,
}

/// One line of `generar_informe`: the spec's keys plus the seed's (`vehicle_id`, `created_at`)
/// and the `brand`/`color` aliases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReportEntry {
    pub id: String,
    /// The plate (the seed's key).
    pub vehicle_id: String,
    pub comments: String,
    pub officer_id: String,
    /// `created` (the seed's key).
    pub created_at: String,
    pub plate: String,
    pub vehicle_brand: String,
    pub vehicle_color: String,
    pub brand: String,
    pub color: String,
    /// When it happened, RFC 3339 UTC with milliseconds.
    pub timestamp: String,
    pub officer_name: String,
    /// When it was recorded.
    pub created: String,
}

impl ReportEntry {
    pub fn new(vehicle: &Vehicle, infraction: Infraction) -> Self {
        Self {
            vehicle_id: infraction.plate.clone(),
            created_at: infraction.created.clone(),
            plate: infraction.plate,
            vehicle_brand: vehicle.brand.clone(),
            vehicle_color: vehicle.color.clone(),
            brand: vehicle.brand.clone(),
            color: vehicle.color.clone(),
            id: infraction.id,
            comments: infraction.comments,
            officer_id: infraction.officer_id,
            timestamp: infraction.timestamp,
            officer_name: infraction.officer_name,
            created: infraction.created,
        }
    }
}

/// The report of every vehicle, merged newest first (by timestamp, then created, then id).
pub fn merge_report(vehicles: Vec<(Vehicle, Vec<Infraction>)>) -> Vec<ReportEntry> {
    let mut entries: Vec<ReportEntry> = vehicles
        .into_iter()
        .flat_map(|(vehicle, infractions)| {
            infractions
                .into_iter()
                .map(move |infraction| ReportEntry::new(&vehicle, infraction))
                .collect::<Vec<_>>()
        })
        .collect();
    entries.sort_by(|a, b| {
        b.timestamp
            .cmp(&a.timestamp)
            .then_with(|| b.created.cmp(&a.created))
            .then_with(|| b.id.cmp(&a.id))
    });
    entries
}

/// A vehicle's plate as an admin registers it: upper-case, spaces and hyphens removed, 1–10 of
/// `[A-Z0-9]`.
pub fn normalize_plate(raw: &str) -> Result<String, String> {
    let plate: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_uppercase();
    if plate.is_empty() {
        return Err("is required".into());
    }
    if plate.chars().count() > PLATE_MAX_CHARS {
        return Err(format!("must be at most {PLATE_MAX_CHARS} letters and digits"));
    }
    if !plate.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
        return Err("may only contain letters A-Z and digits".into());
    }
    Ok(plate)
}

/// A plate to look a vehicle up by (`placa_patente`, the admin `{plate}` path): at most
/// [`PLATE_LOOKUP_MAX_CHARS`] characters as sent, else an error (422). Normalised like
/// [`normalize_plate`]; `None` when no vehicle can have it (its normalised form is not a plate
/// [`normalize_plate`] accepts), so that the caller answers 404 without reading the table —
/// whatever its shape, an unknown plate is not found.
pub fn lookup_plate(raw: &str) -> Result<Option<String>, String> {
    if raw.chars().count() > PLATE_LOOKUP_MAX_CHARS {
        return Err(format!("must be at most {PLATE_LOOKUP_MAX_CHARS} characters"));
    }
    Ok(normalize_plate(raw).ok())
}

/// Trimmed; 1..=max characters on one line, no control characters or bidirectional overrides.
pub fn normalize_text(raw: &str, max: usize) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > max {
        return Err(format!("must be 1 to {max} characters"));
    }
    plain_text(text)?;
    if text.contains(['\n', '\t']) {
        return Err("must be a single line (no newline or tab)".into());
    }
    Ok(text.to_string())
}

/// Free text of up to `max` characters (empty allowed, newlines allowed), no other control
/// characters and no bidirectional overrides.
pub fn check_comments(raw: &str, max: usize) -> Result<String, String> {
    if raw.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    plain_text(raw)?;
    Ok(raw.to_string())
}

/// The `version` a PATCH may carry: the version the client read. With it a stale write is a
/// 409; without it the change applies to whatever version is current.
pub fn parse_version(value: &Value) -> Result<u64, String> {
    match value.as_u64() {
        Some(version) if version >= 1 => Ok(version),
        _ => Err("must be a positive integer (the version you read)".into()),
    }
}

/// The optional `version` of a PATCH body (a create body has none).
fn client_version(errors: &mut FieldErrors, body: &Map<String, Value>, partial: bool) -> Option<u64> {
    match body.get("version") {
        Some(value) if partial && !value.is_null() => errors.check("version", parse_version(value)),
        _ => None,
    }
}

pub fn normalize_email(raw: &str) -> Result<String, String> {
    identity::validation::normalize_email(raw)
}

/// A positive integer (a JSON number, or a string of digits).
pub fn parse_badge(value: &Value) -> Result<u64, String> {
    let badge = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    match badge {
        Some(b) if (1..=BADGE_MAX).contains(&b) => Ok(b),
        _ => Err("must be a positive integer".into()),
    }
}

/// Parses an infraction's timestamp (RFC 3339; a time without offset is taken as UTC) and
/// refuses one more than five minutes after `now`. Returns it normalised to UTC.
pub fn parse_timestamp(raw: &str, now: DateTime<Utc>) -> Result<String, String> {
    let raw = raw.trim();
    let parsed = DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            [
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M",
            ]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
            .map(|naive| naive.and_utc())
            .ok_or(())
        });
    let Ok(time) = parsed else {
        return Err("is not a valid RFC 3339 date-time (e.g. 2024-05-01T13:45:00Z)".into());
    };
    if time > now + Duration::seconds(FUTURE_TOLERANCE_SECONDS) {
        return Err("is in the future".into());
    }
    if !(1900..=9999).contains(&chrono::Datelike::year(&time)) {
        return Err("is out of range".into());
    }
    Ok(ids::rfc3339(time))
}

/// A valid `cargar_infraccion` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInfraction {
    /// The normalised plate; `None` when no vehicle can have it (404 without a read).
    pub plate: Option<String>,
    pub timestamp: String,
    pub comments: String,
}

/// `placa_patente` and `comentarios` are required strings; `timestamp` is optional (the seed
/// dated every infraction itself and its clients send none): absent or null, it is `now`.
pub fn validate_infraction(body: &Map<String, Value>, now: DateTime<Utc>) -> Result<NewInfraction, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    let plate = errors
        .required_text(body, "placa_patente")
        .and_then(|p| errors.check("placa_patente", lookup_plate(p)));
    let timestamp = match body.get("timestamp") {
        None | Some(Value::Null) => Some(ids::rfc3339(now)),
        Some(_) => errors
            .text(body, "timestamp")
            .and_then(|t| errors.check("timestamp", parse_timestamp(t, now))),
    };
    let comments = errors
        .required_text(body, "comentarios")
        .and_then(|c| errors.check("comentarios", check_comments(c, COMMENTS_MAX_CHARS)));
    errors.finish(|| NewInfraction {
        plate: plate.flatten(),
        timestamp: timestamp.unwrap_or_default(),
        comments: comments.unwrap_or_default(),
    })
}

/// Person fields of a create (`partial = false`) or PATCH (`partial = true`) body.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PersonInput {
    pub name: Option<String>,
    pub email: Option<String>,
    /// PATCH only: the version the client read.
    pub version: Option<u64>,
}

pub fn validate_person(body: &Map<String, Value>, partial: bool) -> Result<PersonInput, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    errors.unknown(
        body,
        if partial {
            &["name", "email", "version"]
        } else {
            &["name", "email"]
        },
    );
    let get = |errors: &mut FieldErrors, field: &str| {
        if partial {
            errors.text(body, field)
        } else {
            errors.required_text(body, field)
        }
    };
    let name = get(&mut errors, "name").and_then(|n| errors.check("name", normalize_text(n, NAME_MAX_CHARS)));
    let email = get(&mut errors, "email").and_then(|e| errors.check("email", normalize_email(e)));
    let version = client_version(&mut errors, body, partial);
    errors.finish(|| PersonInput { name, email, version })
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct VehicleInput {
    pub plate: Option<String>,
    pub brand: Option<String>,
    pub color: Option<String>,
    pub owner_id: Option<String>,
    /// PATCH only: the version the client read.
    pub version: Option<u64>,
}

pub fn validate_vehicle(body: &Map<String, Value>, partial: bool) -> Result<VehicleInput, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    if partial {
        errors.unknown(body, &["brand", "color", "owner_id", "version"]);
    } else {
        errors.unknown(body, &["plate", "brand", "color", "owner_id"]);
    }
    let get = |errors: &mut FieldErrors, field: &str| {
        if partial {
            errors.text(body, field)
        } else {
            errors.required_text(body, field)
        }
    };
    let plate = if partial {
        None
    } else {
        get(&mut errors, "plate").and_then(|p| errors.check("plate", normalize_plate(p)))
    };
    let brand = get(&mut errors, "brand").and_then(|b| errors.check("brand", normalize_text(b, TEXT_MAX_CHARS)));
    let color = get(&mut errors, "color").and_then(|c| errors.check("color", normalize_text(c, TEXT_MAX_CHARS)));
    let owner_id = get(&mut errors, "owner_id").and_then(|o| errors.check("owner_id", normalize_id(o)));
    let version = client_version(&mut errors, body, partial);
    errors.finish(|| VehicleInput {
        plate,
        brand,
        color,
        owner_id,
        version,
    })
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OfficerInput {
    pub name: Option<String>,
    pub badge: Option<u64>,
    /// PATCH only: the version the client read.
    pub version: Option<u64>,
}

pub fn validate_officer(body: &Map<String, Value>, partial: bool) -> Result<OfficerInput, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    errors.unknown(
        body,
        if partial {
            &["name", "badge", "version"]
        } else {
            &["name", "badge"]
        },
    );
    let name = if partial {
        errors.text(body, "name")
    } else {
        errors.required_text(body, "name")
    }
    .and_then(|n| errors.check("name", normalize_text(n, NAME_MAX_CHARS)));
    let badge = match body.get("badge") {
        None | Some(Value::Null) if partial => None,
        None | Some(Value::Null) => {
            errors.add("badge", "is required");
            None
        }
        Some(value) => errors.check("badge", parse_badge(value)),
    };
    let version = client_version(&mut errors, body, partial);
    errors.finish(|| OfficerInput { name, badge, version })
}

/// An id given in a body or path: 1–128 characters without `#` or control characters.
pub fn normalize_id(raw: &str) -> Result<String, String> {
    let id = raw.trim();
    if id.is_empty() || id.len() > ID_MAX_BYTES || id.chars().any(|c| c.is_control() || c == '#') {
        return Err("is not a valid id".into());
    }
    Ok(id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn plates_are_normalised() {
        assert_eq!(normalize_plate("gpz 402").unwrap(), "GPZ402");
        assert_eq!(normalize_plate(" ab-cd-12 ").unwrap(), "ABCD12");
        assert_eq!(normalize_plate("ABCDEFGHIJ").unwrap(), "ABCDEFGHIJ");
        assert!(normalize_plate("ABCDEFGHIJK").is_err());
        assert!(normalize_plate("").is_err());
        assert!(normalize_plate(" - ").is_err());
        assert!(normalize_plate("AB#1").is_err());
        assert!(normalize_plate("ÑANDU1").is_err());
        assert!(normalize_plate("ab\u{0}1").is_err());
    }

    #[test]
    fn lookup_plates_are_normalised_and_any_shape_up_to_32_characters_is_a_plate_to_look_for() {
        assert_eq!(lookup_plate("GPZ402").unwrap().as_deref(), Some("GPZ402"));
        assert_eq!(lookup_plate(" gpz-4 02 ").unwrap().as_deref(), Some("GPZ402"));
        // Shapes no vehicle can have: found by nobody (404), never a validation error.
        for absent in [
            "PLACA_NO_EXISTENTE",
            "",
            " - ",
            "AB#1",
            "ÑANDU1",
            "ab\u{0}1",
            "\u{202E}GPZ402",
            "ABCDEFGHIJK",
            &"X".repeat(PLATE_LOOKUP_MAX_CHARS),
            &"é".repeat(PLATE_LOOKUP_MAX_CHARS),
        ] {
            assert_eq!(lookup_plate(absent), Ok(None), "{absent:?}");
        }
        // The bound is on the characters sent (spaces and hyphens included), not on bytes.
        for long in [
            "X".repeat(PLATE_LOOKUP_MAX_CHARS + 1),
            "é".repeat(PLATE_LOOKUP_MAX_CHARS + 1),
            format!("GPZ402{}", " ".repeat(PLATE_LOOKUP_MAX_CHARS)),
        ] {
            assert!(lookup_plate(&long).is_err(), "{long:?}");
        }
    }

    #[test]
    fn infraction_plates_are_422_only_when_missing_not_a_string_or_too_long() {
        let with_plate = |plate: Value| json!({"placa_patente": plate, "comentarios": "Comentarios del oficial"});
        let unknown = validate_infraction(&body(with_plate(json!("PLACA_NO_EXISTENTE"))), now()).unwrap();
        assert_eq!(unknown.plate, None);
        assert_eq!(
            validate_infraction(&body(with_plate(json!("gpz402"))), now())
                .unwrap()
                .plate
                .as_deref(),
            Some("GPZ402")
        );
        for bad in [
            json!(null),
            json!(402),
            json!(true),
            json!(["GPZ402"]),
            json!({"placa": "GPZ402"}),
            json!("X".repeat(PLATE_LOOKUP_MAX_CHARS + 1)),
        ] {
            assert_eq!(
                fields(validate_infraction(&body(with_plate(bad.clone())), now()).unwrap_err()),
                ["placa_patente"],
                "{bad}"
            );
        }
        assert_eq!(
            fields(validate_infraction(&body(json!({"comentarios": ""})), now()).unwrap_err()),
            ["placa_patente"]
        );
    }

    #[test]
    fn an_infraction_without_timestamp_happened_now() {
        for absent in [
            json!({"placa_patente": "GPZ402", "comentarios": "Comentarios del oficial"}),
            json!({"placa_patente": "GPZ402", "comentarios": "Comentarios del oficial", "timestamp": null}),
        ] {
            assert_eq!(
                validate_infraction(&body(absent), now()).unwrap().timestamp,
                "2024-05-01T12:00:00.000Z"
            );
        }
        for bad in [json!(""), json!(1714564800), json!("ayer")] {
            let sent = json!({"placa_patente": "GPZ402", "comentarios": "", "timestamp": bad});
            assert_eq!(
                fields(validate_infraction(&body(sent), now()).unwrap_err()),
                ["timestamp"]
            );
        }
    }

    #[test]
    fn timestamps_are_parsed_normalised_and_not_in_the_future() {
        assert_eq!(
            parse_timestamp("2024-05-01T09:00:00-03:00", now()).unwrap(),
            "2024-05-01T12:00:00.000Z"
        );
        assert_eq!(
            parse_timestamp("2024-04-30 10:11:12", now()).unwrap(),
            "2024-04-30T10:11:12.000Z"
        );
        assert_eq!(
            parse_timestamp("2024-05-01T12:04:59Z", now()).unwrap(),
            "2024-05-01T12:04:59.000Z"
        );
        assert!(parse_timestamp("2024-05-01T12:05:01Z", now()).is_err());
        assert!(parse_timestamp("2030-01-01T00:00:00Z", now()).is_err());
        assert!(parse_timestamp("yesterday", now()).is_err());
        assert!(parse_timestamp("", now()).is_err());
        assert!(parse_timestamp("2024-13-01T00:00:00Z", now()).is_err());
    }

    #[test]
    fn infraction_bodies_are_validated_field_by_field() {
        let valid = validate_infraction(
            &body(json!({"placa_patente": "gpz402", "timestamp": "2024-05-01T10:00:00Z", "comentarios": ""})),
            now(),
        )
        .unwrap();
        assert_eq!(
            valid,
            NewInfraction {
                plate: Some("GPZ402".into()),
                timestamp: "2024-05-01T10:00:00.000Z".into(),
                comments: String::new()
            }
        );
        assert_eq!(
            fields(validate_infraction(&body(json!({})), now()).unwrap_err()),
            ["placa_patente", "comentarios"]
        );
        let bad = json!({"placa_patente": 12, "timestamp": "2099-01-01T00:00:00Z", "comentarios": "x".repeat(3001)});
        assert_eq!(
            fields(validate_infraction(&body(bad), now()).unwrap_err()),
            ["placa_patente", "timestamp", "comentarios"]
        );
        let max = json!({"placa_patente": "A1", "timestamp": "2024-05-01T10:00:00Z", "comentarios": "é".repeat(3000)});
        assert!(validate_infraction(&body(max), now()).is_ok());
    }

    #[test]
    fn person_bodies() {
        let ok = validate_person(&body(json!({"name": " Pedro ", "email": "Pedro@Gmail.com"})), false).unwrap();
        assert_eq!(
            ok,
            PersonInput {
                name: Some("Pedro".into()),
                email: Some("pedro@gmail.com".into()),
                version: None
            }
        );
        assert_eq!(
            fields(validate_person(&body(json!({})), false).unwrap_err()),
            ["name", "email"]
        );
        assert_eq!(
            fields(validate_person(&body(json!({"name": "x".repeat(301), "email": "nope"})), false).unwrap_err()),
            ["name", "email"]
        );
        assert!(validate_person(&body(json!({"name": "x".repeat(300), "email": "a@b.co"})), false).is_ok());
        assert_eq!(validate_person(&body(json!({})), true).unwrap(), PersonInput::default());
        assert_eq!(
            fields(validate_person(&body(json!({"id": "x"})), true).unwrap_err()),
            ["id"]
        );
        // Only a PATCH may carry the version it read.
        assert_eq!(
            validate_person(&body(json!({"name": "P", "version": 3})), true)
                .unwrap()
                .version,
            Some(3)
        );
        assert_eq!(
            fields(validate_person(&body(json!({"version": 0})), true).unwrap_err()),
            ["version"]
        );
        assert_eq!(
            fields(validate_person(&body(json!({"version": "3"})), true).unwrap_err()),
            ["version"]
        );
        assert_eq!(
            fields(validate_person(&body(json!({"name": "P", "email": "a@b.co", "version": 1})), false).unwrap_err()),
            ["version"]
        );
    }

    #[test]
    fn free_text_refuses_control_characters() {
        for bad in [
            "Pe\u{0}dro",
            "Pe\u{7}dro",
            "Pe\u{85}dro",
            "\u{202E}ordeP",
            "Pe\ndro",
            "Pe\tdro",
        ] {
            assert!(normalize_text(bad, NAME_MAX_CHARS).is_err(), "{bad:?}");
        }
        assert_eq!(normalize_text("  Pedro Pérez ", NAME_MAX_CHARS).unwrap(), "Pedro Pérez");
        assert_eq!(
            fields(validate_vehicle(&body(json!({"brand": "Fo\u{0}rd", "color": "Ro\u{202E}jo"})), true).unwrap_err()),
            ["brand", "color"]
        );
        assert_eq!(
            fields(validate_officer(&body(json!({"name": "O\u{1b}[31m"})), true).unwrap_err()),
            ["name"]
        );
        let infraction = |comments: &str| json!({"placa_patente": "A1", "timestamp": "2024-05-01T10:00:00Z", "comentarios": comments});
        assert!(validate_infraction(&body(infraction("línea 1\nlínea 2\tfin")), now()).is_ok());
        for bad in ["nul\u{0}", "cr\r", "\u{202D}x", "esc\u{1b}"] {
            assert_eq!(
                fields(validate_infraction(&body(infraction(bad)), now()).unwrap_err()),
                ["comentarios"]
            );
        }
    }

    #[test]
    fn vehicle_bodies() {
        let ok = validate_vehicle(
            &body(json!({"plate": "gpz-402", "brand": "Ford", "color": "Rojo", "owner_id": "p1"})),
            false,
        )
        .unwrap();
        assert_eq!(ok.plate.as_deref(), Some("GPZ402"));
        assert_eq!(ok.version, None);
        assert_eq!(
            fields(validate_vehicle(&body(json!({"brand": ""})), false).unwrap_err()),
            ["plate", "brand", "color", "owner_id"]
        );
        assert_eq!(
            fields(validate_vehicle(&body(json!({"plate": "X1"})), true).unwrap_err()),
            ["plate"]
        );
        assert_eq!(
            validate_vehicle(&body(json!({"color": "Azul"})), true)
                .unwrap()
                .color
                .as_deref(),
            Some("Azul")
        );
        assert!(validate_vehicle(&body(json!({"owner_id": "PERSON#1"})), true).is_err());
    }

    #[test]
    fn officer_bodies() {
        assert_eq!(
            validate_officer(&body(json!({"name": "Oficial", "badge": 7})), false)
                .unwrap()
                .badge,
            Some(7)
        );
        assert_eq!(
            validate_officer(&body(json!({"name": "Oficial", "badge": "8"})), false)
                .unwrap()
                .badge,
            Some(8)
        );
        for bad in [json!(0), json!(-1), json!(1.5), json!("x"), json!(true)] {
            assert_eq!(
                fields(validate_officer(&body(json!({"name": "O", "badge": bad})), false).unwrap_err()),
                ["badge"]
            );
        }
        assert_eq!(
            fields(validate_officer(&body(json!({})), false).unwrap_err()),
            ["name", "badge"]
        );
        assert_eq!(
            validate_officer(&body(json!({})), true).unwrap(),
            OfficerInput::default()
        );
    }

    fn vehicle(plate: &str) -> Vehicle {
        Vehicle {
            plate: plate.into(),
            brand: "Ford".into(),
            color: "Rojo".into(),
            owner_id: "p".into(),
            created: "c".into(),
            updated: "u".into(),
            version: 1,
        }
    }

    fn infraction(id: &str, plate: &str, timestamp: &str) -> Infraction {
        Infraction {
            id: id.into(),
            plate: plate.into(),
            timestamp: timestamp.into(),
            comments: "c".into(),
            officer_id: "o".into(),
            officer_name: "n".into(),
            created: "2024-01-01T00:00:00.000Z".into(),
        }
    }

    #[test]
    fn report_merges_vehicles_newest_first_with_every_key() {
        let report = merge_report(vec![
            (
                vehicle("AAA1"),
                vec![
                    infraction("1", "AAA1", "2024-01-01T00:00:00.000Z"),
                    infraction("3", "AAA1", "2024-03-01T00:00:00.000Z"),
                ],
            ),
            (
                vehicle("BBB2"),
                vec![infraction("2", "BBB2", "2024-02-01T00:00:00.000Z")],
            ),
            (vehicle("CCC3"), vec![]),
        ]);
        assert_eq!(
            report.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["3", "2", "1"]
        );
        let json = serde_json::to_value(&report[1]).unwrap();
        for key in [
            "id",
            "vehicle_id",
            "comments",
            "officer_id",
            "created_at",
            "plate",
            "vehicle_brand",
            "vehicle_color",
            "brand",
            "color",
            "timestamp",
            "officer_name",
            "created",
        ] {
            assert!(json.get(key).is_some(), "{key}");
        }
        assert_eq!(json["vehicle_id"], "BBB2");
        assert_eq!(json["vehicle_brand"], "Ford");
        assert!(merge_report(vec![]).is_empty());
    }
}
