//! The pieces every service's OpenAPI document shares: the problem+json error body and schema
//! builders that take a handler's own bounds (constants), so a document cannot state other
//! limits than the code enforces. Each service's `openapi.rs` describes its routes with
//! `#[utoipa::path]` and its types with `ToSchema`; `andes-openapi` adds what is the same on
//! every route (security from `data/permissions.yaml`, the gateway's 401/403/429, the 400/413/422
//! of a JSON body, the problem+json body of every error).

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

use crate::dynamo::{DEFAULT_LIMIT, MAX_LIMIT};
pub use crate::http::FieldError;

/// The `application/problem+json` body of every error a handler answers (RFC 9457), as
/// [`crate::http::ApiError::problem`] writes it.
#[derive(serde::Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status's reason phrase.
    pub title: String,
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
    /// On 422: each invalid field and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// On a 409 of a write that named a `version`: the version the resource has now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
    /// On an internal error: the id to quote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// The body API Gateway itself answers with (401 without credentials, 403 from the authorizer,
/// 429 from stage throttling).
#[derive(serde::Serialize, ToSchema)]
pub struct GatewayMessage {
    pub message: String,
}

/// A string of `min..=max` characters (as the handlers count them: Unicode scalar values).
pub fn text(min: usize, max: usize) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(min))
        .max_length(Some(max))
        .into()
}

/// A string of at most `max` characters that may also be `null`.
pub fn nullable_text(max: usize) -> Schema {
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::String,
            Type::Null,
        ]))
        .max_length(Some(max))
        .into()
}

/// An integer in `min..=max`.
pub fn integer(min: i64, max: i64) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64)))
        .minimum(Some(min as f64))
        .maximum(Some(max as f64))
        .into()
}

/// A number in `min..=max`.
pub fn number(min: f64, max: f64) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Number)
        .format(Some(SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Double)))
        .minimum(Some(min))
        .maximum(Some(max))
        .into()
}

/// `schema` with `description`. utoipa drops the doc comment of a field whose schema comes from
/// a function (`schema_with`), so such fields say it here.
pub fn described(mut schema: Schema, description: impl Into<String>) -> Schema {
    match &mut schema {
        Schema::Object(object) => object.description = Some(description.into()),
        Schema::Array(array) => array.description = Some(description.into()),
        _ => {}
    }
    schema
}

/// `schema` (a string) that must match `pattern` (ECMA-262, as JSON Schema reads it).
pub fn with_pattern(mut schema: Schema, pattern: impl Into<String>) -> Schema {
    if let Schema::Object(object) = &mut schema {
        object.pattern = Some(pattern.into());
    }
    schema
}

/// `schema` that may also be `null`.
pub fn nullable(mut schema: Schema) -> Schema {
    if let Schema::Object(object) = &mut schema {
        if let SchemaType::Type(kind) = &object.schema_type {
            object.schema_type = SchemaType::from_iter([kind.clone(), Type::Null]);
        }
    }
    schema
}

/// `schema` whose value, when the field is absent, is `default`.
pub fn with_default(mut schema: Schema, default: serde_json::Value) -> Schema {
    if let Schema::Object(object) = &mut schema {
        object.default = Some(default);
    }
    schema
}

/// An email address of at most `max` characters.
pub fn email(max: usize) -> Schema {
    let mut schema = text(3, max);
    if let Schema::Object(object) = &mut schema {
        object.format = Some(SchemaFormat::Custom("email".into()));
    }
    schema
}

/// One of a fixed set of strings.
pub fn one_of_strings<'a>(values: impl IntoIterator<Item = &'a str>) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.into_iter().map(str::to_string)))
        .into()
}

/// An array of at most `max_items` items of `item`.
pub fn array_of(item: impl Into<RefOr<Schema>>, max_items: usize) -> Schema {
    ArrayBuilder::new().items(item.into()).max_items(Some(max_items)).into()
}

/// The schema of a `PATCH` body that takes any of the fields of a create body `T`, each with its
/// rules: `T`'s own schema with nothing required, so that the two cannot differ.
pub fn patch_of<T: utoipa::PartialSchema>(description: &str) -> utoipa::openapi::schema::Object {
    let RefOr::T(Schema::Object(mut object)) = T::schema() else {
        unreachable!("a struct's schema is an object")
    };
    object.description = Some(description.into());
    object.required.clear();
    object
}

/// `limit` and `cursor`, the query of every list answered as a [`crate::dynamo::Page`].
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageParams {
    #[param(schema_with = page_limit)]
    limit: Option<i32>,
    #[param(schema_with = page_cursor)]
    cursor: Option<String>,
}

fn page_limit() -> Schema {
    let limit = integer(1, MAX_LIMIT.into());
    described(with_default(limit, DEFAULT_LIMIT.into()), "Items per page")
}

fn page_cursor() -> Schema {
    let cursor = ObjectBuilder::new().schema_type(Type::String).into();
    described(
        cursor,
        "The `next_cursor` of the previous page of the same list (same filters and order); any other value is a 422",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ApiError;
    use utoipa::PartialSchema;

    /// The documented problem body is the one `ApiError` writes.
    #[test]
    fn problem_schema_names_every_member_api_error_writes() {
        let schema = serde_json::to_value(Problem::schema()).unwrap();
        let documented: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let written = [
            ApiError::invalid("name", "too long").problem("r-1"),
            ApiError::VersionConflict {
                detail: "stale".into(),
                current_version: 3,
            }
            .problem("r-1"),
            ApiError::internal("boom").problem("r-1"),
        ];
        for problem in written {
            for member in problem.as_object().unwrap().keys() {
                assert!(documented.contains(&member.as_str()), "{member} is not documented");
            }
        }
    }

    #[test]
    fn text_schemas_carry_the_bounds_they_are_given() {
        let schema = serde_json::to_value(text(1, 80)).unwrap();
        assert_eq!(schema["minLength"], 1);
        assert_eq!(schema["maxLength"], 80);
    }
}
