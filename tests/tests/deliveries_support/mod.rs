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

// ------------------------------------------------------------------------------ orders

/// How long the saga, the projector and the notifier may take to show an outcome (§4: tests
/// allow 20 s).
pub const SAGA_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// The eleven event types of §2, in the table's order (the keys of every daily stats item).
pub const EVENT_TYPES: [&str; 11] = [
    "OrderReceived",
    "StockReserved",
    "StockReservationFailed",
    "OrderStored",
    "TransportAssigned",
    "TransportAssignmentFailed",
    "StockReleased",
    "OrderDispatched",
    "OrderDelivered",
    "OrderReturned",
    "OrderCancelled",
];

/// The §3 sequence of an order loaded onto a transport.
pub const DISPATCHED: [&str; 6] = [
    "OrderReceived",
    "StockReserved",
    "OrderStored",
    "TransportAssigned",
    "StockReleased",
    "OrderDispatched",
];
/// The §3 sequence of an order finding no warehouse with room at its origin.
pub const NO_ROOM: [&str; 3] = ["OrderReceived", "StockReservationFailed", "OrderCancelled"];
/// The §3 sequence of a stored order that got no transport (compensated).
pub const NO_TRANSPORT: [&str; 6] = [
    "OrderReceived",
    "StockReserved",
    "OrderStored",
    "TransportAssignmentFailed",
    "StockReleased",
    "OrderCancelled",
];
/// A stored order, waiting for a transport.
pub const STORED: [&str; 3] = ["OrderReceived", "StockReserved", "OrderStored"];
/// A stored order its client (or an operator) cancelled.
pub const STORED_THEN_CANCELLED: [&str; 5] = [
    "OrderReceived",
    "StockReserved",
    "OrderStored",
    "StockReleased",
    "OrderCancelled",
];

/// The destination of [`transport_body`]'s runs: orders going there match those transports.
pub const TRANSPORT_DESTINATION: &str = "Medellín";

/// The account id of `caller` (`GET /identity/me`): the `client_id` of the orders it places.
pub async fn me_id(ctx: &Ctx, caller: &Caller) -> String {
    id(&ctx.me(caller.bearer()).await.expect(200))
}

/// An RFC 3339 UTC instant with `Z`, to the second (how route dates are sent and echoed).
pub fn rfc3339(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A departure no test reaches: orders leaving then wait for a transport as long as needed, and
/// no firing of the expiry schedule (always as of a few seconds from now) touches them.
pub fn far_future() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2031-03-01T08:00:00Z")
        .expect("a valid instant")
        .with_timezone(&chrono::Utc)
}

/// A departure long past: a stored order leaving then is compensated at once.
pub fn long_ago() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2021-03-01T08:00:00Z")
        .expect("a valid instant")
        .with_timezone(&chrono::Utc)
}

/// `count` products `P-001`, `P-002`, … (one storage unit each).
pub fn products(count: usize) -> Value {
    json!((1..=count)
        .map(|n| json!({"code": format!("P-{n:03}"), "name": format!("Producto {n}"), "category": "lacteos"}))
        .collect::<Vec<_>>())
}

/// A `POST /orders` body: `products` products from `origin` to `destination`, leaving at
/// `departure` and arriving ten hours later; `cargo` absent means the default (`goods`).
pub fn order_body(
    origin: &str,
    destination: &str,
    departure: chrono::DateTime<chrono::Utc>,
    products_count: usize,
    cargo: Option<&str>,
) -> Value {
    let mut body = json!({
        "products": products(products_count),
        "route": {
            "origin": origin,
            "destination": destination,
            "departure_date": rfc3339(departure),
            "arrival_date": rfc3339(departure + chrono::Duration::hours(10)),
        },
    });
    if let Some(cargo) = cargo {
        body["cargo_type"] = json!(cargo);
    }
    body
}

/// `POST /deliveries/orders` with an optional `Idempotency-Key`.
pub async fn post_order(ctx: &Ctx, caller: &Caller, body: &Value, idempotency_key: Option<&str>) -> Reply {
    let authorization = format!("Bearer {}", caller.token);
    let mut headers = vec![
        ("authorization", authorization.as_str()),
        ("content-type", "application/json"),
    ];
    if let Some(key) = idempotency_key {
        headers.push(("idempotency-key", key));
    }
    ctx.call_raw("POST", "/deliveries/orders", &headers, body.to_string().into_bytes())
        .await
}

/// Places an order (202) and returns it as answered (`received`, version 1).
pub async fn place_order(ctx: &Ctx, caller: &Caller, body: &Value) -> Value {
    post_order(ctx, caller, body, None).await.expect(202)
}

/// An order whose origin has no warehouse (nobody else uses the place): the saga cancels it
/// with `no_warehouse_capacity` within seconds, and nothing else ever happens to it.
pub async fn place_order_nowhere(ctx: &Ctx, caller: &Caller) -> Value {
    let body = order_body(&unique_place("Pasto"), "Cali", far_future(), 1, None);
    place_order(ctx, caller, &body).await
}

pub async fn get_order(ctx: &Ctx, caller: &Caller, order_id: &str) -> Reply {
    ctx.call("GET", &format!("/deliveries/orders/{order_id}"), caller.bearer(), None)
        .await
}

/// `POST /deliveries/orders/{id}/{action}` (cancel / deliver / return) with an optional body.
pub async fn order_command(ctx: &Ctx, caller: &Caller, order_id: &str, action: &str, body: Option<&Value>) -> Reply {
    ctx.call(
        "POST",
        &format!("/deliveries/orders/{order_id}/{action}"),
        caller.bearer(),
        body,
    )
    .await
}

/// `GET /deliveries/orders/{id}/events` with a query (`""` or `"after=2&limit=5"`).
pub async fn order_events(ctx: &Ctx, caller: &Caller, order_id: &str, query: &str) -> Reply {
    let separator = if query.is_empty() { "" } else { "?" };
    ctx.call(
        "GET",
        &format!("/deliveries/orders/{order_id}/events{separator}{query}"),
        caller.bearer(),
        None,
    )
    .await
}

/// The whole history of an order (every page of its feed), oldest first.
pub async fn history(ctx: &Ctx, caller: &Caller, order_id: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut query = "limit=100".to_string();
    for _ in 0..20 {
        let page = order_events(ctx, caller, order_id, &query).await.expect(200);
        events.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("limit=100&cursor={}", query_escape(cursor)),
            None => return events,
        }
    }
    panic!("the history of {order_id} has more than 20 pages");
}

/// The `type`s of a history, in order.
pub fn types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The first event of `kind` in a history.
pub fn event_of<'a>(events: &'a [Value], kind: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["type"] == json!(kind))
        .unwrap_or_else(|| panic!("no {kind} in the history {:?}", types(events)))
}

/// Polls the history of an order until `done` holds (bounded by `timeout`); returns it.
pub async fn wait_for_history(
    ctx: &Ctx,
    caller: &Caller,
    order_id: &str,
    done: impl Fn(&[Value]) -> bool,
    timeout: std::time::Duration,
) -> Vec<Value> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let events = history(ctx, caller, order_id).await;
        if done(&events) {
            return events;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "order {order_id}: the history did not reach the expected state within {timeout:?}; it is {:?}",
            types(&events)
        );
        tokio::time::sleep(andes_tests::support::POLL_INTERVAL).await;
    }
}

/// Waits until the history of an order is exactly `expected` (types, in order) and returns it.
/// A history that goes past `expected`, or away from it, fails at once.
pub async fn wait_for_types(ctx: &Ctx, caller: &Caller, order_id: &str, expected: &[&str]) -> Vec<Value> {
    let events = wait_for_history(
        ctx,
        caller,
        order_id,
        |events| {
            let seen = types(events);
            assert!(
                seen.len() <= expected.len() && seen.iter().zip(expected).all(|(a, b)| a == b),
                "order {order_id}: history {seen:?} is not on the way to {expected:?}"
            );
            seen.len() == expected.len()
        },
        SAGA_TIMEOUT,
    )
    .await;
    assert_versions(&events);
    events
}

/// Event versions are 1, 2, 3, … with no gap and no repeat, and times never go back.
pub fn assert_versions(events: &[Value]) {
    let versions: Vec<u64> = events.iter().map(|e| e["version"].as_u64().unwrap_or(0)).collect();
    let expected: Vec<u64> = (1..=events.len() as u64).collect();
    assert_eq!(versions, expected, "versions of {:?}", types(events));
    let times: Vec<&str> = events.iter().map(|e| e["time"].as_str().unwrap_or_default()).collect();
    let parsed: Vec<chrono::DateTime<chrono::FixedOffset>> = times
        .iter()
        .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap_or_else(|e| panic!("event time {t:?}: {e}")))
        .collect();
    assert!(
        parsed.windows(2).all(|w| w[0] <= w[1]),
        "event times go back: {times:?}"
    );
}

/// Polls `GET /orders/{id}` (the projection, which may lag) until the order satisfies `done`.
pub async fn wait_for_order(
    ctx: &Ctx,
    caller: &Caller,
    order_id: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + SAGA_TIMEOUT;
    loop {
        let reply = get_order(ctx, caller, order_id).await;
        let order = match reply.status {
            // Not projected yet.
            404 => Value::Null,
            _ => reply.expect(200),
        };
        if !order.is_null() && done(&order) {
            return order;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "order {order_id}: not {what} within {SAGA_TIMEOUT:?}; last answer: {} {}",
            reply.status,
            reply.text
        );
        tokio::time::sleep(andes_tests::support::POLL_INTERVAL).await;
    }
}

/// Waits until the projection shows the order in `status`; returns it.
pub async fn wait_for_status(ctx: &Ctx, caller: &Caller, order_id: &str, status: &str) -> Value {
    wait_for_order(ctx, caller, order_id, status, |order| order["status"] == json!(status)).await
}

/// Waits until the projection has caught up with the history (`version` = the stream's).
pub async fn wait_for_projection(ctx: &Ctx, caller: &Caller, order_id: &str) -> Value {
    let stream_version = order_events(ctx, caller, order_id, "limit=1").await.expect(200)["stream_version"]
        .as_u64()
        .expect("stream_version");
    wait_for_order(ctx, caller, order_id, "projected", |order| {
        order["version"].as_u64() == Some(stream_version)
    })
    .await
}

/// Waits (long-polling the feed, no fixed sleep) `seconds` for an event after `version`, and
/// asserts none came: the order's history stays as it is.
pub async fn assert_nothing_appended(ctx: &Ctx, caller: &Caller, order_id: &str, version: u64, seconds: u64) {
    let page = order_events(ctx, caller, order_id, &format!("after={version}&wait={seconds}"))
        .await
        .expect(200);
    assert_eq!(
        page["items"],
        json!([]),
        "order {order_id}: events appended after version {version}"
    );
    assert_eq!(page["stream_version"], json!(version), "{page}");
}

/// A stored order waiting for a transport: a warehouse at a unique origin with room, an order
/// of `units` products leaving in [`far_future`] to a place no transport goes. Returns
/// (warehouse id, order as stored in the history: version 3).
pub async fn waiting_order(ctx: &Ctx, staff: &Caller, client: &Caller, units: usize) -> (String, String) {
    let origin = unique_place("Tunja");
    let warehouse = id(&create_warehouse(ctx, staff, &origin, 100).await);
    let order = place_order(
        ctx,
        client,
        &order_body(&origin, &unique_place("Leticia"), far_future(), units, None),
    )
    .await;
    let order_id = id(&order);
    wait_for_types(ctx, client, &order_id, &STORED).await;
    (warehouse, order_id)
}

/// A warehouse at a unique origin with a loaded `food` run to [`TRANSPORT_DESTINATION`], and
/// an order of `units` products the saga loads onto it. Returns (warehouse id, transport id,
/// order id) once the history shows the order dispatched.
pub async fn dispatched_order(ctx: &Ctx, staff: &Caller, client: &Caller, units: usize) -> (String, String, String) {
    let origin = unique_place("Bogotá");
    let warehouse = id(&create_warehouse(ctx, staff, &origin, 100).await);
    let transport = id(&create_transport(ctx, staff, &unique_plate(), &warehouse).await);
    let order_id = dispatched_from(ctx, client, &origin, units).await;
    (warehouse, transport, order_id)
}

/// Places a `food` order from `origin` to [`TRANSPORT_DESTINATION`] and waits until it is
/// dispatched (a matching run must be loaded at the origin's warehouse).
pub async fn dispatched_from(ctx: &Ctx, client: &Caller, origin: &str, units: usize) -> String {
    let body = order_body(origin, TRANSPORT_DESTINATION, far_future(), units, Some("food"));
    let order_id = id(&place_order(ctx, client, &body).await);
    wait_for_types(ctx, client, &order_id, &DISPATCHED).await;
    order_id
}

pub async fn get_warehouse(ctx: &Ctx, staff: &Caller, warehouse_id: &str) -> Value {
    ctx.call(
        "GET",
        &format!("/deliveries/warehouses/{warehouse_id}"),
        staff.bearer(),
        None,
    )
    .await
    .expect(200)
}

/// The warehouse's `stock`, checking the invariant `0 ≤ stock ≤ capacity` and `available`.
pub async fn stock(ctx: &Ctx, staff: &Caller, warehouse_id: &str) -> u64 {
    let warehouse = get_warehouse(ctx, staff, warehouse_id).await;
    let (stock, capacity) = (
        warehouse["stock"].as_u64().expect("stock"),
        warehouse["capacity"].as_u64().expect("capacity"),
    );
    assert!(stock <= capacity, "stock above capacity: {warehouse}");
    assert_eq!(warehouse["available"], json!(capacity - stock), "{warehouse}");
    stock
}

/// Polls until the warehouse's stock is `expected` (the write model changes in the saga's
/// transactions, which the history shows first only by a moment).
pub async fn wait_for_stock(ctx: &Ctx, staff: &Caller, warehouse_id: &str, expected: u64) {
    let deadline = std::time::Instant::now() + SAGA_TIMEOUT;
    loop {
        let now = stock(ctx, staff, warehouse_id).await;
        if now == expected {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "warehouse {warehouse_id}: stock {now}, expected {expected}"
        );
        tokio::time::sleep(andes_tests::support::POLL_INTERVAL).await;
    }
}

pub async fn get_transport(ctx: &Ctx, staff: &Caller, transport_id: &str) -> Value {
    ctx.call(
        "GET",
        &format!("/deliveries/transports/{transport_id}"),
        staff.bearer(),
        None,
    )
    .await
    .expect(200)
}

/// A 409 problem whose `detail` contains `message` (the contract's messages are matched as
/// substrings).
pub fn expect_conflict(reply: &Reply, message: &str) -> Value {
    let problem = reply.expect_problem(409, None);
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(message),
        "{}: 409 detail {detail:?} lacks {message:?}",
        reply.request
    );
    problem
}

/// The 409 of a stale `expected_version`, with its `current_version` member.
pub fn expect_version_conflict(reply: &Reply, expected: u64, current: u64) {
    let problem = expect_conflict(
        reply,
        &format!("Order has changed: expected version {expected}, current version {current}"),
    );
    assert_eq!(problem["current_version"], json!(current), "{problem}");
}

/// A 422 problem with an error on `field` whose message contains `message`.
pub fn expect_field_message(reply: &Reply, field: &str, message: &str) {
    let problem = reply.expect_invalid_field(field);
    assert!(
        problems(&problem)
            .iter()
            .any(|(f, m)| f == field && m.contains(message)),
        "{}: no {field:?} error saying {message:?}: {problem}",
        reply.request
    );
}

// ------------------------------------------------------------------------------ schedules, stats, outbox

/// The schedule that compensates waiting orders whose departure has passed.
pub const EXPIRE_WAITING_ORDERS: &str = "DeliveriesExpireWaitingOrdersFunction";

/// Fires the expiry schedule as of `time` (the scheduled event's `time`, which the function
/// takes as "now"); answers once the invocation finished.
pub async fn fire_expiry(ctx: &Ctx, time: chrono::DateTime<chrono::Utc>) {
    ctx.call(
        "POST",
        &format!(
            "/_local/schedules/{EXPIRE_WAITING_ORDERS}?time={}",
            query_escape(&rfc3339(time))
        ),
        None,
        None,
    )
    .await
    .expect(200);
}

/// `GET /deliveries/stats/daily` with a query (`""` for the defaults).
pub async fn daily_stats(ctx: &Ctx, caller: &Caller, query: &str) -> Reply {
    let separator = if query.is_empty() { "" } else { "?" };
    ctx.call(
        "GET",
        &format!("/deliveries/stats/daily{separator}{query}"),
        caller.bearer(),
        None,
    )
    .await
}

/// The counts of one date (`YYYY-MM-DD`), checking the item's shape: every event type an
/// integer, `total` their sum.
pub async fn counts_on(ctx: &Ctx, staff: &Caller, date: &str) -> Value {
    let page = daily_stats(ctx, staff, &format!("from={date}&to={date}"))
        .await
        .expect(200);
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["date"], json!(date), "{page}");
    assert_counts_shape(&items[0]);
    items[0]["counts"].clone()
}

/// A stats item has every event type of §2 as an integer count, nothing else, and `total` is
/// their sum.
pub fn assert_counts_shape(item: &Value) {
    let counts = item["counts"]
        .as_object()
        .unwrap_or_else(|| panic!("counts is not an object: {item}"));
    let mut keys: Vec<&str> = counts.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = EVENT_TYPES.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected, "{item}");
    let sum: u64 = counts
        .values()
        .map(|v| {
            v.as_u64()
                .unwrap_or_else(|| panic!("a count that is not an integer: {item}"))
        })
        .sum();
    assert_eq!(item["total"], json!(sum), "{item}");
}

/// The outbox objects whose key contains `event_id` (the notifier names an order-status
/// message's object after its event), with their JSON. Looks in the date folders around now.
pub async fn outbox_objects_of_event(ctx: &Ctx, event_id: &str) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for key in ctx.outbox_keys().await {
        if key.contains(event_id) {
            let message = ctx.outbox_object(&key).await;
            found.push((key, message));
        }
    }
    found
}

/// Whether some object inside `value` (at any depth) has member `key` equal to `expected`.
pub fn has_member(value: &Value, key: &str, expected: &Value) -> bool {
    match value {
        Value::Object(map) => map.get(key) == Some(expected) || map.values().any(|v| has_member(v, key, expected)),
        Value::Array(items) => items.iter().any(|v| has_member(v, key, expected)),
        _ => false,
    }
}
