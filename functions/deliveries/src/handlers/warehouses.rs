//! `/deliveries/warehouses[/{id}]`: operators and admins register warehouses and read the
//! write model (stock and what is available).

use andes_shared::dynamo::Page;
use andes_shared::http::{ok, ApiError};
use andes_shared::ids;
use chrono::Utc;
use lambda_http::Request;

use super::{body, created_at, list_params, path_id, query, staff, HttpResult};
use crate::config::State;
use crate::domain::{warehouse_input, Warehouse, WarehouseView};

fn not_found() -> ApiError {
    ApiError::NotFound("warehouse not found".into())
}

/// `POST /deliveries/warehouses` → 201, `Location`, stock 0.
#[utoipa::path(
    post,
    path = "/deliveries/warehouses",
    request_body = crate::openapi::WarehouseBody,
    responses(
        (status = 201, description = "The new warehouse, empty", body = WarehouseView,
            headers(("Location" = String, description = "`/deliveries/warehouses/{id}`"))),
    )
)]
pub async fn create(state: &State, request: Request) -> HttpResult {
    staff(&request)?;
    let input = warehouse_input(&body(&request)?)?;
    let warehouse = Warehouse::new(&ids::new_id(), input, Utc::now());
    state.store.create_warehouse(&warehouse).await?;
    created_at(&format!("/deliveries/warehouses/{}", warehouse.id), &warehouse.view())
}

/// `GET /deliveries/warehouses?location=&limit=&cursor=`: newest first; `location` matches
/// trimmed and case-insensitive.
#[utoipa::path(
    get,
    path = "/deliveries/warehouses",
    params(crate::openapi::WarehousesQuery, andes_shared::openapi::PageParams),
    responses(
        (status = 200, description = "Warehouses, newest first", body = Page<WarehouseView>),
        (status = 422, description = "`limit` or `cursor` is invalid (`errors` names each)"),
    )
)]
pub async fn list(state: &State, request: Request) -> HttpResult {
    staff(&request)?;
    let (limit, ()) = list_params(&request, Ok(()))?;
    let location = query(&request, "location");
    let cursor = query(&request, "cursor");
    let page = state
        .store
        .list_warehouses(location.as_deref(), limit, cursor.as_deref())
        .await?;
    ok(&page.try_map(|warehouse| Ok(warehouse.view()))?)
}

/// `GET /deliveries/warehouses/{id}`: the write model, strongly consistent.
#[utoipa::path(
    get,
    path = "/deliveries/warehouses/{id}",
    params(("id" = String, Path, description = "The warehouse's id")),
    responses(
        (status = 200, description = "The warehouse (strongly consistent)", body = WarehouseView),
        (status = 404, description = "No such warehouse"),
    )
)]
pub async fn get(state: &State, request: Request) -> HttpResult {
    staff(&request)?;
    let id = path_id(&request).ok_or_else(not_found)?;
    let warehouse = state.store.get_warehouse(&id).await?.ok_or_else(not_found)?;
    ok(&warehouse.view())
}
