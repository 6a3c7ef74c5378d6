//! Steps shared by the `dining_*` end-to-end tests (seed 004): accounts by `user_type`
//! (`restaurant`, `client`, none), venue bodies and venues, places no other test uses, list
//! paging, problems, and the table items of the reservation slice that venue routes read
//! (open-reservation index entries, slot seat counters), written straight into the table.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};

use andes_tests::support::{json, query_escape, unique_tag, Ctx, Reply, Value};
use andes_tests::template::{Template, Trigger};
use aws_sdk_dynamodb::types::AttributeValue;

/// A signed-in account.
#[derive(Clone, Debug)]
pub struct Caller {
    pub id: String,
    pub email: String,
    pub token: String,
}

impl Caller {
    pub fn bearer(&self) -> Option<&str> {
        Some(&self.token)
    }
}

async fn caller_of(ctx: &Ctx, user_type: Option<&str>) -> Caller {
    let (new, session) = match user_type {
        Some(user_type) => ctx.new_session_as(user_type).await,
        None => ctx.new_session().await,
    };
    Caller {
        id: session.account_id().to_string(),
        email: new.email,
        token: session.access_token,
    }
}

/// A fresh `restaurant` account (signed up with `user_type: restaurant`).
pub async fn restaurant(ctx: &Ctx) -> Caller {
    caller_of(ctx, Some("restaurant")).await
}

/// `count` fresh restaurant accounts, signed up at once.
pub async fn restaurants(ctx: &Ctx, count: usize) -> Vec<Caller> {
    futures_util::future::join_all((0..count).map(|_| restaurant(ctx))).await
}

/// A fresh `client` (diner) account.
pub async fn client(ctx: &Ctx) -> Caller {
    caller_of(ctx, Some("client")).await
}

/// A fresh plain account (role `user` only).
pub async fn plain_user(ctx: &Ctx) -> Caller {
    caller_of(ctx, None).await
}

/// A venue name no other test uses.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix} {}", unique_tag())
}

/// A point no other test uses: latitude in (−60, 60), longitude in (−170, 170), from random
/// bits (two tests land within a few kilometres of each other about once in 10⁹ runs).
pub fn unique_point() -> (f64, f64) {
    let bits = uuid::Uuid::new_v4().as_u128();
    let fraction = |shift: u32| ((bits >> shift) & 0xFFFF_FFFF) as f64 / 4_294_967_296.0;
    (-60.0 + 120.0 * fraction(0), -170.0 + 340.0 * fraction(64))
}

/// Metres per degree of latitude on the contract's sphere (R = 6 371 km).
const METRES_PER_DEGREE: f64 = 6_371_000.0 * std::f64::consts::PI / 180.0;

/// The point `north` and `east` metres away from `from` (small distances).
pub fn offset(from: (f64, f64), north: f64, east: f64) -> (f64, f64) {
    let lat = from.0 + north / METRES_PER_DEGREE;
    let lon = from.1 + east / (METRES_PER_DEGREE * from.0.to_radians().cos());
    (lat, lon)
}

/// The contract's distance (haversine, R = 6 371 000 m), as the service computes it.
pub fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let d_lat = lat2 - lat1;
    let d_lon = (b.1 - a.1).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lon / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().min(1.0).asin()
}

/// `distance_m` as the API answers it: whole metres, rounded.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> u64 {
    haversine_m(a, b).round() as u64
}

/// The smallest valid venue body: name, location, capacity 10, slots 20:00 and 21:30.
pub fn venue_body(name: &str, at: (f64, f64)) -> Value {
    json!({
        "name": name,
        "location": {"lat": at.0, "lon": at.1},
        "capacity": 10,
        "slots": ["20:00", "21:30"],
    })
}

/// `body` with the members of `more` added or replaced.
pub fn with(mut body: Value, more: Value) -> Value {
    let (Some(target), Value::Object(more)) = (body.as_object_mut(), more) else {
        panic!("with: both must be objects");
    };
    target.extend(more);
    body
}

pub async fn post_venue(ctx: &Ctx, owner: &Caller, body: &Value) -> Reply {
    ctx.call("POST", "/dining/venues", owner.bearer(), Some(body)).await
}

/// Creates the owner's venue (201).
pub async fn create_venue(ctx: &Ctx, owner: &Caller, body: &Value) -> Value {
    post_venue(ctx, owner, body).await.expect(201)
}

/// A fresh restaurant and its venue named `name` at `at`, with `more` fields.
pub async fn venue_at(ctx: &Ctx, name: &str, at: (f64, f64), more: Value) -> (Caller, Value) {
    let owner = restaurant(ctx).await;
    let venue = create_venue(ctx, &owner, &with(venue_body(name, at), more)).await;
    (owner, venue)
}

pub fn venue_path(id: &str) -> String {
    format!("/dining/venues/{id}")
}

/// `POST /dining/venues/{id}/status {"action": action}`.
pub async fn act(ctx: &Ctx, owner: &Caller, id: &str, action: &str) -> Reply {
    ctx.call(
        "POST",
        &format!("/dining/venues/{id}/status"),
        owner.bearer(),
        Some(&json!({ "action": action })),
    )
    .await
}

pub fn id(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {value}"))
        .to_string()
}

/// The ids of a list page's items, in order (`GET /venues` items are venues; near items carry
/// theirs under `venue`).
pub fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list answer without items: {page}"))
        .iter()
        .map(|item| {
            if item["venue"].is_object() {
                id(&item["venue"])
            } else {
                id(item)
            }
        })
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

/// Follows `next_cursor` from the first page of `list` to the last: the pages (anonymous).
pub async fn all_pages(ctx: &Ctx, list: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut path = list.to_string();
    loop {
        let page = ctx.call("GET", &path, None, None).await.expect(200);
        let cursor = page["next_cursor"].as_str().map(str::to_string);
        assert!(
            cursor.is_some() || page["next_cursor"].is_null(),
            "{path}: next_cursor neither a string nor null: {page}"
        );
        pages.push(page);
        match cursor {
            Some(cursor) => path = with_cursor(list, &cursor),
            None => return pages,
        }
        assert!(pages.len() < 200, "{list}: more than 200 pages");
    }
}

/// The ids of every page of `list`, in order.
pub async fn all_ids(ctx: &Ctx, list: &str) -> Vec<String> {
    all_pages(ctx, list).await.iter().flat_map(ids).collect()
}

/// How many replies had each status.
pub fn statuses(replies: &[Reply]) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
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

pub fn problem(field: &str, message: &str) -> (String, String) {
    (field.to_string(), message.to_string())
}

/// The fields of a 422 problem, in order.
pub fn fields(body: &Value) -> Vec<String> {
    problems(body).into_iter().map(|(field, _)| field).collect()
}

/// A time as the API writes it (UTC, `Z`, whole seconds).
pub fn wire(time: chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

// ------------------------------------------------------------------------------ the table

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

async fn put(ctx: &Ctx, item: HashMap<String, AttributeValue>) {
    let table = ctx.env.var("DINING_TABLE");
    ctx.dynamodb
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap_or_else(|error| panic!("put into {table}: {error:?}"));
}

async fn delete(ctx: &Ctx, pk: &str, sk: &str) {
    let table = ctx.env.var("DINING_TABLE");
    ctx.dynamodb
        .delete_item()
        .table_name(table)
        .key("pk", s(pk))
        .key("sk", s(sk))
        .send()
        .await
        .unwrap_or_else(|error| panic!("delete from {table}: {error:?}"));
}

/// The entry the reservation slice keeps in a venue's open-reservation index while a
/// reservation there is Unconfirmed or Accepted: `VENUE#{venue}` / `OPEN#{instant}#{id}`.
pub struct OpenReservation {
    pk: String,
    sk: String,
}

pub async fn open_reservation(ctx: &Ctx, venue_id: &str, instant: &str) -> OpenReservation {
    let (pk, sk) = (format!("VENUE#{venue_id}"), format!("OPEN#{instant}#{}", unknown_id()));
    put(
        ctx,
        HashMap::from([("pk".to_string(), s(&pk)), ("sk".to_string(), s(&sk))]),
    )
    .await;
    OpenReservation { pk, sk }
}

/// The reservation closes: its entry leaves the index.
pub async fn close_reservation(ctx: &Ctx, open: OpenReservation) {
    delete(ctx, &open.pk, &open.sk).await;
}

/// The seat counter the reservation slice keeps per venue and slot start:
/// `SLOT#{venue}#{instant}` / `SLOT`, `booked` = seats held.
pub async fn hold_seats(ctx: &Ctx, venue_id: &str, start: &str, booked: u32) {
    put(
        ctx,
        HashMap::from([
            ("pk".to_string(), s(&format!("SLOT#{venue_id}#{start}"))),
            ("sk".to_string(), s("SLOT")),
            ("booked".to_string(), AttributeValue::N(booked.to_string())),
        ]),
    )
    .await;
}

/// Every item of a venue's partition (strongly consistent): its sort keys.
pub async fn venue_partition(ctx: &Ctx, venue_id: &str) -> Vec<String> {
    let table = ctx.env.var("DINING_TABLE");
    let output = ctx
        .dynamodb
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", s(&format!("VENUE#{venue_id}")))
        .consistent_read(true)
        .send()
        .await
        .unwrap_or_else(|error| panic!("query {table}: {error:?}"));
    let mut sks: Vec<String> = output
        .items()
        .iter()
        .filter_map(|item| item.get("sk").and_then(|sk| sk.as_s().ok()).cloned())
        .collect();
    sks.sort();
    sks
}

// ------------------------------------------------------------------------------ reservations

/// The logical id of the dining schedule whose name contains `fragment` (`Expire`, `Decay`,
/// `Summar`), found in template.yaml as §13 says: a function starting with `Dining` with a
/// `Schedule`/`ScheduleV2` event.
pub fn dining_schedule(fragment: &str) -> String {
    let found: Vec<String> = Template::load()
        .functions()
        .into_iter()
        .filter(|function| function.logical_id.starts_with("Dining") && function.logical_id.contains(fragment))
        .filter(|function| function.triggers.contains(&Trigger::Schedule))
        .map(|function| function.logical_id)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one Dining*{fragment}* schedule in template.yaml: {found:?}"
    );
    found[0].clone()
}

/// Fires a dining schedule as of `time` (its event's `time`); answers once it ran.
pub async fn fire_schedule(ctx: &Ctx, fragment: &str, time: chrono::DateTime<chrono::Utc>) {
    let path = format!(
        "/_local/schedules/{}?time={}",
        dining_schedule(fragment),
        query_escape(&wire(time))
    );
    ctx.call("POST", &path, None, None).await.expect(200);
}

/// Buenos Aires (the default zone) is UTC−3 all year.
pub const BUENOS_AIRES_HOURS: i64 = -3;

/// The UTC instant of `hh:mm` on the Buenos Aires date `days` after today there.
pub fn slot_in(days: i64, hh: u32, mm: u32) -> chrono::DateTime<chrono::Utc> {
    let zone = chrono::Duration::hours(BUENOS_AIRES_HOURS);
    let date = (chrono::Utc::now() + zone + chrono::Duration::days(days)).date_naive();
    date.and_hms_opt(hh, mm, 0).unwrap().and_utc() - zone
}

/// `POST /dining/reservations` by `diner`.
pub async fn post_reservation(ctx: &Ctx, diner: &Caller, venue_id: &str, time: &str, people: u32) -> Reply {
    let body = json!({"venue": venue_id, "time": time, "people": people});
    ctx.call("POST", "/dining/reservations", diner.bearer(), Some(&body))
        .await
}

/// A new reservation (201) at the venue's 20:00 slot `days` ahead.
pub async fn book(ctx: &Ctx, diner: &Caller, venue_id: &str, days: i64, people: u32) -> Value {
    post_reservation(ctx, diner, venue_id, &wire(slot_in(days, 20, 0)), people)
        .await
        .expect(201)
}

pub fn reservation_path(id: &str) -> String {
    format!("/dining/reservations/{id}")
}

/// `PATCH /dining/reservations/{id}` by `caller`.
pub async fn patch_reservation(ctx: &Ctx, caller: &Caller, id: &str, body: Value) -> Reply {
    ctx.call("PATCH", &reservation_path(id), caller.bearer(), Some(&body))
        .await
}

/// The venue owner moves a reservation on: Unconfirmed → Accepted → Assisted.
pub async fn advance(ctx: &Ctx, owner: &Caller, id: &str) -> Value {
    patch_reservation(ctx, owner, id, json!({"advance_forward": true}))
        .await
        .expect(200)
}
