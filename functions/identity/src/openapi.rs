//! The identity API's OpenAPI document: the request bodies as the handlers accept them (with
//! the bounds of [`crate::validation`]) and the routes, described on the handlers themselves.

use andes_shared::openapi::{nullable_text, one_of_strings, text};
use utoipa::openapi::schema::Schema;
use utoipa::{OpenApi, ToSchema};

use crate::validation::{MAX_EMAIL_CHARS, NAME_CHARS, PASSWORD_CHARS, USERNAME_CHARS, USER_TYPES};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Andes identity API",
        description = "Accounts, login and email verification."
    ),
    paths(
        crate::handlers::signup::signup,
        crate::handlers::login::login,
        crate::handlers::verify::verify,
        crate::handlers::verify::resend,
        crate::handlers::me::get,
        crate::handlers::me::update,
    )
)]
struct IdentityApi;

/// The document as the code describes it (`andes-openapi` completes and writes it).
pub fn document() -> utoipa::openapi::OpenApi {
    IdentityApi::openapi()
}

fn email() -> Schema {
    let mut schema = text(3, MAX_EMAIL_CHARS);
    if let Schema::Object(object) = &mut schema {
        object.format = Some(utoipa::openapi::SchemaFormat::Custom("email".into()));
    }
    schema
}
fn username() -> Schema {
    text(*USERNAME_CHARS.start(), *USERNAME_CHARS.end())
}
fn password() -> Schema {
    text(*PASSWORD_CHARS.start(), *PASSWORD_CHARS.end())
}
fn name() -> Schema {
    text(*NAME_CHARS.start(), *NAME_CHARS.end())
}
/// `+` and 9 to 15 digits (16 when the first is `1`), as [`crate::validation::normalize_phone`]
/// takes it; empty or `null` for none.
fn phone() -> Schema {
    let mut schema = nullable_text(17);
    if let Schema::Object(object) = &mut schema {
        object.pattern = Some(r"^\s*(\+?1?[0-9]{9,15}\s*)?$".into());
    }
    schema
}
fn user_type() -> Schema {
    one_of_strings(USER_TYPES)
}

/// `POST /identity/signup`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SignupBody {
    #[schema(schema_with = email)]
    email: String,
    /// Letters, digits, `_`, `.` and `-`; stored lowercased.
    #[schema(schema_with = username)]
    username: String,
    #[schema(schema_with = password)]
    password: String,
    /// Must equal `password`.
    #[schema(schema_with = password)]
    password_confirmation: String,
    /// One line of plain text.
    #[schema(schema_with = name)]
    name: String,
    #[schema(schema_with = phone)]
    phone: Option<String>,
    /// Adds that role to `user`.
    #[schema(schema_with = user_type)]
    user_type: Option<String>,
}

/// `POST /identity/login`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LoginBody {
    email: String,
    password: String,
}

/// `POST /identity/verify`: the token of the confirmation email.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct VerifyBody {
    token: String,
}

/// `POST /identity/verify/resend`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ResendBody {
    #[schema(schema_with = email)]
    email: String,
}

/// `PATCH /identity/me`: at least one of `name`, `phone`, `password`; other fields are refused
/// by name.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct MePatchBody {
    #[schema(schema_with = name)]
    name: Option<String>,
    /// `null` or `""` clears it.
    #[schema(schema_with = phone)]
    phone: Option<String>,
    /// The new password; needs `current_password`.
    #[schema(schema_with = password)]
    password: Option<String>,
    current_password: Option<String>,
}

/// `POST /identity/verify/resend` answers an empty object, whatever the address.
#[derive(ToSchema)]
pub struct Accepted {}
