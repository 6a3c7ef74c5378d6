//! HTTP handlers of the deliveries API, by resource. Each binary in `src/bin` runs one of them.

pub mod orders;
pub mod stats;
pub mod transports;
pub mod warehouses;

use andes_shared::auth::Principal;
use andes_shared::dynamo::page_limit;
use andes_shared::http::{self, ok, ApiError, FieldError};
use lambda_http::http::header::{HeaderValue, LOCATION};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde_json::Value;

use crate::config::State;
use crate::domain::is_id;

/// Request bodies of this API are small (an order of 50 products is well under this).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Roles of logistics staff (§1): warehouses and transports are theirs.
pub const STAFF_ROLES: [&str; 2] = ["operator", "admin"];

type HttpResult = Result<Response<Body>, ApiError>;

/// `GET /deliveries/health`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    #[schema(schema_with = crate::openapi::health_status)]
    status: &'static str,
}

/// `GET /deliveries/health`: anyone, no table read.
#[utoipa::path(
    get,
    path = "/deliveries/health",
    responses((status = 200, description = "The service is up", body = Health))
)]
pub async fn health(_state: &State, _request: Request) -> HttpResult {
    ok(&Health { status: "ok" })
}

/// Operators and admins see and act on every order; other accounts on their own.
fn is_staff(principal: &Principal) -> bool {
    STAFF_ROLES.iter().any(|role| principal.has_role(role))
}

/// The caller, an operator or an admin. The authorizer already enforces the roles of
/// `data/permissions.yaml`; this keeps a route closed if they are ever loaded wrong.
fn staff(request: &Request) -> Result<Principal, ApiError> {
    let principal = Principal::from_request(request);
    if principal.is_anonymous() {
        return Err(ApiError::Unauthorized("authentication required".into()));
    }
    if !is_staff(&principal) {
        return Err(ApiError::Forbidden("this route is for operators and admins".into()));
    }
    Ok(principal)
}

/// The request body as JSON: malformed or not an object → 400; validated by the domain.
fn body(request: &Request) -> Result<Value, ApiError> {
    http::json_body(request, MAX_BODY_BYTES)
}

/// Path parameter `id` when it can be an id of this service; anything else finds nothing.
fn path_id(request: &Request) -> Option<String> {
    Some(http::path(request, "id")).filter(|id| is_id(id))
}

/// A non-empty query parameter.
fn query(request: &Request, name: &str) -> Option<String> {
    http::query(request, name).filter(|value| !value.is_empty())
}

/// `limit` and the other checks of a list's query parameters, every problem at once.
fn list_params<T>(request: &Request, other: Result<T, ApiError>) -> Result<(i32, T), ApiError> {
    let limit = page_limit(http::query(request, "limit").as_deref());
    match (limit, other) {
        (Ok(limit), Ok(other)) => Ok((limit, other)),
        (limit, other) => {
            let errors: Vec<FieldError> = [limit.err(), other.err()]
                .into_iter()
                .flatten()
                .flat_map(|error| match error {
                    ApiError::Validation(errors) => errors,
                    other => vec![FieldError::new("query", other.to_string())],
                })
                .collect();
            Err(ApiError::Validation(errors))
        }
    }
}

/// 201 with `Location: {location}`.
fn created_at<T: Serialize>(location: &str, value: &T) -> HttpResult {
    respond_at(StatusCode::CREATED, location, value)
}

/// `status` with `Location: {location}`.
fn respond_at<T: Serialize>(status: StatusCode, location: &str, value: &T) -> HttpResult {
    let mut response = http::json(status, value)?;
    let location = HeaderValue::from_str(location).map_err(ApiError::internal)?;
    response.headers_mut().insert(LOCATION, location);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_params_report_every_problem() {
        let request = lambda_http::http::Request::builder()
            .uri("/deliveries/transports?limit=0")
            .body(Body::Empty)
            .unwrap();
        let request = lambda_http::RequestExt::with_query_string_parameters(
            request,
            std::collections::HashMap::from([("limit".to_string(), "0".to_string())]),
        );
        let error = list_params::<()>(&request, Err(ApiError::invalid("status", "bad"))).unwrap_err();
        match error {
            ApiError::Validation(errors) => {
                let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["limit", "status"]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(list_params(&request, Ok(())).unwrap_err().status(), 422);
    }

    #[test]
    fn only_uuids_are_ids() {
        assert!(is_id("0193a000-0000-7000-8000-000000000001"));
        assert!(!is_id("not-a-uuid"));
        assert!(!is_id(""));
    }
}
