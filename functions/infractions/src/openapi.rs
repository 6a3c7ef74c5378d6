//! The infractions API's OpenAPI document: its routes, described on the handlers themselves, and the
//! request bodies as the handlers accept them (with the handlers' own bounds).

use andes_shared::openapi::{described, integer, one_of_strings, text};
use identity::validation::MAX_EMAIL_CHARS;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::domain::{
    BADGE_MAX, COMMENTS_MAX_CHARS, FUTURE_TOLERANCE_SECONDS, ID_MAX_BYTES, NAME_MAX_CHARS, PLATE_LOOKUP_MAX_CHARS,
    PLATE_MAX_CHARS, TEXT_MAX_CHARS,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Andes infractions API",
        description = "Officers record traffic infractions, anyone reads a person's report, admins manage \
                       persons, vehicles and officers."
    ),
    paths(
        crate::handlers::infractions::cargar_infraccion,
        cargar_infraccion_other_methods,
        crate::handlers::infractions::generar_informe,
        crate::handlers::persons::create,
        crate::handlers::persons::list,
        crate::handlers::persons::get,
        crate::handlers::persons::update,
        crate::handlers::persons::delete,
        crate::handlers::vehicles::create,
        crate::handlers::vehicles::list,
        crate::handlers::vehicles::get,
        crate::handlers::vehicles::update,
        crate::handlers::vehicles::delete,
        crate::handlers::officers::create,
        crate::handlers::officers::list,
        crate::handlers::officers::get,
        crate::handlers::officers::update,
        crate::handlers::officers::delete,
    )
)]
struct InfractionsApi;

/// The document as the code describes it (`andes-openapi` completes and writes it).
pub fn document() -> utoipa::openapi::OpenApi {
    InfractionsApi::openapi()
}

/// Any other method: the `ANY` route of the path reaches `cargar_infraccion`, which answers 405
/// before looking at anything else (API Gateway alone would answer 404).
#[utoipa::path(
    method(get, put, delete, patch),
    path = "/infractions/cargar_infraccion",
    responses((status = 405, description = "Only `POST` is allowed on this path"))
)]
#[allow(dead_code)]
fn cargar_infraccion_other_methods() {}

/// `?cascade=` of `DELETE /infractions/admin/persons/{id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CascadeParam {
    #[param(schema_with = cascade)]
    cascade: Option<String>,
}

// A `schema_with` parameter drops its doc comment: the schemas carry the descriptions.
fn cascade() -> Schema {
    let why = "`true` deletes the person's vehicles (with their infractions) first; `false`, empty or absent \
               keeps a person with vehicles (409)";
    described(one_of_strings(["true", "false"]), why)
}

const ONE_LINE: &str = "One line of plain text (trimmed; no control character or bidirectional override)";

fn placa_patente() -> Schema {
    let why = "The plate as written (case, spaces and hyphens do not matter); one no vehicle has is a 404, \
               whatever its shape";
    described(text(0, PLATE_LOOKUP_MAX_CHARS), why)
}
fn comentarios() -> Schema {
    let why =
        "May be empty; newlines and tabs are allowed, other control characters and bidirectional overrides are not";
    described(text(0, COMMENTS_MAX_CHARS), why)
}
fn timestamp() -> Schema {
    let minutes = FUTURE_TOLERANCE_SECONDS / 60;
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .description(Some(format!(
            "When it happened: RFC 3339 (a time without offset is UTC), years 1900 to 9999, at most {minutes} \
             minutes ahead; absent or `null`: now"
        )))
        .into()
}
fn name() -> Schema {
    described(text(1, NAME_MAX_CHARS), ONE_LINE)
}
fn brand_or_color() -> Schema {
    described(text(1, TEXT_MAX_CHARS), ONE_LINE)
}
fn email() -> Schema {
    described(
        andes_shared::openapi::email(MAX_EMAIL_CHARS),
        "Stored lower-cased; unique",
    )
}
/// 1 to [`PLATE_MAX_CHARS`] letters and digits once spaces and hyphens are dropped.
fn plate() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!(r"^[\s-]*([A-Za-z0-9][\s-]*){{1,{PLATE_MAX_CHARS}}}$")))
        .description(Some("Stored upper-cased without spaces and hyphens; unique"))
        .into()
}
fn owner_id() -> Schema {
    let why = format!("A person's id (at most {ID_MAX_BYTES} bytes, no `#`); no such person is a 422");
    described(text(1, ID_MAX_BYTES), why)
}
fn badge() -> Schema {
    badge_of(false)
}
fn badge_or_null() -> Schema {
    badge_of(true)
}
/// A JSON integer, or a string of its digits (`parse_badge`).
fn badge_of(nullable: bool) -> Schema {
    let digits = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^\s*\+?[0-9]+\s*$"));
    let mut one_of = OneOfBuilder::new().item(integer(1, BADGE_MAX as i64)).item(digits);
    let mut description = format!("A number from 1 to {BADGE_MAX} (or its digits as a string); unique");
    if nullable {
        one_of = one_of.item(ObjectBuilder::new().schema_type(Type::Null));
        description.push_str("; `null` leaves it as it is");
    }
    one_of.description(Some(description)).into()
}
fn version() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .minimum(Some(1.0))
        .description(Some(
            "The `version` you read: then a stale write is a 409; absent or `null`: applies to the current one",
        ))
        .into()
}

/// `POST /infractions/cargar_infraccion` (other fields are ignored).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct InfraccionBody {
    #[schema(schema_with = placa_patente)]
    placa_patente: String,
    #[schema(schema_with = comentarios)]
    comentarios: String,
    #[schema(schema_with = timestamp)]
    timestamp: Option<String>,
}

/// `POST /infractions/admin/persons`.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct PersonBody {
    #[schema(schema_with = name)]
    name: String,
    #[schema(schema_with = email)]
    email: String,
}

/// `PATCH /infractions/admin/persons/{id}`: only the fields sent change.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct PersonPatch {
    #[schema(schema_with = name)]
    name: Option<String>,
    #[schema(schema_with = email)]
    email: Option<String>,
    #[schema(schema_with = version)]
    version: Option<u64>,
}

/// `POST /infractions/admin/vehicles`.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct VehicleBody {
    #[schema(schema_with = plate)]
    plate: String,
    #[schema(schema_with = brand_or_color)]
    brand: String,
    #[schema(schema_with = brand_or_color)]
    color: String,
    #[schema(schema_with = owner_id)]
    owner_id: String,
}

/// `PATCH /infractions/admin/vehicles/{plate}`: only the fields sent change; the plate stays.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct VehiclePatch {
    #[schema(schema_with = brand_or_color)]
    brand: Option<String>,
    #[schema(schema_with = brand_or_color)]
    color: Option<String>,
    #[schema(schema_with = owner_id)]
    owner_id: Option<String>,
    #[schema(schema_with = version)]
    version: Option<u64>,
}

/// `POST /infractions/admin/officers`.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct OfficerBody {
    #[schema(schema_with = name)]
    name: String,
    #[schema(schema_with = badge)]
    badge: u64,
}

/// `PATCH /infractions/admin/officers/{id}`: only the fields sent change.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct OfficerPatch {
    #[schema(schema_with = name)]
    name: Option<String>,
    #[schema(schema_with = badge_or_null)]
    badge: Option<u64>,
    #[schema(schema_with = version)]
    version: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{validate_infraction, validate_officer, validate_person, validate_vehicle};
    use andes_shared::http::FieldError;
    use serde_json::{json, Map, Value};
    use utoipa::PartialSchema;

    type Validate = fn(&Map<String, Value>) -> Vec<FieldError>;

    /// Each body's documented fields, required fields and unknown-field policy are the ones its
    /// validator applies.
    #[test]
    fn bodies_document_the_fields_their_validators_take() {
        let bodies: [(&str, Value, Validate); 7] = [
            ("infraction", schema::<InfraccionBody>(), |b| {
                validate_infraction(b, chrono::Utc::now()).err().unwrap_or_default()
            }),
            ("person", schema::<PersonBody>(), |b| {
                validate_person(b, false).err().unwrap_or_default()
            }),
            ("person patch", schema::<PersonPatch>(), |b| {
                validate_person(b, true).err().unwrap_or_default()
            }),
            ("vehicle", schema::<VehicleBody>(), |b| {
                validate_vehicle(b, false).err().unwrap_or_default()
            }),
            ("vehicle patch", schema::<VehiclePatch>(), |b| {
                validate_vehicle(b, true).err().unwrap_or_default()
            }),
            ("officer", schema::<OfficerBody>(), |b| {
                validate_officer(b, false).err().unwrap_or_default()
            }),
            ("officer patch", schema::<OfficerPatch>(), |b| {
                validate_officer(b, true).err().unwrap_or_default()
            }),
        ];
        for (body, schema, validate) in bodies {
            let documented: Vec<&str> = schema["properties"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|fields| fields.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let missing: Vec<String> = validate(&Map::new())
                .into_iter()
                .filter(|e| e.message == "is required")
                .map(|e| e.field)
                .collect();
            assert_eq!(missing, required, "{body}: required fields");
            let every: Map<String, Value> = documented
                .iter()
                .map(|field| (field.to_string(), json!(true)))
                .collect();
            let unknown = |errors: Vec<FieldError>| errors.into_iter().any(|e| e.message == "is not a known field");
            assert!(!unknown(validate(&every)), "{body}: a documented field is refused");
            let mut extra = every.clone();
            extra.insert("not_a_field".into(), json!(true));
            let closed = schema["additionalProperties"] == json!(false);
            assert_eq!(unknown(validate(&extra)), closed, "{body}: unknown fields");
        }
    }

    fn schema<T: PartialSchema>() -> Value {
        serde_json::to_value(T::schema()).unwrap()
    }
}
