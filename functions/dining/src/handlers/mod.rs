//! HTTP handlers of the dining API, by resource. Each binary in `src/bin` runs one of them.

pub mod me;
pub mod opinions;
pub mod profile;
pub mod reservations;
pub mod venues;

use andes_shared::auth::Principal;
use andes_shared::http::{self, ApiError};
use lambda_http::http::header::{HeaderValue, LOCATION};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde_json::Value;

use crate::domain::is_id;
use crate::domain::query::Params;

/// Request bodies of this API are small (a venue with 96 slots, 366 vacations and 20 picture
/// URLs of 2048 characters is under this).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The role of venue owners (§1).
pub const RESTAURANT: &str = "restaurant";

type HttpResult = Result<Response<Body>, ApiError>;

/// The caller, a `restaurant` account. The authorizer already enforces the roles of
/// `data/permissions.yaml`; this keeps a route closed if they are ever loaded wrong.
fn restaurant(request: &Request) -> Result<Principal, ApiError> {
    let principal = Principal::require_account(request)?;
    if !principal.has_role(RESTAURANT) {
        return Err(ApiError::Forbidden("this route is for restaurant accounts".into()));
    }
    Ok(principal)
}

/// The role of diners (§1).
pub const CLIENT: &str = "client";

/// The caller, a `client` (diner) account.
fn client(request: &Request) -> Result<Principal, ApiError> {
    let principal = Principal::require_account(request)?;
    if !principal.has_role(CLIENT) {
        return Err(ApiError::Forbidden("this route is for client accounts".into()));
    }
    Ok(principal)
}

/// The caller, a `client` or a `restaurant` account (routes both may call).
fn client_or_restaurant(request: &Request) -> Result<Principal, ApiError> {
    let principal = Principal::require_account(request)?;
    if !principal.has_role(CLIENT) && !principal.has_role(RESTAURANT) {
        return Err(ApiError::Forbidden(
            "this route is for client and restaurant accounts".into(),
        ));
    }
    Ok(principal)
}

/// The request body as JSON: malformed or not an object → 400; validated by the domain.
fn body(request: &Request) -> Result<Value, ApiError> {
    http::json_body(request, MAX_BODY_BYTES)
}

/// Path parameter `id` when it can be an id (a venue's is its owner's account id, a UUID);
/// anything else names nothing.
fn path_id(request: &Request) -> Option<String> {
    Some(http::path(request, "id")).filter(|id| is_id(id))
}

/// Every query parameter with all its values (API Gateway joins a repeated parameter with
/// commas; `Params::all` splits them again).
fn params(request: &Request) -> Params {
    match request.query_string_parameters_ref() {
        Some(query) => Params::new(query.iter()),
        None => Params::default(),
    }
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
    use std::collections::HashMap;

    fn request(body: &str) -> Request {
        lambda_http::http::Request::builder()
            .uri("/dining/venues")
            .body(Body::Text(body.into()))
            .unwrap()
    }

    #[test]
    fn bodies_are_json_or_a_400() {
        assert_eq!(body(&request("{\"a\": 1}")).unwrap()["a"], 1);
        assert_eq!(body(&request("[1]")).unwrap_err().status(), 400);
        assert_eq!(body(&request("{oops")).unwrap_err().status(), 400);
        assert_eq!(body(&request(" ")).unwrap_err().status(), 400);
        assert_eq!(
            body(&request(&"x".repeat(MAX_BODY_BYTES + 1))).unwrap_err().status(),
            413
        );
    }

    #[test]
    fn repeated_query_parameters_are_all_kept() {
        let query: HashMap<String, Vec<String>> = HashMap::from([
            (
                "characteristic".to_string(),
                vec!["Pizzas".to_string(), "Pasta,Sushi".to_string()],
            ),
            ("limit".to_string(), vec!["5".to_string()]),
        ]);
        let found = params(&request("").with_query_string_parameters(query));
        let mut all = found.all("characteristic");
        all.sort_unstable();
        assert_eq!(all, ["Pasta", "Pizzas", "Sushi"]);
        assert_eq!(found.first("limit"), Some("5"));
        assert_eq!(params(&request("")), Params::default(), "no query: no parameters");
    }

    #[test]
    fn only_uuids_are_venue_ids() {
        let with_id = |id: &str| request("").with_path_parameters(HashMap::from([("id".to_string(), id.to_string())]));
        assert_eq!(
            path_id(&with_id("0193a000-0000-7000-8000-000000000001")).as_deref(),
            Some("0193a000-0000-7000-8000-000000000001")
        );
        assert_eq!(path_id(&with_id("near")), None);
        assert_eq!(path_id(&with_id("")), None);
    }
}
