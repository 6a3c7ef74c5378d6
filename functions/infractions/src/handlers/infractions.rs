//! The seed's public contract: officers record infractions, anyone reads a person's report.
//! Statuses and Spanish messages are the seed's and do not change.

use andes_shared::auth::{Principal, PrincipalKind};
use andes_shared::http::{self, ok, ApiError};
use andes_shared::ids;
use chrono::Utc;
use lambda_http::http::Method;
use lambda_http::Request;
use serde::Serialize;
use serde_json::{Map, Value};

use super::HttpResult;
use crate::config::State;
use crate::domain::{
    merge_report, validate_infraction, Infraction, ReportEntry, EMAIL_NOT_FOUND, OFFICER_NOT_FOUND, ROLE_OFFICER,
    VEHICLE_NOT_FOUND,
};

/// 3000 characters of comments, up to 4 bytes each, plus the other fields.
pub const MAX_INFRACTION_BODY_BYTES: usize = 16 * 1024;
/// Vehicles of one person read at the same time for a report.
const REPORT_CONCURRENCY: usize = 8;

/// What `cargar_infraccion` answers: the recorded infraction's id.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Recorded {
    pub id: String,
}

/// `POST /infractions/cargar_infraccion` (and 405 for any other method on the path).
#[utoipa::path(
    post,
    path = "/infractions/cargar_infraccion",
    request_body = crate::openapi::InfraccionBody,
    responses(
        (status = 200, description = "The infraction is recorded", body = Recorded),
        (status = 403, description = format!("Not an officer's key, or its officer is gone: \"{OFFICER_NOT_FOUND}\"")),
        (status = 404, description = format!("No vehicle has that plate: \"{VEHICLE_NOT_FOUND}\"")),
    )
)]
pub async fn cargar_infraccion(state: &State, request: Request) -> HttpResult {
    if request.method() != Method::POST {
        return Err(ApiError::MethodNotAllowed);
    }
    let principal = Principal::from_request(&request);
    match principal.kind {
        PrincipalKind::Anonymous => return Err(ApiError::Unauthorized("Una Bearer token es requerida".into())),
        PrincipalKind::ApiKey if principal.has_role(ROLE_OFFICER) => {}
        _ => return Err(ApiError::Forbidden(OFFICER_NOT_FOUND.into())),
    }
    let body: Map<String, Value> = http::json_body(&request, MAX_INFRACTION_BODY_BYTES)?;
    let now = Utc::now();
    let input = validate_infraction(&body, now).map_err(ApiError::Validation)?;
    // A plate no vehicle can have is not read: it is as unknown as a free one.
    let vehicle = async {
        match &input.plate {
            Some(plate) => state.store.get_vehicle(plate).await,
            None => Ok(None),
        }
    };
    let (vehicle, officer) = tokio::try_join!(vehicle, state.store.get_officer(&principal.id))?;
    let Some(officer) = officer else {
        return Err(ApiError::Forbidden(OFFICER_NOT_FOUND.into()));
    };
    let Some(vehicle) = vehicle else {
        return Err(ApiError::NotFound(VEHICLE_NOT_FOUND.into()));
    };
    let infraction = Infraction {
        id: ids::new_id(),
        plate: vehicle.plate,
        timestamp: input.timestamp,
        comments: input.comments,
        officer_id: officer.id,
        officer_name: officer.name,
        created: ids::rfc3339(now),
    };
    state.store.put_infraction(&infraction).await?;
    ok(&Recorded { id: infraction.id })
}

/// `GET /infractions/generar_informe?email=`: every infraction of every vehicle of the
/// person, newest first. One GetItem, one Query for the vehicles, one Query per vehicle.
#[utoipa::path(
    get,
    path = "/infractions/generar_informe",
    params(("email" = String, Query, description = "The person's email (any case)")),
    responses(
        (status = 200, description = "The infractions of the person's vehicles, newest first", body = Vec<ReportEntry>),
        (status = 400, description = "No `email` (or a blank one)"),
        (status = 404, description = format!("No person has that email: \"{EMAIL_NOT_FOUND}\"")),
    )
)]
pub async fn generar_informe(state: &State, request: Request) -> HttpResult {
    let raw = http::query(&request, "email").unwrap_or_default();
    if raw.trim().is_empty() {
        return Err(ApiError::BadRequest("the email query parameter is required".into()));
    }
    let email = raw.trim().to_lowercase();
    let Some(person_id) = state.store.person_id_by_email(&email).await? else {
        return Err(ApiError::NotFound(EMAIL_NOT_FOUND.into()));
    };
    let plates = state.store.plates_of(&person_id).await?;
    let mut vehicles = Vec::with_capacity(plates.len());
    for chunk in plates.chunks(REPORT_CONCURRENCY) {
        let mut tasks = tokio::task::JoinSet::new();
        for plate in chunk {
            let (store, plate) = (state.store.clone(), plate.clone());
            tasks.spawn(async move { store.vehicle_with_infractions(&plate).await });
        }
        while let Some(result) = tasks.join_next().await {
            if let Some(found) = result.map_err(ApiError::internal)?? {
                vehicles.push(found);
            }
        }
    }
    ok(&merge_report(vehicles))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::tests::{request, state};
    use lambda_http::http::StatusCode;

    #[tokio::test]
    async fn other_methods_are_405_before_anything_else() {
        for method in [Method::GET, Method::PUT, Method::DELETE, Method::PATCH] {
            let error = cargar_infraccion(&state(), request(method, "{not json"))
                .await
                .unwrap_err();
            assert_eq!(error.status(), StatusCode::METHOD_NOT_ALLOWED);
        }
    }

    #[tokio::test]
    async fn anonymous_posts_are_refused() {
        let error = cargar_infraccion(&state(), request(Method::POST, "{}"))
            .await
            .unwrap_err();
        assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn report_needs_an_email() {
        let error = generar_informe(&state(), request(Method::GET, "")).await.unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    }
}
