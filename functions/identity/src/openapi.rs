//! The identity API's OpenAPI document: the request bodies as the handlers accept them (with
//! the bounds of [`crate::validation`]) and the routes, described on the handlers themselves.

use andes_shared::openapi::{described, nullable_text, one_of_strings, text, with_pattern};
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
    andes_shared::openapi::email(MAX_EMAIL_CHARS)
}
fn username() -> Schema {
    let schema = text(*USERNAME_CHARS.start(), *USERNAME_CHARS.end());
    described(schema, "Letters, digits, `_`, `.` and `-`; stored lowercased")
}
fn password() -> Schema {
    text(*PASSWORD_CHARS.start(), *PASSWORD_CHARS.end())
}
fn password_confirmation() -> Schema {
    described(password(), "Must equal `password`")
}
fn new_password() -> Schema {
    described(password(), "The new password; needs `current_password`")
}
fn name() -> Schema {
    described(text(*NAME_CHARS.start(), *NAME_CHARS.end()), "One line of plain text")
}
/// `+` and 9 to 15 digits (16 when the first is `1`), as [`crate::validation::normalize_phone`]
/// takes it; empty or `null` for none.
fn phone() -> Schema {
    let schema = with_pattern(nullable_text(17), r"^\s*(\+?1?[0-9]{9,15}\s*)?$");
    described(
        schema,
        "`+` and 9 to 15 digits; empty or `null` for none (on `PATCH`, clears it)",
    )
}
fn user_type() -> Schema {
    described(one_of_strings(USER_TYPES), "Adds that role to `user`")
}

/// `POST /identity/signup`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SignupBody {
    #[schema(schema_with = email)]
    email: String,
    #[schema(schema_with = username)]
    username: String,
    #[schema(schema_with = password)]
    password: String,
    #[schema(schema_with = password_confirmation)]
    password_confirmation: String,
    #[schema(schema_with = name)]
    name: String,
    #[schema(schema_with = phone)]
    phone: Option<String>,
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
    #[schema(schema_with = phone)]
    phone: Option<String>,
    #[schema(schema_with = new_password)]
    password: Option<String>,
    current_password: Option<String>,
}

/// `POST /identity/verify/resend` answers an empty object, whatever the address.
#[derive(ToSchema)]
pub struct Accepted {}
