//! `/infractions/admin/vehicles`: vehicles by plate, each owned by a person.

use andes_shared::dynamo::retry::{self, Attempt};
use andes_shared::dynamo::Page;
use andes_shared::http::{self, created, no_content, ok, ApiError};
use andes_shared::ids;
use lambda_http::Request;

use super::{admin_body, HttpResult, MODIFIED};
use crate::config::State;
use crate::domain::{self, lookup_plate, Vehicle};
use crate::store::VEHICLES;

fn not_found() -> ApiError {
    ApiError::NotFound("vehicle not found".into())
}

async fn find(state: &State, plate: &str) -> Result<Vehicle, ApiError> {
    state.store.get_vehicle(plate).await?.ok_or_else(not_found)
}

/// The `{plate}` of the path, normalised like `placa_patente`. A plate no vehicle can have finds
/// nothing (404), and so does one over the lookup bound: in a path it names no resource, as
/// `http::path` treats any oversized parameter.
fn plate(request: &Request) -> Result<String, ApiError> {
    lookup_plate(&http::path(request, "plate"))
        .ok()
        .flatten()
        .ok_or_else(not_found)
}

#[utoipa::path(
    get,
    path = "/infractions/admin/vehicles",
    params(andes_shared::openapi::PageParams),
    responses(
        (status = 200, description = "One page of vehicles, by plate", body = Page<Vehicle>),
        (status = 422, description = "`limit` out of range, or a `cursor` this list did not hand out"),
    )
)]
pub async fn list(state: &State, request: Request) -> HttpResult {
    super::list::<Vehicle>(state, &request, VEHICLES).await
}

#[utoipa::path(
    post,
    path = "/infractions/admin/vehicles",
    request_body = crate::openapi::VehicleBody,
    responses(
        (status = 201, description = "The new vehicle", body = Vehicle),
        (status = 409, description = "A vehicle with this plate is already registered"),
        (status = 422, description = "A field is missing or invalid, or `owner_id` names no person"),
        (status = 503, description = "Too many concurrent changes; retry"),
    )
)]
pub async fn create(state: &State, request: Request) -> HttpResult {
    let input = domain::validate_vehicle(&admin_body(&request)?, false).map_err(ApiError::Validation)?;
    let now = ids::now_rfc3339();
    let vehicle = Vehicle {
        plate: input.plate.unwrap_or_default(),
        brand: input.brand.unwrap_or_default(),
        color: input.color.unwrap_or_default(),
        owner_id: input.owner_id.unwrap_or_default(),
        created: now.clone(),
        updated: now,
        version: 1,
    };
    state.store.create_vehicle(&vehicle).await?;
    created(&vehicle)
}

#[utoipa::path(
    get,
    path = "/infractions/admin/vehicles/{plate}",
    params(("plate" = String, Path, description = "The plate, in any case, with or without spaces and hyphens")),
    responses(
        (status = 200, description = "The vehicle", body = Vehicle),
        (status = 404, description = "No vehicle has that plate"),
    )
)]
pub async fn get(state: &State, request: Request) -> HttpResult {
    ok(&find(state, &plate(&request)?).await?)
}

/// A partial change (the plate is the key and stays). With `version` a stale write is a 409;
/// without it the change applies to the current vehicle, re-read and re-applied if another
/// request wrote in between.
#[utoipa::path(
    patch,
    path = "/infractions/admin/vehicles/{plate}",
    params(("plate" = String, Path, description = "The plate, in any case, with or without spaces and hyphens")),
    request_body = crate::openapi::VehiclePatch,
    responses(
        (status = 200, description = "The vehicle as changed", body = Vehicle),
        (status = 404, description = "No vehicle has that plate"),
        (status = 409, description = "The `version` sent is stale"),
        (status = 422, description = "A field is missing or invalid, or `owner_id` names no person"),
        (status = 503, description = "Too many concurrent changes; retry"),
    )
)]
pub async fn update(state: &State, request: Request) -> HttpResult {
    let input = &domain::validate_vehicle(&admin_body(&request)?, true).map_err(ApiError::Validation)?;
    let plate = &plate(&request)?;
    let vehicle = retry::with_client_version(input.version, &format!("the vehicle was {MODIFIED}"), || async move {
        let read = find(state, plate).await?;
        if input.version.is_some_and(|version| version != read.version) {
            return Ok(Attempt::Stale);
        }
        let written = state.store.update_vehicle(&read, input, &ids::now_rfc3339()).await?;
        Ok(written.map_or(Attempt::Stale, Attempt::Done))
    })
    .await?;
    ok(&vehicle)
}

/// Deletes the vehicle, its owner link and its infractions.
#[utoipa::path(
    delete,
    path = "/infractions/admin/vehicles/{plate}",
    params(("plate" = String, Path, description = "The plate, in any case, with or without spaces and hyphens")),
    responses(
        (status = 204, description = "The vehicle, its owner link and its infractions are deleted"),
        (status = 404, description = "No vehicle has that plate"),
        (status = 503, description = "Too many concurrent changes, or the table is busy; retry"),
    )
)]
pub async fn delete(state: &State, request: Request) -> HttpResult {
    let vehicle = find(state, &plate(&request)?).await?;
    state.store.delete_vehicle(&vehicle).await?;
    no_content()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::tests::{request, state};
    use lambda_http::http::{Method, StatusCode};
    use lambda_http::RequestExt;
    use std::collections::HashMap;

    #[tokio::test]
    async fn bodies_are_validated_before_any_read() {
        let error = create(&state(), request(Method::POST, r#"{"plate":"??"}"#))
            .await
            .unwrap_err();
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let error = update(&state(), request(Method::PATCH, r#"{"color":"Rojo\u202e"}"#))
            .await
            .unwrap_err();
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[tokio::test]
    async fn plates_no_vehicle_can_have_are_not_found_without_a_read() {
        let long = "X".repeat(domain::PLATE_LOOKUP_MAX_CHARS + 1);
        for plate in ["PLACA_NO_EXISTENTE", "AB#1", "ÑANDU1", "", " - ", &long] {
            let path = HashMap::from([("plate".to_string(), plate.to_string())]);
            for method in [Method::GET, Method::DELETE] {
                let request = request(method.clone(), "").with_path_parameters(path.clone());
                let error = match method {
                    Method::GET => get(&state(), request).await,
                    _ => delete(&state(), request).await,
                }
                .unwrap_err();
                assert_eq!(error.status(), StatusCode::NOT_FOUND, "{method} {plate:?}");
            }
        }
    }
}
