//! Steps shared by the `infractions_*` end-to-end tests: the public contract of seed 001
//! (`cargar_infraccion`, `generar_informe`) and the admin resources, with fresh data per test.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use andes_tests::support::{json, query_escape, unique_tag, Ctx, Reply, Value, POLL_INTERVAL};
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};

pub const CARGAR: &str = "/infractions/cargar_infraccion";
pub const PERSONS: &str = "/infractions/admin/persons";
pub const VEHICLES: &str = "/infractions/admin/vehicles";
pub const OFFICERS: &str = "/infractions/admin/officers";

/// The seed's fixtures (loaded when the platform starts).
pub const FIXTURE_EMAIL: &str = "pedro@gmail.com";
pub const FIXTURE_PLATE: &str = "GPZ402";
/// The keys every report item had in the seed; Andes keeps them.
pub const SEED_KEYS: [&str; 5] = ["id", "vehicle_id", "comments", "officer_id", "created_at"];
/// The keys Andes adds to every report item.
pub const REPORT_KEYS: [&str; 6] = [
    "plate",
    "vehicle_brand",
    "vehicle_color",
    "timestamp",
    "officer_name",
    "created",
];

/// Bound for a new infraction to show in a report (the report may read an index that is
/// eventually consistent on AWS).
pub const REPORT_TIMEOUT: Duration = Duration::from_secs(60);

/// The fixture officer's API key.
pub fn fixture_officer_key(ctx: &Ctx) -> String {
    ctx.env.var("INFRACTIONS_OFFICER_KEY").to_string()
}

/// A moment `minutes_ago` minutes before now, whole seconds, RFC 3339 with `Z`.
pub fn minutes_ago(minutes: i64) -> String {
    (Utc::now() - chrono::Duration::minutes(minutes)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn parse_time(value: &Value, what: &str) -> DateTime<FixedOffset> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("{what}: not a string: {value}"));
    DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{what}: {text:?} is not RFC 3339: {e}"))
}

/// A plate nobody else uses, already normalised (upper-case, no spaces): `T` + 7 hex digits.
pub fn unique_plate() -> String {
    format!("T{}", unique_tag()[..7].to_uppercase())
}

/// A badge number nobody else uses.
pub fn unique_badge() -> u64 {
    let n = u64::from_str_radix(&unique_tag()[..8], 16).expect("hex");
    1_000_000 + n % 1_000_000_000
}

pub fn infraction(plate: &str, timestamp: &str, comments: &str) -> Value {
    json!({ "placa_patente": plate, "timestamp": timestamp, "comentarios": comments })
}

/// POST /infractions/cargar_infraccion with this bearer (none: no Authorization header).
pub async fn cargar(ctx: &Ctx, key: Option<&str>, body: &Value) -> Reply {
    ctx.call("POST", CARGAR, key, Some(body)).await
}

/// Posts an infraction (200) and returns its id.
pub async fn cargar_ok(ctx: &Ctx, key: &str, plate: &str, timestamp: &str, comments: &str) -> String {
    let body = cargar(ctx, Some(key), &infraction(plate, timestamp, comments))
        .await
        .expect(200);
    id_of(&body, "cargar_infraccion answer")
}

/// GET /infractions/generar_informe (no credentials); `None` leaves the email out.
pub async fn informe(ctx: &Ctx, email: Option<&str>) -> Reply {
    let path = match email {
        Some(email) => format!("/infractions/generar_informe?email={}", query_escape(email)),
        None => "/infractions/generar_informe".to_string(),
    };
    ctx.call("GET", &path, None, None).await
}

/// The report of `email` (200, a JSON list).
pub async fn informe_items(ctx: &Ctx, email: &str) -> Vec<Value> {
    let body = informe(ctx, Some(email)).await.expect(200);
    body.as_array()
        .unwrap_or_else(|| panic!("report of {email} is not a JSON list: {body}"))
        .clone()
}

/// Reads the report of `email` until it holds every id of `ids` (bounded by [`REPORT_TIMEOUT`]).
pub async fn informe_with(ctx: &Ctx, email: &str, ids: &[String]) -> Vec<Value> {
    let deadline = Instant::now() + REPORT_TIMEOUT;
    loop {
        let items = informe_items(ctx, email).await;
        let missing: Vec<&String> = ids
            .iter()
            .filter(|id| !items.iter().any(|item| item_id(item) == **id))
            .collect();
        if missing.is_empty() {
            return items;
        }
        if Instant::now() >= deadline {
            panic!(
                "after {REPORT_TIMEOUT:?} the report of {email} still lacks {} of {} infractions \
                 (e.g. {:?}); it has {} items",
                missing.len(),
                ids.len(),
                missing.first(),
                items.len()
            );
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// An id as text, whether the service answers it as a string or a number.
pub fn item_id(value: &Value) -> String {
    match &value["id"] {
        Value::String(id) => id.clone(),
        Value::Number(id) => id.to_string(),
        _ => String::new(),
    }
}

pub fn id_of(body: &Value, what: &str) -> String {
    let id = item_id(body);
    assert!(!id.is_empty(), "{what} without an id: {body}");
    id
}

/// Asserts the report items are newest first by `timestamp`.
pub fn assert_newest_first(items: &[Value], what: &str) {
    for pair in items.windows(2) {
        let (a, b) = (
            parse_time(&pair[0]["timestamp"], what),
            parse_time(&pair[1]["timestamp"], what),
        );
        assert!(a >= b, "{what}: not newest first: {} before {}", pair[0], pair[1]);
    }
}

/// Asserts every item has the seed's keys and the keys Andes adds.
pub fn assert_report_shape(items: &[Value], what: &str) {
    for item in items {
        let object = item
            .as_object()
            .unwrap_or_else(|| panic!("{what}: report item is not an object: {item}"));
        for key in SEED_KEYS.iter().chain(REPORT_KEYS.iter()) {
            assert!(object.contains_key(*key), "{what}: report item without {key:?}: {item}");
        }
    }
}

// ------------------------------------------------------------------------------ admin

/// A logged-in admin's access token.
pub async fn admin_token(ctx: &Ctx) -> String {
    ctx.admin_session().await.access_token
}

pub async fn create_person(ctx: &Ctx, admin: &str, name: &str, email: &str) -> Value {
    let body = ctx
        .call(
            "POST",
            PERSONS,
            Some(admin),
            Some(&json!({ "name": name, "email": email })),
        )
        .await
        .expect(201);
    id_of(&body, "created person");
    body
}

/// A person with a unique name and email; returns (id, email, person).
pub async fn new_person(ctx: &Ctx, admin: &str) -> (String, String, Value) {
    let tag = unique_tag();
    let email = format!("infractor.{tag}@example.com");
    let person = create_person(ctx, admin, &format!("Persona {tag}"), &email).await;
    (item_id(&person), email, person)
}

pub async fn create_vehicle(ctx: &Ctx, admin: &str, plate: &str, brand: &str, color: &str, owner_id: &str) -> Value {
    ctx.call(
        "POST",
        VEHICLES,
        Some(admin),
        Some(&json!({ "plate": plate, "brand": brand, "color": color, "owner_id": owner_id })),
    )
    .await
    .expect(201)
}

/// A vehicle with a unique plate owned by `owner_id`; returns its (normalised) plate.
pub async fn new_vehicle(ctx: &Ctx, admin: &str, owner_id: &str, brand: &str, color: &str) -> String {
    let plate = unique_plate();
    let vehicle = create_vehicle(ctx, admin, &plate, brand, color, owner_id).await;
    assert_eq!(vehicle["plate"], json!(plate), "created vehicle: {vehicle}");
    plate
}

/// An officer with a unique badge; returns (id, name, api key, officer).
pub async fn new_officer(ctx: &Ctx, admin: &str) -> (String, String, String, Value) {
    let name = format!("Oficial {}", unique_tag());
    let officer = ctx
        .call(
            "POST",
            OFFICERS,
            Some(admin),
            Some(&json!({ "name": name, "badge": unique_badge() })),
        )
        .await
        .expect(201);
    let id = id_of(&officer, "created officer");
    let key = officer["api_key"]
        .as_str()
        .filter(|k| k.starts_with("andes_"))
        .unwrap_or_else(|| panic!("created officer without an andes_ api_key: {officer}"))
        .to_string();
    (id, name, key, officer)
}

/// A vehicle's owner id, whichever name the service gives the field.
pub fn owner_of(vehicle: &Value) -> Value {
    if vehicle.get("owner_id").is_some() {
        vehicle["owner_id"].clone()
    } else {
        vehicle["owner"].clone()
    }
}

/// Pages through an admin list (`?limit=`) until `wanted` ids are all seen or the list ends;
/// returns the ids seen. Checks each page's shape and that pages do not repeat items.
pub async fn list_until(ctx: &Ctx, admin: &str, base: &str, limit: u32, key: &str, wanted: &[String]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..500 {
        let path = match &cursor {
            Some(c) => format!("{base}?limit={limit}&cursor={}", query_escape(c)),
            None => format!("{base}?limit={limit}"),
        };
        let page = ctx.call("GET", &path, Some(admin), None).await.expect(200);
        let items = page["items"]
            .as_array()
            .unwrap_or_else(|| panic!("GET {path}: no items list: {page}"));
        assert!(
            items.len() <= limit as usize,
            "GET {path}: more than {limit} items: {page}"
        );
        for item in items {
            let id = match &item[key] {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => panic!("GET {path}: item without {key}: {other} in {page}"),
            };
            assert!(!seen.contains(&id), "GET {path}: {id} was already on an earlier page");
            seen.push(id);
        }
        if wanted.iter().all(|w| seen.contains(w)) {
            return seen;
        }
        match page["next_cursor"].as_str() {
            Some(next) if !next.is_empty() => cursor = Some(next.to_string()),
            _ => {
                assert!(
                    page.get("next_cursor").is_some(),
                    "GET {path}: no next_cursor key (null at the end): {page}"
                );
                return seen;
            }
        }
    }
    panic!("{base}: still paging after 500 pages")
}
