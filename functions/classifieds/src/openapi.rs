//! The classifieds API's OpenAPI document: its routes, described on the handlers themselves, and the
//! request bodies and query parameters as the handlers accept them (with the handlers' own bounds).

use andes_shared::openapi::{
    array_of, described, email, integer, nullable, one_of_strings, patch_of, text, with_default, with_pattern,
};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, OpenApi, PartialSchema, ToSchema};

use crate::domain::{
    ImageType, BRAKE_SYSTEMS, COLORS, COOLINGS, IGNITIONS, MAX_DESCRIPTION, MAX_EMAIL_BYTES, MAX_IMAGES,
    MAX_IMAGE_BYTES, MAX_MESSAGE_CHARS, MAX_MILEAGE, MAX_NAME_CHARS, MAX_PHONE_CHARS, MAX_PRICE_CENTS,
    MAX_SALES_PHRASE, MIN_YEAR, OPTIONS, ORIGINS, PHONE_DIGITS, PHONE_SYMBOLS, TYPES,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Andes classifieds API",
        description = "Motorcycle classified ads: the catalog, ads and their photos, chats between buyers and \
                       sellers, seller profiles."
    ),
    paths(
        crate::handlers::catalog::list_states,
        crate::handlers::catalog::get_state,
        crate::handlers::catalog::list_cities,
        crate::handlers::catalog::get_city,
        crate::handlers::catalog::list_brands,
        crate::handlers::catalog::get_brand,
        crate::handlers::catalog::list_models,
        crate::handlers::catalog::get_model,
        crate::handlers::catalog::list_versions,
        crate::handlers::catalog::get_version,
        crate::handlers::ads::create,
        crate::handlers::ads::get,
        crate::handlers::ads::update,
        crate::handlers::ads::delete,
        crate::handlers::ads::publish,
        crate::handlers::ads::list,
        crate::handlers::ads::mine,
        crate::handlers::images::request_upload,
        crate::handlers::images::delete,
        crate::handlers::chats::message_ad,
        crate::handlers::chats::mine,
        crate::handlers::chats::messages,
        crate::handlers::chats::post_message,
        crate::handlers::profile::get,
        crate::handlers::profile::put,
    )
)]
struct ClassifiedsApi;

/// The document as the code describes it (`andes-openapi` completes and writes it).
pub fn document() -> utoipa::openapi::OpenApi {
    ClassifiedsApi::openapi()
}

/// An integer of at least `min` (the years' upper bound is next year: a constant would drift).
fn at_least(min: i64) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int64,
        )))
        .minimum(Some(min as f64))
        .into()
}
fn catalog_id() -> Schema {
    integer(0, u32::MAX.into())
}
fn nullable_catalog_id() -> Schema {
    nullable(catalog_id())
}
fn kind() -> Schema {
    one_of_strings(TYPES.iter().copied())
}
fn origin() -> Schema {
    one_of_strings(ORIGINS.iter().copied())
}
pub(crate) fn color() -> Schema {
    one_of_strings(COLORS.iter().copied())
}
pub(crate) fn brake_system() -> Schema {
    one_of_strings(BRAKE_SYSTEMS.iter().copied())
}
pub(crate) fn ignition() -> Schema {
    one_of_strings(IGNITIONS.iter().copied())
}
fn cooling() -> Schema {
    one_of_strings(COOLINGS.iter().copied())
}
fn year() -> Schema {
    at_least(MIN_YEAR.into())
}
fn mileage() -> Schema {
    integer(0, MAX_MILEAGE.into())
}
fn sales_phrase() -> Schema {
    text(0, MAX_SALES_PHRASE)
}
fn description() -> Schema {
    text(0, MAX_DESCRIPTION)
}
fn options() -> Schema {
    ArrayBuilder::new()
        .items(RefOr::T(one_of_strings(OPTIONS.iter().copied())))
        .into()
}
fn string() -> Schema {
    ObjectBuilder::new().schema_type(Type::String).into()
}
/// 1 to 10 letters, digits or hyphens once spaces are removed (stored upper-case).
fn license_plate() -> Schema {
    nullable(with_pattern(string(), r"^\s*[A-Za-z0-9-](?: *[A-Za-z0-9-]){0,9}\s*$"))
}
/// A price as [`crate::domain::parse_price`] reads it: up to 9 digits and 2 decimals.
fn price_text() -> Schema {
    with_pattern(string(), r"^\s*[0-9]{1,9}(?:\.[0-9]{1,2})?\s*$")
}
/// A price: a decimal string or a JSON number, greater than 0, with at most 2 decimals.
fn price() -> Schema {
    let number = ObjectBuilder::new()
        .schema_type(Type::Number)
        .exclusive_minimum(Some(0.0))
        .maximum(Some(MAX_PRICE_CENTS as f64 / 100.0));
    OneOfBuilder::new().item(price_text()).item(number).into()
}
fn image_order() -> Schema {
    array_of(String::schema(), MAX_IMAGES)
}
pub(crate) fn content_type() -> Schema {
    one_of_strings([ImageType::Jpeg, ImageType::Png, ImageType::Webp].map(ImageType::content_type))
}
pub(crate) fn image_size() -> Schema {
    integer(1, MAX_IMAGE_BYTES as i64)
}
pub(crate) fn message_text() -> Schema {
    text(1, MAX_MESSAGE_CHARS)
}
pub(crate) fn sender_name() -> Schema {
    nullable(text(1, MAX_NAME_CHARS))
}
pub(crate) fn sender_email() -> Schema {
    nullable(email(MAX_EMAIL_BYTES))
}
/// `PHONE_DIGITS` digits among at most `MAX_PHONE_CHARS` digits and `PHONE_SYMBOLS`.
pub(crate) fn phone() -> Schema {
    // Escaped only where a character class needs it (Unicode-mode patterns refuse other escapes).
    let symbols: String = PHONE_SYMBOLS
        .chars()
        .map(|c| {
            if "\\]^-".contains(c) {
                format!("\\{c}")
            } else {
                c.into()
            }
        })
        .collect();
    let (min, max) = (PHONE_DIGITS.start(), MAX_PHONE_CHARS);
    nullable(with_pattern(
        string(),
        format!(r"^\s*[0-9{symbols}]{{{min},{max}}}\s*$"),
    ))
}
pub(crate) fn message_author() -> Schema {
    one_of_strings(["buyer", "seller"])
}
// Query parameters whose schema is a function lose their doc comment: their schema says it.
fn non_negative() -> Schema {
    integer(0, i64::MAX)
}
fn model_year_bound() -> Schema {
    described(non_negative(), "Model year.")
}
fn sort() -> Schema {
    let schema = with_default(one_of_strings(["newest", "top_offer"]), "newest".into());
    described(
        schema,
        "`newest`: published last first; `top_offer`: top offers first, then newest.",
    )
}
fn version() -> Schema {
    described(
        non_negative(),
        "The ad's `version` as read: 409 if it has changed. Without it the write applies to the ad as it is.",
    )
}

/// `POST /ads`: a draft. Catalog ids must exist, `version_id` (`null` for none) must be a version
/// of the model; `fabrication_year` is at most next year and `model_year` from it to next year;
/// `price` is greater than 0 (e.g. `"12500.00"`); `license_plate` is `null` for none; repeated
/// `options` count once; enumerated values are taken case-insensitively; free texts refuse
/// control characters but newline and tab.
// Field docs would not reach the document: utoipa drops them beside `schema_with`.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct AdBody {
    #[schema(schema_with = catalog_id)]
    model_id: u32,
    #[schema(schema_with = nullable_catalog_id)]
    version_id: Option<u32>,
    #[schema(schema_with = catalog_id)]
    city_id: u32,
    #[serde(rename = "type")]
    #[schema(schema_with = kind)]
    kind: String,
    #[schema(schema_with = origin)]
    origin: String,
    #[schema(schema_with = year)]
    fabrication_year: i32,
    #[schema(schema_with = year)]
    model_year: i32,
    #[schema(schema_with = license_plate)]
    license_plate: Option<String>,
    #[schema(schema_with = mileage)]
    mileage: u32,
    is_new: Option<bool>,
    #[schema(schema_with = color)]
    color: String,
    #[schema(schema_with = price)]
    price: String,
    #[schema(schema_with = sales_phrase)]
    sales_phrase: Option<String>,
    #[schema(schema_with = description)]
    description: Option<String>,
    #[schema(schema_with = options)]
    options: Option<Vec<String>>,
    accept_new_offer: Option<bool>,
    accept_exchange: Option<bool>,
    doc_ok: Option<bool>,
    track_ready: Option<bool>,
    #[schema(schema_with = brake_system)]
    brake_system: String,
    #[schema(schema_with = ignition)]
    ignition: String,
    #[schema(schema_with = cooling)]
    cooling: String,
    top_offer: Option<bool>,
}

/// `PATCH /ads/{id}`: any of the fields of [`AdBody`] (the others stay as they are), the new
/// order of the photos and the version read. Written as the create body without its required
/// fields so that the two cannot differ.
pub struct AdPatchBody;

impl PartialSchema for AdPatchBody {
    fn schema() -> RefOr<Schema> {
        let mut object = patch_of::<AdBody>(
            "Any of the fields of an `AdBody`, with its rules (the others stay as they are; `null` \
             clears `version_id` and `license_plate`), the new order of the photos and the version read.",
        );
        let images = described(
            image_order(),
            "The ad's photo ids in their new order; a photo left out is deleted (a published ad keeps \
             at least one).",
        );
        let version = described(non_negative(), "The ad's `version` as read: 409 if it has changed.");
        object.properties.insert("images".into(), images.into());
        object.properties.insert("version".into(), version.into());
        RefOr::T(Schema::Object(object))
    }
}

impl ToSchema for AdPatchBody {}

/// The filters and the sort of `GET /ads`; each filter sent narrows the list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AdFilters {
    #[param(schema_with = catalog_id)]
    brand: Option<u32>,
    #[param(schema_with = catalog_id)]
    model: Option<u32>,
    #[param(schema_with = catalog_id)]
    state: Option<u32>,
    #[param(schema_with = catalog_id)]
    city: Option<u32>,
    #[param(schema_with = price_text)]
    price_min: Option<String>,
    #[param(schema_with = price_text)]
    price_max: Option<String>,
    #[param(schema_with = model_year_bound)]
    year_min: Option<i64>,
    #[param(schema_with = model_year_bound)]
    year_max: Option<i64>,
    #[param(schema_with = brake_system)]
    brake_system: Option<String>,
    #[param(schema_with = ignition)]
    ignition: Option<String>,
    #[param(schema_with = color)]
    color: Option<String>,
    is_new: Option<bool>,
    doc_ok: Option<bool>,
    accept_exchange: Option<bool>,
    accept_new_offer: Option<bool>,
    #[param(schema_with = sort)]
    sort: Option<String>,
}

/// `?version=` of the writes without a body.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct VersionParam {
    #[param(schema_with = version)]
    version: Option<u64>,
}
