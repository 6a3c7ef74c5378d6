//! `Idempotency-Key` of `POST /orders` (§5): the header's rule, the fingerprint that tells "the
//! same request" from a different one, and the 422 of a key reused with a different request.

use andes_shared::http::ApiError;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::validation::OrderInput;
use super::values::{CargoType, Product, Route};

pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
pub const MAX_KEY_LENGTH: usize = 255;
pub const BAD_KEY: &str = "must be 1 to 255 visible ASCII characters";
pub const KEY_REUSED: &str = "Idempotency-Key was already used with a different request";

/// The header's value: 1–255 visible ASCII characters (`!` to `~`; no space, no control).
pub fn check_key(raw: &str) -> Result<String, String> {
    let valid = (1..=MAX_KEY_LENGTH).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
    if valid {
        Ok(raw.to_string())
    } else {
        Err(BAD_KEY.to_string())
    }
}

/// The 422 of a key already used by this caller with a different request.
pub fn key_reused() -> ApiError {
    ApiError::invalid(IDEMPOTENCY_KEY, KEY_REUSED)
}

/// What an order request asks for: the fields the API reads, as it reads them.
#[derive(Serialize)]
struct Canonical<'a> {
    products: &'a [Product],
    route: &'a Route,
    cargo_type: CargoType,
}

/// The fingerprint of an order request (SHA-256, hex): equal for two bodies exactly when the API
/// reads the same order from them. Ignored fields, key order, surrounding blanks, a date's
/// offset and an absent default `cargo_type` do not count.
pub fn fingerprint(input: &OrderInput) -> String {
    let canonical = Canonical {
        products: &input.products,
        route: &input.route,
        cargo_type: input.cargo_type,
    };
    let json = serde_json::to_vec(&canonical).unwrap_or_default();
    Sha256::digest(json).iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::problems;
    use crate::domain::validation::new_order;
    use serde_json::{json, Value};

    fn print(body: Value) -> String {
        fingerprint(&new_order(&body, None).unwrap().input)
    }

    fn body() -> Value {
        json!({
            "products": [{"code": "P-001", "name": "Leche", "category": "lacteos"}],
            "route": {"origin": "Bogotá", "destination": "Medellín",
                      "departure_date": "2026-12-03T08:00:00Z", "arrival_date": "2026-12-03T18:00:00Z"}
        })
    }

    #[test]
    fn keys_are_1_to_255_visible_ascii_characters() {
        assert_eq!(check_key("a").unwrap(), "a");
        assert!(check_key(&"k".repeat(255)).is_ok());
        assert!(check_key("0193a-Ω").is_err());
        for bad in [
            "",
            " ",
            "two words",
            "tab\t",
            "nul\0",
            "del\u{7f}",
            "é",
            &"k".repeat(256),
        ] {
            assert_eq!(check_key(bad).unwrap_err(), BAD_KEY, "{bad:?}");
        }
        assert!(check_key("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~").is_ok());
    }

    #[test]
    fn a_bad_key_is_reported_with_the_body_problems() {
        let error = new_order(&json!({"products": []}), Some("has space")).unwrap_err();
        let found = problems(error);
        assert_eq!(
            found.last().unwrap(),
            &("Idempotency-Key".to_string(), BAD_KEY.to_string())
        );
        assert_eq!(found.len(), 3);
    }

    #[test]
    fn the_same_request_has_the_same_fingerprint() {
        let print = |body| print(body);
        let original = print(body());
        assert_eq!(original.len(), 64);
        let mut same = body();
        same["comment"] = json!("ignored fields do not count");
        same["cargo_type"] = json!("goods");
        same["products"][0]["code"] = json!(" P-001 ");
        same["route"]["departure_date"] = json!("2026-12-03T03:00:00-05:00");
        assert_eq!(print(same), original);
        let reordered: Value = serde_json::from_str(
            r#"{"route": {"arrival_date": "2026-12-03T18:00:00Z", "departure_date": "2026-12-03T08:00:00Z",
                 "destination": "Medellín", "origin": "Bogotá"},
                "products": [{"category": "lacteos", "name": "Leche", "code": "P-001"}]}"#,
        )
        .unwrap();
        assert_eq!(print(reordered), original);
    }

    #[test]
    fn a_different_request_has_a_different_fingerprint() {
        let original = print(body());
        let changes: [(&str, Value); 4] = [
            ("/cargo_type", json!("food")),
            ("/route/destination", json!("Cali")),
            ("/products/0/name", json!("Queso")),
            ("/route/arrival_date", json!("2026-12-03T18:00:01Z")),
        ];
        for (pointer, value) in changes {
            let mut changed = body();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let target = if parent.is_empty() {
                &mut changed
            } else {
                changed.pointer_mut(parent).unwrap()
            };
            target[key] = value;
            assert_ne!(print(changed), original, "{pointer}");
        }
        let mut two = body();
        two["products"] = json!([body()["products"][0], body()["products"][0]]);
        assert_ne!(print(two), original);
    }

    #[test]
    fn a_reused_key_is_a_422_naming_the_header() {
        assert_eq!(
            problems(key_reused()),
            [("Idempotency-Key".to_string(), KEY_REUSED.to_string())]
        );
    }
}
