//! Steps shared by the `deliveries_*` end-to-end tests (seed 002): staff sessions (operators
//! granted with `identity-admin grant-role`), warehouses and transport runs.
#![allow(dead_code)]

use andes_tests::support::{json, query_escape, unique_tag, Ctx, Reply, Value};

/// A signed-in account and what it may do.
#[derive(Clone, Debug)]
pub struct Caller {
    pub email: String,
    pub token: String,
}

impl Caller {
    pub fn bearer(&self) -> Option<&str> {
        Some(&self.token)
    }
}

/// A fresh account with role `user` only.
pub async fn user(ctx: &Ctx) -> Caller {
    let (new, session) = ctx.new_session().await;
    Caller {
        email: new.email,
        token: session.access_token,
    }
}

/// A fresh account granted role `operator`, logged in again (roles are read from the token).
pub async fn operator(ctx: &Ctx) -> Caller {
    let (new, _) = ctx.new_session().await;
    ctx.admin(&["grant-role", "--email", &new.email, "--role", "operator"])
        .await;
    let session = ctx.login_session(&new.email, &new.password).await;
    let me = ctx.me(Some(&session.access_token)).await.expect(200);
    assert!(
        me["roles"].as_array().is_some_and(|r| r.contains(&json!("operator"))),
        "operator not in the account's roles after the grant: {me}"
    );
    Caller {
        email: new.email,
        token: session.access_token,
    }
}

/// The platform's admin account (roles user, admin).
pub async fn admin(ctx: &Ctx) -> Caller {
    let session = ctx.admin_session().await;
    Caller {
        email: ctx.env.var("ANDES_ADMIN_EMAIL").to_string(),
        token: session.access_token,
    }
}

/// A place no other test uses (lists filtered by it see only this test's warehouses).
pub fn unique_place(name: &str) -> String {
    format!("{name} {}", unique_tag())
}

/// A plate no other test uses, lower-case (the API upper-cases it): 10 characters.
pub fn unique_plate() -> String {
    format!("t-{}", &unique_tag()[..8])
}

pub fn warehouse_body(location: &str, capacity: u64) -> Value {
    json!({"name": format!("Bodega {}", unique_tag()), "location": location, "capacity": capacity})
}

/// Creates a warehouse (201).
pub async fn create_warehouse(ctx: &Ctx, staff: &Caller, location: &str, capacity: u64) -> Value {
    ctx.call(
        "POST",
        "/deliveries/warehouses",
        staff.bearer(),
        Some(&warehouse_body(location, capacity)),
    )
    .await
    .expect(201)
}

pub fn transport_body(plate: &str, warehouse_id: &str, destination: &str) -> Value {
    json!({
        "vehicle_plate": plate,
        "cargo_type": "food",
        "warehouse_id": warehouse_id,
        "route": {
            "destination": destination,
            "departure_date": "2030-01-10T08:00:00Z",
            "arrival_date": "2030-01-10T18:00:00Z",
        },
    })
}

pub async fn post_transport(ctx: &Ctx, staff: &Caller, body: &Value) -> Reply {
    ctx.call("POST", "/deliveries/transports", staff.bearer(), Some(body))
        .await
}

/// Registers a run of `plate` from the warehouse to Medellín (201).
pub async fn create_transport(ctx: &Ctx, staff: &Caller, plate: &str, warehouse_id: &str) -> Value {
    post_transport(ctx, staff, &transport_body(plate, warehouse_id, "Medellín"))
        .await
        .expect(201)
}

/// `POST /deliveries/transports/{id}/{action}` (depart / arrive).
pub async fn move_transport(ctx: &Ctx, staff: &Caller, id: &str, action: &str) -> Reply {
    ctx.call(
        "POST",
        &format!("/deliveries/transports/{id}/{action}"),
        staff.bearer(),
        None,
    )
    .await
}

pub fn id(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {value}"))
        .to_string()
}

/// The ids of a list page's items, in order.
pub fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list answer without items: {page}"))
        .iter()
        .map(id)
        .collect()
}

/// A UUIDv7 nobody has used: an unknown id.
pub fn unknown_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Cursors no list hands out: empty JSON, a made-up offset, text that is not base64 JSON.
pub const FORGED_CURSORS: [&str; 3] = ["e30", "b2Zmc2V0OjE4NDQ2NzQ0MDczNzA5NTUxNjE1", "not-a-cursor"];

/// `list` (a path with or without a query) with `cursor` added.
pub fn with_cursor(list: &str, cursor: &str) -> String {
    let separator = if list.contains('?') { '&' } else { '?' };
    format!("{list}{separator}cursor={}", query_escape(cursor))
}

/// Follows `next_cursor` from the first page of `list` to the last: the pages' ids.
pub async fn all_pages(ctx: &Ctx, staff: &Caller, list: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut path = list.to_string();
    loop {
        let page = ctx.call("GET", &path, staff.bearer(), None).await.expect(200);
        pages.push(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = with_cursor(list, cursor),
            None => return pages,
        }
        assert!(pages.len() < 50, "{list}: more than 50 pages");
    }
}

/// How many replies had each status.
pub fn statuses(replies: &[Reply]) -> std::collections::BTreeMap<u16, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for reply in replies {
        *counts.entry(reply.status).or_insert(0) += 1;
    }
    counts
}

/// The `(field, message)` pairs of a 422 problem, in order.
pub fn problems(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("a 422 without errors: {body}"))
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default().to_string(),
                e["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The fields of a 422 problem, in order.
pub fn fields(body: &Value) -> Vec<String> {
    problems(body).into_iter().map(|(field, _)| field).collect()
}
