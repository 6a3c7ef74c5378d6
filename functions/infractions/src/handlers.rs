//! HTTP handlers of the infractions API. Each binary in `src/bin` runs one of them.

use andes_shared::auth::{Principal, PrincipalKind};
use andes_shared::dynamo::page_limit;
use andes_shared::http::{created, no_content, ok, parse_json_bounded, ApiError};
use andes_shared::ids;
use chrono::Utc;
use lambda_http::http::Method;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::{
    self, merge_report, normalize_id, normalize_plate, validate_infraction, Infraction, Officer, Person, Vehicle,
    EMAIL_NOT_FOUND, OFFICER_NOT_FOUND, ROLE_OFFICER, VEHICLE_NOT_FOUND,
};
use crate::keys;
use crate::store::{Store, OFFICERS, PERSONS, VEHICLES};

/// Admin bodies are small.
pub const MAX_BODY_BYTES: usize = 4 * 1024;
/// 3000 characters of comments, up to 4 bytes each, plus the other fields.
pub const MAX_INFRACTION_BODY_BYTES: usize = 16 * 1024;
/// Vehicles of one person read at the same time for a report.
const REPORT_CONCURRENCY: usize = 8;

/// What every handler needs: the infractions table, and the identity table for the
/// handlers that issue or revoke officer keys.
pub struct State {
    pub store: Store,
    pub identity: Option<identity::store::Store>,
}

impl State {
    pub async fn from_env(with_identity: bool) -> Result<Self, andes_shared::config::ConfigError> {
        let (store, identity) = crate::config::stores(with_identity).await?;
        Ok(Self { store, identity })
    }

    fn identity(&self) -> Result<&identity::store::Store, ApiError> {
        self.identity
            .as_ref()
            .ok_or_else(|| ApiError::internal("IDENTITY_TABLE is not configured"))
    }
}

type HttpResult = Result<Response<Body>, ApiError>;

fn path_param(request: &Request, name: &str) -> Option<String> {
    request
        .path_parameters_ref()
        .and_then(|p| p.first(name))
        .map(str::to_string)
}

fn query_param(request: &Request, name: &str) -> Option<String> {
    request
        .query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .map(str::to_string)
}

fn body(request: &Request, max: usize) -> Result<Map<String, Value>, ApiError> {
    parse_json_bounded(request, max)
}

// ------------------------------------------------------------------ public contract

/// `POST /infractions/cargar_infraccion` (and 405 for any other method on the path).
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
    let body = body(&request, MAX_INFRACTION_BODY_BYTES)?;
    let input = validate_infraction(&body, Utc::now()).map_err(ApiError::Validation)?;
    let (vehicle, officer) = tokio::try_join!(
        state.store.get_vehicle(&input.plate),
        state.store.get_officer(&principal.id)
    )?;
    let Some(officer) = officer else {
        return Err(ApiError::Forbidden(OFFICER_NOT_FOUND.into()));
    };
    if vehicle.is_none() {
        return Err(ApiError::NotFound(VEHICLE_NOT_FOUND.into()));
    }
    let infraction = Infraction {
        id: ids::new_id(),
        plate: input.plate,
        timestamp: input.timestamp,
        comments: input.comments,
        officer_id: officer.id,
        officer_name: officer.name,
        created: ids::now_rfc3339(),
    };
    state.store.put_infraction(&infraction).await?;
    ok(&serde_json::json!({ "id": infraction.id }))
}

/// `GET /infractions/generar_informe?email=`: every infraction of every vehicle of the
/// person, newest first. One GetItem, one Query for the vehicles, one Query per vehicle.
pub async fn generar_informe(state: &State, request: Request) -> HttpResult {
    let raw = query_param(&request, "email").unwrap_or_default();
    if raw.trim().is_empty() {
        return Err(ApiError::BadRequest("the email query parameter is required".into()));
    }
    let email = raw.trim().to_lowercase();
    let Some(person_id) = state.store.person_id_by_email(&email).await? else {
        return Err(ApiError::NotFound(EMAIL_NOT_FOUND.into()));
    };
    let plates = state.store.plates_of(&person_id, None).await?;
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

// -------------------------------------------------------------------------- lists

async fn list<T: serde::de::DeserializeOwned + Serialize>(state: &State, request: &Request, list: &str) -> HttpResult {
    let limit = page_limit(query_param(request, "limit").as_deref())?;
    let cursor = query_param(request, "cursor");
    ok(&state.store.list::<T>(list, limit, cursor.as_deref()).await?)
}

pub async fn list_persons(state: &State, request: Request) -> HttpResult {
    list::<Person>(state, &request, PERSONS).await
}

pub async fn list_vehicles(state: &State, request: Request) -> HttpResult {
    list::<Vehicle>(state, &request, VEHICLES).await
}

pub async fn list_officers(state: &State, request: Request) -> HttpResult {
    list::<Officer>(state, &request, OFFICERS).await
}

// ------------------------------------------------------------------------ persons

async fn find_person(state: &State, request: &Request) -> Result<Person, ApiError> {
    let not_found = || ApiError::NotFound("person not found".into());
    let id = path_param(request, "id")
        .and_then(|id| normalize_id(&id).ok())
        .ok_or_else(not_found)?;
    state.store.get_person(&id).await?.ok_or_else(not_found)
}

pub async fn create_person(state: &State, request: Request) -> HttpResult {
    let input = domain::validate_person(&body(&request, MAX_BODY_BYTES)?, false).map_err(ApiError::Validation)?;
    let now = ids::now_rfc3339();
    let person = Person {
        id: ids::new_id(),
        name: input.name.unwrap_or_default(),
        email: input.email.unwrap_or_default(),
        created: now.clone(),
        updated: now,
        version: 1,
    };
    state.store.create_person(&person).await?;
    created(&person)
}

pub async fn get_person(state: &State, request: Request) -> HttpResult {
    ok(&find_person(state, &request).await?)
}

pub async fn update_person(state: &State, request: Request) -> HttpResult {
    let input = domain::validate_person(&body(&request, MAX_BODY_BYTES)?, true).map_err(ApiError::Validation)?;
    let mut person = find_person(state, &request).await?;
    let old_email = person.email.clone();
    if let Some(name) = input.name {
        person.name = name;
    }
    if let Some(email) = input.email {
        person.email = email;
    }
    state
        .store
        .update_person(&mut person, &old_email, &ids::now_rfc3339())
        .await?;
    ok(&person)
}

/// 409 while the person has vehicles, unless `?cascade=true`: then its vehicles (with
/// their infractions) go first.
pub async fn delete_person(state: &State, request: Request) -> HttpResult {
    let cascade = match query_param(&request, "cascade").as_deref() {
        None | Some("false") | Some("") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::invalid("cascade", "must be true or false")),
    };
    let person = find_person(state, &request).await?;
    if !state.store.plates_of(&person.id, Some(1)).await?.is_empty() {
        if !cascade {
            return Err(ApiError::Conflict("person has vehicles; use cascade=true".into()));
        }
        state.store.delete_vehicles_of(&person.id).await?;
    }
    state.store.delete_person(&person).await?;
    no_content()
}

// ----------------------------------------------------------------------- vehicles

async fn find_vehicle(state: &State, request: &Request) -> Result<Vehicle, ApiError> {
    let not_found = || ApiError::NotFound("vehicle not found".into());
    let plate = path_param(request, "plate")
        .and_then(|p| normalize_plate(&p).ok())
        .ok_or_else(not_found)?;
    state.store.get_vehicle(&plate).await?.ok_or_else(not_found)
}

pub async fn create_vehicle(state: &State, request: Request) -> HttpResult {
    let input = domain::validate_vehicle(&body(&request, MAX_BODY_BYTES)?, false).map_err(ApiError::Validation)?;
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

pub async fn get_vehicle(state: &State, request: Request) -> HttpResult {
    ok(&find_vehicle(state, &request).await?)
}

pub async fn update_vehicle(state: &State, request: Request) -> HttpResult {
    let input = domain::validate_vehicle(&body(&request, MAX_BODY_BYTES)?, true).map_err(ApiError::Validation)?;
    let mut vehicle = find_vehicle(state, &request).await?;
    let old_owner = vehicle.owner_id.clone();
    if let Some(brand) = input.brand {
        vehicle.brand = brand;
    }
    if let Some(color) = input.color {
        vehicle.color = color;
    }
    if let Some(owner_id) = input.owner_id {
        vehicle.owner_id = owner_id;
    }
    state
        .store
        .update_vehicle(&mut vehicle, &old_owner, &ids::now_rfc3339())
        .await?;
    ok(&vehicle)
}

/// Deletes the vehicle, its owner link and its infractions.
pub async fn delete_vehicle(state: &State, request: Request) -> HttpResult {
    let vehicle = find_vehicle(state, &request).await?;
    state.store.delete_vehicle(&vehicle).await?;
    no_content()
}

// ----------------------------------------------------------------------- officers

async fn find_officer(state: &State, request: &Request) -> Result<Officer, ApiError> {
    let not_found = || ApiError::NotFound("officer not found".into());
    let id = path_param(request, "id")
        .and_then(|id| normalize_id(&id).ok())
        .ok_or_else(not_found)?;
    state.store.get_officer(&id).await?.ok_or_else(not_found)
}

#[derive(Serialize)]
pub struct OfficerWithKey<'a> {
    #[serde(flatten)]
    pub officer: &'a Officer,
    /// Shown once, never stored in clear.
    pub api_key: String,
}

/// Creates the officer with a new `officer` API key, returned once.
pub async fn create_officer(state: &State, request: Request) -> HttpResult {
    let input = domain::validate_officer(&body(&request, MAX_BODY_BYTES)?, false).map_err(ApiError::Validation)?;
    let identity = state.identity()?;
    let now = ids::now_rfc3339();
    let mut officer = Officer {
        id: ids::new_id(),
        name: input.name.unwrap_or_default(),
        badge: input.badge.unwrap_or_default(),
        key_prefix: None,
        created: now.clone(),
        updated: now,
        version: 1,
    };
    if state.store.officer_id_by_badge(officer.badge).await?.is_some() {
        return Err(ApiError::Conflict("badge already registered".into()));
    }
    let issued = keys::issue_officer_key(identity, &officer.id).await?;
    officer.key_prefix = Some(issued.prefix.clone());
    if let Err(error) = state.store.create_officer(&officer).await {
        // The officer does not exist: its key must not work either.
        keys::revoke(identity, Some(&issued.prefix)).await?;
        return Err(error);
    }
    created(&OfficerWithKey {
        officer: &officer,
        api_key: issued.key,
    })
}

pub async fn get_officer(state: &State, request: Request) -> HttpResult {
    ok(&find_officer(state, &request).await?)
}

pub async fn update_officer(state: &State, request: Request) -> HttpResult {
    let input = domain::validate_officer(&body(&request, MAX_BODY_BYTES)?, true).map_err(ApiError::Validation)?;
    let mut officer = find_officer(state, &request).await?;
    let old_badge = officer.badge;
    if let Some(name) = input.name {
        officer.name = name;
    }
    if let Some(badge) = input.badge {
        officer.badge = badge;
    }
    state
        .store
        .update_officer(&mut officer, old_badge, &ids::now_rfc3339())
        .await?;
    ok(&officer)
}

/// Revokes the officer's key, then deletes the officer and its badge guard.
pub async fn delete_officer(state: &State, request: Request) -> HttpResult {
    let identity = state.identity()?;
    let officer = find_officer(state, &request).await?;
    keys::revoke(identity, officer.key_prefix.as_deref()).await?;
    state.store.delete_officer(&officer).await?;
    no_content()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::StatusCode;

    fn state() -> State {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .build();
        State {
            store: Store::new(aws_sdk_dynamodb::Client::from_conf(config), "t"),
            identity: None,
        }
    }

    fn request(method: Method, body: &str) -> Request {
        let mut request = Request::new(Body::Text(body.to_string()));
        *request.method_mut() = method;
        request
    }

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

    #[tokio::test]
    async fn admin_bodies_are_validated_before_any_read() {
        let error = create_person(&state(), request(Method::POST, "{bad"))
            .await
            .unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        let error = create_vehicle(&state(), request(Method::POST, r#"{"plate":"??"}"#))
            .await
            .unwrap_err();
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let error = create_officer(&state(), request(Method::POST, r#"{"name":"x","badge":0}"#))
            .await
            .unwrap_err();
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
