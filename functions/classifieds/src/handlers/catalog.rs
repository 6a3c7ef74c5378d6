//! `GET /catalog/...`: states, cities, brands, models and versions, by id and in lists sorted
//! by name; and the catalog facts an ad keeps.

use andes_shared::dynamo::Page;
use andes_shared::http::{self, ok, ApiError};
use andes_shared::validation::FieldErrors;
use lambda_http::Request;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::{paging, HttpResult};
use crate::catalog::{self, Kind};
use crate::config::State;
use crate::domain::{AdFields, Placement};

fn catalog_id(request: &Request, what: &str) -> Result<u32, ApiError> {
    http::path(request, "id")
        .parse::<u32>()
        .map_err(|_| ApiError::NotFound(format!("{what} not found")))
}

async fn get<T: DeserializeOwned + Serialize>(state: &State, request: &Request, kind: Kind, what: &str) -> HttpResult {
    let id = catalog_id(request, what)?;
    let found: Option<T> = state.catalog.get(kind, id).await?;
    ok(&found.ok_or_else(|| ApiError::NotFound(format!("{what} not found")))?)
}

async fn list<T: DeserializeOwned + Serialize>(
    state: &State,
    request: &Request,
    kind: Kind,
    parent: Option<(Kind, &str)>,
) -> HttpResult {
    let (limit, cursor) = paging(request)?;
    let parent_id = match parent {
        Some((parent_kind, what)) => {
            let id = catalog_id(request, what)?;
            let exists: Option<Value> = state.catalog.get(parent_kind, id).await?;
            if exists.is_none() {
                return Err(ApiError::NotFound(format!("{what} not found")));
            }
            Some(id)
        }
        None => None,
    };
    ok(&state
        .catalog
        .list::<T>(kind, parent_id, limit, cursor.as_deref())
        .await?)
}

#[utoipa::path(
    get,
    path = "/classifieds/catalog/states",
    params(andes_shared::openapi::PageParams),
    responses(
        (status = 200, description = "The states, by name", body = Page<catalog::State>),
        (status = 422, description = "`limit` or `cursor` is invalid"),
    )
)]
pub async fn list_states(state: &State, request: Request) -> HttpResult {
    list::<catalog::State>(state, &request, Kind::State, None).await
}

#[utoipa::path(
    get,
    path = "/classifieds/catalog/states/{id}",
    params(("id" = u32, Path, description = "The state's id")),
    responses(
        (status = 200, description = "The state", body = catalog::State),
        (status = 404, description = "No such state"),
    )
)]
pub async fn get_state(state: &State, request: Request) -> HttpResult {
    get::<catalog::State>(state, &request, Kind::State, "state").await
}

#[utoipa::path(
    get,
    path = "/classifieds/catalog/states/{id}/cities",
    params(("id" = u32, Path, description = "The state's id"), andes_shared::openapi::PageParams),
    responses(
        (status = 200, description = "The state's cities, by name", body = Page<catalog::City>),
        (status = 404, description = "No such state"),
        (status = 422, description = "`limit` or `cursor` is invalid"),
    )
)]
pub async fn list_cities(state: &State, request: Request) -> HttpResult {
    list::<catalog::City>(state, &request, Kind::City, Some((Kind::State, "state"))).await
}

#[utoipa::path(
    get,
    path = "/classifieds/catalog/cities/{id}",
    params(("id" = u32, Path, description = "The city's id")),
    responses(
        (status = 200, description = "The city", body = catalog::City),
        (status = 404, description = "No such city"),
    )
)]
pub async fn get_city(state: &State, request: Request) -> HttpResult {
    get::<catalog::City>(state, &request, Kind::City, "city").await
}

#[utoipa::path(
    get,
    path = "/classifieds/catalog/brands",
    params(andes_shared::openapi::PageParams),
    responses(
        (status = 200, description = "The brands, by name", body = Page<catalog::Brand>),
        (status = 422, description = "`limit` or `cursor` is invalid"),
    )
)]
pub async fn list_brands(state: &State, request: Request) -> HttpResult {
    list::<catalog::Brand>(state, &request, Kind::Brand, None).await
}

#[utoipa::path(
    get,
    path = "/classifieds/catalog/brands/{id}",
    params(("id" = u32, Path, description = "The brand's id")),
    responses(
        (status = 200, description = "The brand", body = catalog::Brand),
        (status = 404, description = "No such brand"),
    )
)]
pub async fn get_brand(state: &State, request: Request) -> HttpResult {
    get::<catalog::Brand>(state, &request, Kind::Brand, "brand").await
}

#[utoipa::path(
    get,
    path = "/classifieds/catalog/brands/{id}/models",
    params(("id" = u32, Path, description = "The brand's id"), andes_shared::openapi::PageParams),
    responses(
        (status = 200, description = "The brand's models, by name", body = Page<catalog::Model>),
        (status = 404, description = "No such brand"),
        (status = 422, description = "`limit` or `cursor` is invalid"),
    )
)]
pub async fn list_models(state: &State, request: Request) -> HttpResult {
    list::<catalog::Model>(state, &request, Kind::Model, Some((Kind::Brand, "brand"))).await
}

#[utoipa::path(
    get,
    path = "/classifieds/catalog/models/{id}",
    params(("id" = u32, Path, description = "The model's id")),
    responses(
        (status = 200, description = "The model", body = catalog::Model),
        (status = 404, description = "No such model"),
    )
)]
pub async fn get_model(state: &State, request: Request) -> HttpResult {
    get::<catalog::Model>(state, &request, Kind::Model, "model").await
}

#[utoipa::path(
    get,
    path = "/classifieds/catalog/models/{id}/versions",
    params(("id" = u32, Path, description = "The model's id"), andes_shared::openapi::PageParams),
    responses(
        (status = 200, description = "The model's versions, by name", body = Page<catalog::Version>),
        (status = 404, description = "No such model"),
        (status = 422, description = "`limit` or `cursor` is invalid"),
    )
)]
pub async fn list_versions(state: &State, request: Request) -> HttpResult {
    list::<catalog::Version>(state, &request, Kind::Version, Some((Kind::Model, "model"))).await
}

#[utoipa::path(
    get,
    path = "/classifieds/catalog/versions/{id}",
    params(("id" = u32, Path, description = "The version's id")),
    responses(
        (status = 200, description = "The version", body = catalog::Version),
        (status = 404, description = "No such version"),
    )
)]
pub async fn get_version(state: &State, request: Request) -> HttpResult {
    get::<catalog::Version>(state, &request, Kind::Version, "version").await
}

/// Checks an ad's catalog ids (model, optional version of that model, city) and returns
/// the facts the ad keeps (brand, state and names). Unknown ids are 422s naming the field.
pub async fn resolve_placement(state: &State, fields: &AdFields) -> Result<Placement, ApiError> {
    let version = async {
        match fields.version_id {
            Some(id) => state.catalog.get::<catalog::Version>(Kind::Version, id).await,
            None => Ok(None),
        }
    };
    let (model, version, city) = tokio::try_join!(
        state.catalog.get::<catalog::Model>(Kind::Model, fields.model_id),
        version,
        state.catalog.get::<catalog::City>(Kind::City, fields.city_id),
    )?;
    let mut errors = FieldErrors::default();
    if model.is_none() {
        errors.add("model_id", "is not a model of the catalog");
    }
    if fields.version_id.is_some() {
        match (&version, &model) {
            (None, _) => errors.add("version_id", "is not a version of the catalog"),
            (Some(v), Some(m)) if v.model_id != m.id => errors.add("version_id", "is not a version of this model"),
            _ => {}
        }
    }
    if city.is_none() {
        errors.add("city_id", "is not a city of the catalog");
    }
    errors.finish(|| ()).map_err(ApiError::Validation)?;
    let (model, city) = (model.expect("checked"), city.expect("checked"));
    let (brand, uf) = tokio::try_join!(
        state.catalog.get::<catalog::Brand>(Kind::Brand, model.brand_id),
        state.catalog.get::<catalog::State>(Kind::State, city.state_id),
    )?;
    let brand =
        brand.ok_or_else(|| ApiError::internal(format!("model {} has no brand {}", model.id, model.brand_id)))?;
    let uf = uf.ok_or_else(|| ApiError::internal(format!("city {} has no state {}", city.id, city.state_id)))?;
    Ok(Placement {
        brand_id: brand.id,
        brand_name: brand.name,
        model_name: model.name,
        version_name: version.map(|v| v.name),
        state_id: uf.id,
        state_acronym: uf.acronym,
        city_name: city.name,
    })
}
