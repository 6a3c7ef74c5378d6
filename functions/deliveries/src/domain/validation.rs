//! Request bodies (§5, §6), parsed from JSON values so that every problem of a request is
//! reported at once, each under the JSON path of its field (`products[0].code`,
//! `route.departure_date`); a missing required field is reported under its own name. A body that
//! is not an object is a 400; unknown fields are ignored; `null` counts as absent.

use andes_shared::http::ApiError;
use andes_shared::validation::FieldErrors;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::commands::{Cancel, Deliver, Return};
use super::idempotency::{check_key, IDEMPOTENCY_KEY};
use super::values::{bounded_text, is_id, parse_time, same_place, CargoType, Product, Route};
use super::warehouse::Warehouse;

pub const MAX_PRODUCTS: usize = 50;
pub const MAX_CODE: usize = 20;
pub const MAX_PRODUCT_NAME: usize = 100;
pub const MAX_CATEGORY: usize = 50;
pub const MAX_PLACE: usize = 100;
pub const MAX_WAREHOUSE_NAME: usize = 100;
pub const MAX_CAPACITY: u32 = 100_000;
pub const MAX_REASON: usize = 200;

pub const NOT_AN_OBJECT: &str = "The request body must be a JSON object";
pub const REQUIRED: &str = "is required";
pub const NOT_A_STRING: &str = "must be a string";
pub const NOT_A_TIME: &str = "must be an RFC 3339 date-time with a time zone (2026-12-03T08:00:00Z)";
pub const ARRIVAL_NOT_AFTER_DEPARTURE: &str = "must be after route.departure_date";
pub const SAME_PLACES: &str = "must differ from route.origin";
pub const DESTINATION_IS_WAREHOUSE: &str = "must differ from the warehouse location";
pub const UNKNOWN_WAREHOUSE: &str = "unknown warehouse";
pub const BAD_CODE: &str = "must be 1 to 20 characters: letters, digits, _ or -";
pub const BAD_PLATE: &str = "must be 5 to 10 letters, digits or dashes";
pub const BAD_CARGO_TYPE: &str = "must be one of refrigerated, food, goods";
pub const BAD_EXPECTED_VERSION: &str = "must be an integer of at least 1";

/// The body of `POST /orders`. One storage unit per product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderInput {
    pub products: Vec<Product>,
    pub route: Route,
    pub cargo_type: CargoType,
}

impl OrderInput {
    pub fn units(&self) -> u32 {
        u32::try_from(self.products.len()).unwrap_or(u32::MAX)
    }
}

/// `POST /orders`: the body and the optional `Idempotency-Key` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub input: OrderInput,
    pub idempotency_key: Option<String>,
}

/// The body of `POST /warehouses`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarehouseInput {
    pub name: String,
    pub location: String,
    pub capacity: u32,
}

/// The body of `POST /transports`, its route completed with the warehouse's location as origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportInput {
    /// Trimmed and upper-cased.
    pub vehicle_plate: String,
    pub cargo_type: CargoType,
    pub warehouse_id: String,
    pub route: Route,
}

/// `POST /orders` with the raw `Idempotency-Key` header (a header that is not text should be
/// passed lossily decoded: it fails the visible-ASCII rule).
pub fn new_order(body: &Value, idempotency_key: Option<&str>) -> Result<NewOrder, ApiError> {
    let body = object(body)?;
    let mut errors = FieldErrors::default();
    let products = products(&mut errors, body);
    let route = order_route(&mut errors, body);
    let cargo_type = cargo_type(&mut errors, body, Some(CargoType::Goods));
    let idempotency_key = idempotency_key.and_then(|raw| errors.check(IDEMPOTENCY_KEY, check_key(raw)));
    match (products, route, cargo_type) {
        (Some(products), Some(route), Some(cargo_type)) if errors.is_empty() => Ok(NewOrder {
            input: OrderInput {
                products,
                route,
                cargo_type,
            },
            idempotency_key,
        }),
        _ => Err(ApiError::Validation(errors.0)),
    }
}

/// `POST /orders/{id}/cancel`: `{"reason"?, "expected_version"?}`; an empty body (`null`) is fine.
pub fn cancel_input(body: &Value) -> Result<Cancel, ApiError> {
    let body = command_object(body)?;
    let mut errors = FieldErrors::default();
    let note = reason(&mut errors, body);
    let expected_version = expected_version(&mut errors, body);
    finish(errors, || Cancel { note, expected_version })
}

/// `POST /orders/{id}/deliver`: `{"expected_version"?}`; an empty body (`null`) is fine.
pub fn deliver_input(body: &Value) -> Result<Deliver, ApiError> {
    let body = command_object(body)?;
    let mut errors = FieldErrors::default();
    let expected_version = expected_version(&mut errors, body);
    finish(errors, || Deliver { expected_version })
}

/// `POST /orders/{id}/return`: `{"reason"?, "expected_version"?}`; an empty body (`null`) is fine.
pub fn return_input(body: &Value) -> Result<Return, ApiError> {
    let body = command_object(body)?;
    let mut errors = FieldErrors::default();
    let reason = reason(&mut errors, body);
    let expected_version = expected_version(&mut errors, body);
    finish(errors, || Return {
        reason,
        expected_version,
    })
}

/// `POST /warehouses`: `{name 1–100, location 1–100, capacity 1–100000}`.
pub fn warehouse_input(body: &Value) -> Result<WarehouseInput, ApiError> {
    let body = object(body)?;
    let mut errors = FieldErrors::default();
    let name = text(&mut errors, body, "name", "name", 1, MAX_WAREHOUSE_NAME);
    let location = text(&mut errors, body, "location", "location", 1, MAX_PLACE);
    let capacity = match member(body, "capacity") {
        None => {
            errors.add("capacity", REQUIRED);
            None
        }
        Some(value) => errors.check("capacity", integer(value, 1, u64::from(MAX_CAPACITY))),
    };
    match (name, location, capacity.and_then(|c| u32::try_from(c).ok())) {
        (Some(name), Some(location), Some(capacity)) if errors.is_empty() => Ok(WarehouseInput {
            name,
            location,
            capacity,
        }),
        _ => Err(ApiError::Validation(errors.0)),
    }
}

/// The warehouse a `POST /transports` body names, when it can be an id: the handler looks it up
/// and passes it to [`transport_input`], so an unknown warehouse is reported with the rest.
pub fn transport_warehouse_id(body: &Value) -> Option<&str> {
    body.get("warehouse_id")?.as_str().map(str::trim).filter(|id| is_id(id))
}

/// `POST /transports`: `{vehicle_plate, cargo_type, warehouse_id, route: {destination,
/// departure_date, arrival_date}}`; `warehouse` is the one [`transport_warehouse_id`] named, if
/// it exists. The route's origin is the warehouse's location (an `origin` sent is ignored).
pub fn transport_input(body: &Value, warehouse: Option<&Warehouse>) -> Result<TransportInput, ApiError> {
    let body = object(body)?;
    let mut errors = FieldErrors::default();
    let vehicle_plate = required_str(&mut errors, body, "vehicle_plate", "vehicle_plate")
        .and_then(|raw| errors.check("vehicle_plate", plate(raw)));
    let cargo_type = cargo_type(&mut errors, body, None);
    let warehouse = required_str(&mut errors, body, "warehouse_id", "warehouse_id").and_then(|raw| {
        let found = warehouse.filter(|w| w.id == raw.trim());
        if found.is_none() {
            errors.add("warehouse_id", UNKNOWN_WAREHOUSE);
        }
        found
    });
    let route = object_member(&mut errors, body, "route").and_then(|route| {
        let destination = text(&mut errors, route, "destination", "route.destination", 1, MAX_PLACE);
        if let (Some(destination), Some(warehouse)) = (&destination, warehouse) {
            if same_place(destination, &warehouse.location) {
                errors.add("route.destination", DESTINATION_IS_WAREHOUSE);
            }
        }
        let (departure_date, arrival_date) = route_dates(&mut errors, route)?;
        Some(Route {
            origin: warehouse.map(|w| w.location.clone()).unwrap_or_default(),
            destination: destination?,
            departure_date,
            arrival_date,
        })
    });
    match (vehicle_plate, cargo_type, warehouse, route) {
        (Some(vehicle_plate), Some(cargo_type), Some(warehouse), Some(route)) if errors.is_empty() => {
            Ok(TransportInput {
                vehicle_plate,
                cargo_type,
                warehouse_id: warehouse.id.clone(),
                route,
            })
        }
        _ => Err(ApiError::Validation(errors.0)),
    }
}

/// A product code: 1–20 of `[A-Za-z0-9_-]` once trimmed.
pub fn product_code(raw: &str) -> Result<String, String> {
    let code = raw.trim();
    let valid = (1..=MAX_CODE).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if valid {
        Ok(code.to_string())
    } else {
        Err(BAD_CODE.to_string())
    }
}

/// A vehicle plate: trimmed and upper-cased, then `^[A-Z0-9-]{5,10}$`.
pub fn plate(raw: &str) -> Result<String, String> {
    let plate = raw.trim().to_uppercase();
    let valid = (5..=10).contains(&plate.len())
        && plate
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(plate)
    } else {
        Err(BAD_PLATE.to_string())
    }
}

fn object(body: &Value) -> Result<&Map<String, Value>, ApiError> {
    body.as_object()
        .ok_or_else(|| ApiError::BadRequest(NOT_AN_OBJECT.into()))
}

/// A command's body: an object, or nothing at all.
fn command_object(body: &Value) -> Result<&Map<String, Value>, ApiError> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    match body {
        Value::Null => Ok(EMPTY.get_or_init(Map::new)),
        body => object(body),
    }
}

fn finish<T>(errors: FieldErrors, value: impl FnOnce() -> T) -> Result<T, ApiError> {
    errors.finish(value).map_err(ApiError::Validation)
}

/// A member that is present and not `null`.
fn member<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|value| !value.is_null())
}

fn required_str<'a>(
    errors: &mut FieldErrors,
    object: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Option<&'a str> {
    match member(object, key) {
        None => {
            errors.add(path, REQUIRED);
            None
        }
        Some(Value::String(text)) => Some(text),
        Some(_) => {
            errors.add(path, NOT_A_STRING);
            None
        }
    }
}

/// Required text of `min` to `max` characters once trimmed.
fn text(
    errors: &mut FieldErrors,
    object: &Map<String, Value>,
    key: &str,
    path: &str,
    min: usize,
    max: usize,
) -> Option<String> {
    required_str(errors, object, key, path).and_then(|raw| errors.check(path, bounded_text(raw, min, max)))
}

/// A required object member (`route`): its own name when missing or not an object.
fn object_member<'a>(
    errors: &mut FieldErrors,
    body: &'a Map<String, Value>,
    key: &str,
) -> Option<&'a Map<String, Value>> {
    match member(body, key) {
        None => {
            errors.add(key, REQUIRED);
            None
        }
        Some(Value::Object(object)) => Some(object),
        Some(_) => {
            errors.add(key, "must be an object");
            None
        }
    }
}

fn time(errors: &mut FieldErrors, route: &Map<String, Value>, key: &str) -> Option<DateTime<Utc>> {
    let path = format!("route.{key}");
    let raw = required_str(errors, route, key, &path)?;
    errors.check(&path, parse_time(raw).ok_or_else(|| NOT_A_TIME.to_string()))
}

/// `route.departure_date` and `route.arrival_date`, the arrival strictly after the departure.
fn route_dates(errors: &mut FieldErrors, route: &Map<String, Value>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let departure = time(errors, route, "departure_date");
    let arrival = time(errors, route, "arrival_date");
    let (departure, arrival) = (departure?, arrival?);
    if arrival <= departure {
        errors.add("route.arrival_date", ARRIVAL_NOT_AFTER_DEPARTURE);
        return None;
    }
    Some((departure, arrival))
}

fn integer(value: &Value, min: u64, max: u64) -> Result<u64, String> {
    value
        .as_u64()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| format!("must be an integer from {min} to {max}"))
}

/// `cargo_type`: one of the three; `default` when absent (`None`: required).
fn cargo_type(errors: &mut FieldErrors, body: &Map<String, Value>, default: Option<CargoType>) -> Option<CargoType> {
    match member(body, "cargo_type") {
        None => {
            if default.is_none() {
                errors.add("cargo_type", REQUIRED);
            }
            default
        }
        Some(value) => {
            let cargo = value.as_str().and_then(CargoType::parse);
            if cargo.is_none() {
                errors.add("cargo_type", BAD_CARGO_TYPE);
            }
            cargo
        }
    }
}

/// `products`: 1–50 of `{code, name, category}`.
fn products(errors: &mut FieldErrors, body: &Map<String, Value>) -> Option<Vec<Product>> {
    let Some(value) = member(body, "products") else {
        errors.add("products", REQUIRED);
        return None;
    };
    let count = format!("must be a list of 1 to {MAX_PRODUCTS} products");
    let items = match value {
        Value::Array(items) if (1..=MAX_PRODUCTS).contains(&items.len()) => items,
        _ => {
            errors.add("products", count);
            return None;
        }
    };
    let mut products = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let path = format!("products[{index}]");
        let Value::Object(item) = item else {
            errors.add(&path, "must be an object");
            continue;
        };
        let code_path = format!("{path}.code");
        let code =
            required_str(errors, item, "code", &code_path).and_then(|raw| errors.check(&code_path, product_code(raw)));
        let name = text(errors, item, "name", &format!("{path}.name"), 1, MAX_PRODUCT_NAME);
        let category = text(errors, item, "category", &format!("{path}.category"), 1, MAX_CATEGORY);
        if let (Some(code), Some(name), Some(category)) = (code, name, category) {
            products.push(Product { code, name, category });
        }
    }
    (products.len() == items.len()).then_some(products)
}

/// An order's `route`: origin and destination (different places), departure and arrival.
fn order_route(errors: &mut FieldErrors, body: &Map<String, Value>) -> Option<Route> {
    let route = object_member(errors, body, "route")?;
    let origin = text(errors, route, "origin", "route.origin", 1, MAX_PLACE);
    let destination = text(errors, route, "destination", "route.destination", 1, MAX_PLACE);
    if let (Some(origin), Some(destination)) = (&origin, &destination) {
        if same_place(origin, destination) {
            errors.add("route.destination", SAME_PLACES);
        }
    }
    let (departure_date, arrival_date) = route_dates(errors, route)?;
    Some(Route {
        origin: origin?,
        destination: destination?,
        departure_date,
        arrival_date,
    })
}

/// A command's optional `reason` (≤ 200 characters); blank counts as none.
fn reason(errors: &mut FieldErrors, body: &Map<String, Value>) -> Option<String> {
    match member(body, "reason")? {
        Value::String(raw) => errors
            .check("reason", bounded_text(raw, 0, MAX_REASON))
            .filter(|reason| !reason.is_empty()),
        _ => {
            errors.add("reason", NOT_A_STRING);
            None
        }
    }
}

fn expected_version(errors: &mut FieldErrors, body: &Map<String, Value>) -> Option<u64> {
    let value = member(body, "expected_version")?;
    let version = value.as_u64().filter(|v| *v >= 1);
    if version.is_none() {
        errors.add("expected_version", BAD_EXPECTED_VERSION);
    }
    version
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{at, fields, problems, warehouse};
    use serde_json::json;

    fn order_body() -> Value {
        json!({
            "products": [{"code": "P-001", "name": "Leche", "category": "lacteos"},
                         {"code": "p_2", "name": " Queso ", "category": "lacteos"}],
            "route": {"origin": "Bogotá", "destination": "Medellín",
                      "departure_date": "2026-12-03T08:00:00Z", "arrival_date": "2026-12-03T13:00:00-05:00"},
            "cargo_type": "food",
            "comment": "ignored"
        })
    }

    #[test]
    fn a_valid_order_is_parsed_and_normalised() {
        let order = new_order(&order_body(), Some("key-1")).unwrap();
        assert_eq!(order.idempotency_key.as_deref(), Some("key-1"));
        let input = order.input;
        assert_eq!(input.units(), 2);
        assert_eq!(input.products[1].name, "Queso");
        assert_eq!(input.products[1].code, "p_2");
        assert_eq!(input.cargo_type, CargoType::Food);
        assert_eq!(input.route.arrival_date, at("2026-12-03T18:00:00Z"));
        assert_eq!(input.route.origin, "Bogotá");
    }

    #[test]
    fn cargo_type_defaults_to_goods_and_past_dates_are_allowed() {
        let mut body = order_body();
        body.as_object_mut().unwrap().remove("cargo_type");
        body["route"]["departure_date"] = json!("2001-01-01T00:00:00Z");
        body["route"]["arrival_date"] = json!("2001-01-02T00:00:00Z");
        let input = new_order(&body, None).unwrap().input;
        assert_eq!(input.cargo_type, CargoType::Goods);
        body["cargo_type"] = Value::Null;
        assert_eq!(new_order(&body, None).unwrap().input.cargo_type, CargoType::Goods);
    }

    #[test]
    fn every_problem_of_an_order_is_reported_with_its_path() {
        let body = json!({
            "products": [
                {"code": "bad code!", "name": "", "category": "x".repeat(51)},
                "milk",
                {"name": 3}
            ],
            "route": {"origin": " MEDELLÍN ", "destination": "medellín",
                      "departure_date": "tomorrow", "arrival_date": 5},
            "cargo_type": "Productos"
        });
        let error = new_order(&body, Some("")).unwrap_err();
        assert_eq!(
            fields(error),
            [
                "products[0].code",
                "products[0].name",
                "products[0].category",
                "products[1]",
                "products[2].code",
                "products[2].name",
                "products[2].category",
                "route.destination",
                "route.departure_date",
                "route.arrival_date",
                "cargo_type",
                "Idempotency-Key",
            ]
        );
    }

    #[test]
    fn the_messages_name_the_rules() {
        let body = json!({
            "products": [{"code": "x".repeat(21), "name": "Leche", "category": "lacteos"}],
            "route": {"origin": "Bogotá", "destination": "BOGOTÁ ",
                      "departure_date": "2026-12-03T08:00:00Z", "arrival_date": "2026-12-03T08:00:00Z"},
            "cargo_type": 1
        });
        assert_eq!(
            problems(new_order(&body, None).unwrap_err()),
            [
                ("products[0].code".to_string(), BAD_CODE.to_string()),
                ("route.destination".to_string(), SAME_PLACES.to_string()),
                (
                    "route.arrival_date".to_string(),
                    ARRIVAL_NOT_AFTER_DEPARTURE.to_string()
                ),
                ("cargo_type".to_string(), BAD_CARGO_TYPE.to_string()),
            ]
        );
    }

    #[test]
    fn missing_fields_are_reported_under_their_own_names() {
        assert_eq!(fields(new_order(&json!({}), None).unwrap_err()), ["products", "route"]);
        let body = json!({"products": null, "route": {}});
        assert_eq!(
            problems(new_order(&body, None).unwrap_err()),
            [
                ("products".to_string(), REQUIRED.to_string()),
                ("route.origin".to_string(), REQUIRED.to_string()),
                ("route.destination".to_string(), REQUIRED.to_string()),
                ("route.departure_date".to_string(), REQUIRED.to_string()),
                ("route.arrival_date".to_string(), REQUIRED.to_string()),
            ]
        );
        let body = json!({"products": [{}], "route": "Bogotá"});
        assert_eq!(
            fields(new_order(&body, None).unwrap_err()),
            ["products[0].code", "products[0].name", "products[0].category", "route"]
        );
    }

    #[test]
    fn an_order_holds_1_to_50_products() {
        let product = json!({"code": "P", "name": "Leche", "category": "lacteos"});
        let mut body = order_body();
        for (count, ok) in [(0, false), (1, true), (50, true), (51, false)] {
            body["products"] = json!(vec![product.clone(); count]);
            let result = new_order(&body, None);
            assert_eq!(result.is_ok(), ok, "{count} products");
            if let Err(error) = result {
                assert_eq!(
                    problems(error),
                    [("products".to_string(), "must be a list of 1 to 50 products".to_string())]
                );
            }
        }
        body["products"] = json!({"code": "P"});
        assert_eq!(fields(new_order(&body, None).unwrap_err()), ["products"]);
    }

    #[test]
    fn product_fields_have_their_bounds() {
        assert_eq!(product_code(" A-z_09 ").unwrap(), "A-z_09");
        assert!(product_code(&"a".repeat(20)).is_ok());
        for bad in ["", " ", &"a".repeat(21), "P 1", "P.1", "Ñ1"] {
            assert_eq!(product_code(bad).unwrap_err(), BAD_CODE, "{bad:?}");
        }
        let mut body = order_body();
        body["products"][0]["name"] = json!("n".repeat(100));
        body["products"][0]["category"] = json!("c".repeat(50));
        assert!(new_order(&body, None).is_ok());
        body["products"][0]["name"] = json!("n".repeat(101));
        body["products"][0]["category"] = json!("c".repeat(51));
        body["route"]["origin"] = json!("o".repeat(101));
        body["route"]["destination"] = json!("");
        assert_eq!(
            fields(new_order(&body, None).unwrap_err()),
            [
                "products[0].name",
                "products[0].category",
                "route.origin",
                "route.destination"
            ]
        );
    }

    #[test]
    fn a_body_that_is_not_an_object_is_a_bad_request() {
        for body in [json!([]), json!("x"), json!(1), Value::Null] {
            assert!(matches!(new_order(&body, None), Err(ApiError::BadRequest(_))));
            assert!(matches!(warehouse_input(&body), Err(ApiError::BadRequest(_))));
            assert!(matches!(transport_input(&body, None), Err(ApiError::BadRequest(_))));
        }
        assert!(matches!(cancel_input(&json!([])), Err(ApiError::BadRequest(_))));
        assert!(matches!(deliver_input(&json!("")), Err(ApiError::BadRequest(_))));
        assert!(matches!(return_input(&json!(2)), Err(ApiError::BadRequest(_))));
    }

    #[test]
    fn command_bodies_may_be_empty() {
        assert_eq!(cancel_input(&Value::Null).unwrap(), Cancel::default());
        assert_eq!(cancel_input(&json!({})).unwrap(), Cancel::default());
        assert_eq!(deliver_input(&Value::Null).unwrap(), Deliver::default());
        assert_eq!(return_input(&json!({"other": 1})).unwrap(), Return::default());
    }

    #[test]
    fn command_bodies_carry_a_reason_and_an_expected_version() {
        let cancel = cancel_input(&json!({"reason": " wrong address ", "expected_version": 3})).unwrap();
        assert_eq!(
            cancel,
            Cancel {
                note: Some("wrong address".into()),
                expected_version: Some(3)
            }
        );
        let back = return_input(&json!({"reason": "   ", "expected_version": null})).unwrap();
        assert_eq!(back, Return::default());
        assert!(return_input(&json!({"reason": "r".repeat(200)})).is_ok());
        let deliver = deliver_input(&json!({"expected_version": 1, "reason": "ignored"})).unwrap();
        assert_eq!(deliver.expected_version, Some(1));
    }

    #[test]
    fn command_problems_are_reported_together() {
        let body = json!({"reason": "r".repeat(201), "expected_version": 0});
        assert_eq!(
            problems(cancel_input(&body).unwrap_err()),
            [
                ("reason".to_string(), "must be at most 200 characters".to_string()),
                ("expected_version".to_string(), BAD_EXPECTED_VERSION.to_string()),
            ]
        );
        let body = json!({"reason": 7, "expected_version": "2"});
        assert_eq!(fields(return_input(&body).unwrap_err()), ["reason", "expected_version"]);
        for bad in [json!(-1), json!(1.5), json!(true)] {
            let body = json!({ "expected_version": bad });
            assert_eq!(fields(deliver_input(&body).unwrap_err()), ["expected_version"]);
        }
    }

    #[test]
    fn warehouses_have_a_name_a_location_and_a_capacity() {
        let input =
            warehouse_input(&json!({"name": " Bodega Norte ", "location": "Bogotá", "capacity": 100000})).unwrap();
        assert_eq!(
            input,
            WarehouseInput {
                name: "Bodega Norte".into(),
                location: "Bogotá".into(),
                capacity: 100_000
            }
        );
        assert_eq!(
            fields(warehouse_input(&json!({})).unwrap_err()),
            ["name", "location", "capacity"]
        );
        let body = json!({"name": "", "location": "l".repeat(101), "capacity": 0});
        assert_eq!(
            problems(warehouse_input(&body).unwrap_err()),
            [
                ("name".to_string(), "must be 1 to 100 characters".to_string()),
                ("location".to_string(), "must be 1 to 100 characters".to_string()),
                (
                    "capacity".to_string(),
                    "must be an integer from 1 to 100000".to_string()
                ),
            ]
        );
        for bad in [json!(100_001), json!(2.5), json!("10"), json!(-3)] {
            let body = json!({"name": "B", "location": "L", "capacity": bad});
            assert_eq!(fields(warehouse_input(&body).unwrap_err()), ["capacity"]);
        }
    }

    fn transport_body() -> Value {
        json!({
            "vehicle_plate": " abc-123 ",
            "cargo_type": "goods",
            "warehouse_id": "0193a000-0000-7000-8000-000000000001",
            "route": {"origin": "ignored", "destination": "Medellín",
                      "departure_date": "2026-12-03T08:00:00Z", "arrival_date": "2026-12-03T18:00:00Z"}
        })
    }

    #[test]
    fn a_transport_leaves_from_its_warehouse_location() {
        let body = transport_body();
        let id = transport_warehouse_id(&body).unwrap();
        let warehouse = warehouse(id, "Bogotá", 10, 0);
        let input = transport_input(&body, Some(&warehouse)).unwrap();
        assert_eq!(input.vehicle_plate, "ABC-123");
        assert_eq!(input.cargo_type, CargoType::Goods);
        assert_eq!(input.warehouse_id, warehouse.id);
        assert_eq!(input.route.origin, "Bogotá");
        assert_eq!(input.route.destination, "Medellín");
    }

    #[test]
    fn every_problem_of_a_transport_is_reported_with_its_path() {
        let body = json!({
            "vehicle_plate": "ab",
            "cargo_type": "frozen",
            "warehouse_id": "0193a000-0000-7000-8000-000000000009",
            "route": {"destination": " bogotá", "departure_date": "2026-12-03T08:00:00Z",
                      "arrival_date": "2026-12-02T08:00:00Z"}
        });
        let other = warehouse("0193a000-0000-7000-8000-000000000001", "Bogotá", 10, 0);
        assert_eq!(
            problems(transport_input(&body, Some(&other)).unwrap_err()),
            [
                ("vehicle_plate".to_string(), BAD_PLATE.to_string()),
                ("cargo_type".to_string(), BAD_CARGO_TYPE.to_string()),
                ("warehouse_id".to_string(), UNKNOWN_WAREHOUSE.to_string()),
                (
                    "route.arrival_date".to_string(),
                    ARRIVAL_NOT_AFTER_DEPARTURE.to_string()
                ),
            ]
        );
        let known = warehouse("0193a000-0000-7000-8000-000000000009", "BOGOTÁ", 10, 0);
        assert_eq!(
            problems(transport_input(&body, Some(&known)).unwrap_err())[2],
            ("route.destination".to_string(), DESTINATION_IS_WAREHOUSE.to_string())
        );
        assert_eq!(
            fields(transport_input(&json!({}), None).unwrap_err()),
            ["vehicle_plate", "cargo_type", "warehouse_id", "route"]
        );
        let mut no_route_fields = transport_body();
        no_route_fields["route"] = json!({});
        assert_eq!(
            fields(transport_input(&no_route_fields, None).unwrap_err()),
            [
                "warehouse_id",
                "route.destination",
                "route.departure_date",
                "route.arrival_date"
            ]
        );
    }

    #[test]
    fn only_an_id_can_name_a_warehouse() {
        let mut body = transport_body();
        assert!(transport_warehouse_id(&body).is_some());
        body["warehouse_id"] = json!("bodega-1");
        assert_eq!(transport_warehouse_id(&body), None);
        assert_eq!(
            problems(transport_input(&body, None).unwrap_err()),
            [("warehouse_id".to_string(), UNKNOWN_WAREHOUSE.to_string())]
        );
        body["warehouse_id"] = json!(12);
        assert_eq!(transport_warehouse_id(&body), None);
        assert_eq!(
            problems(transport_input(&body, None).unwrap_err()),
            [("warehouse_id".to_string(), NOT_A_STRING.to_string())]
        );
    }

    #[test]
    fn plates_are_trimmed_upper_cased_and_checked() {
        assert_eq!(plate(" abc-123\t").unwrap(), "ABC-123");
        assert_eq!(plate("AB123").unwrap(), "AB123");
        assert_eq!(plate("A-B-C-D-E-").unwrap(), "A-B-C-D-E-");
        for bad in ["ABCD", "ABCDEFGHIJK", "ABC 123", "ABC_123", "ÁBC123", ""] {
            assert_eq!(plate(bad).unwrap_err(), BAD_PLATE, "{bad:?}");
        }
    }
}
