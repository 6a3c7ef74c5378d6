//! Opaque list cursors, bound to the list that handed them out.
//!
//! A cursor carries the list's fingerprint (index, partition, sort condition, order and any
//! scope the caller adds, hashed so no key value is exposed) and the position: a DynamoDB
//! `LastEvaluatedKey` or an offset. A cursor of another list, a forged or truncated one, or an
//! offset that does not fit is a 422 naming `cursor`, never a DynamoDB error.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::Item;
use crate::http::ApiError;

#[derive(Serialize, Deserialize)]
struct Wire {
    #[serde(rename = "l")]
    list: String,
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    key: Option<BTreeMap<String, String>>,
    #[serde(rename = "o", default, skip_serializing_if = "Option::is_none")]
    offset: Option<u64>,
}

pub fn invalid_cursor() -> ApiError {
    ApiError::invalid(
        "cursor",
        "is not a cursor returned by this list; start again without it",
    )
}

/// FNV-1a: a stable fingerprint of a list's identity (not a secret: what makes a cursor safe
/// is that its key is checked against the query it resumes).
pub(crate) fn fingerprint(scope: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in scope.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

fn encode(wire: &Wire) -> String {
    let json = serde_json::to_vec(wire).expect("a cursor always serialises");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

fn decode(scope: &str, cursor: &str) -> Result<Wire, ApiError> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| invalid_cursor())?;
    let wire: Wire = serde_json::from_slice(&bytes).map_err(|_| invalid_cursor())?;
    if wire.list != fingerprint(scope) {
        return Err(invalid_cursor());
    }
    Ok(wire)
}

/// The cursor resuming a list after `key`, `None` when there is no key (the last page). Every
/// Andes key attribute is a string; any other type is a bug, refused rather than ending the
/// list early.
pub(crate) fn encode_key(scope: &str, key: Option<&Item>) -> Result<Option<String>, ApiError> {
    let Some(key) = key.filter(|key| !key.is_empty()) else {
        return Ok(None);
    };
    let mut plain = BTreeMap::new();
    for (name, value) in key {
        let value = value
            .as_s()
            .map_err(|_| ApiError::internal(format!("key attribute {name} is not a string; cursors hold strings")))?;
        plain.insert(name.clone(), value.clone());
    }
    Ok(Some(encode(&Wire {
        list: fingerprint(scope),
        key: Some(plain),
        offset: None,
    })))
}

/// The `ExclusiveStartKey` of a cursor of this list: only `allowed` attributes, and
/// `partition` (attribute, value) equal to the query's own.
pub(crate) fn decode_key(
    scope: &str,
    cursor: &str,
    allowed: &[&str],
    partition: (&str, &str),
) -> Result<Item, ApiError> {
    let key = decode(scope, cursor)?.key.ok_or_else(invalid_cursor)?;
    if key.keys().any(|name| !allowed.contains(&name.as_str()))
        || key.get(partition.0).map(String::as_str) != Some(partition.1)
    {
        return Err(invalid_cursor());
    }
    Ok(key
        .into_iter()
        .map(|(name, value)| (name, AttributeValue::S(value)))
        .collect::<HashMap<_, _>>())
}

/// A cursor for lists paged in memory: the position of the next item.
pub fn encode_offset(scope: &str, offset: usize) -> String {
    encode(&Wire {
        list: fingerprint(scope),
        key: None,
        offset: Some(offset as u64),
    })
}

/// The offset a cursor of this list resumes at (0 without a cursor).
pub fn decode_offset(scope: &str, cursor: Option<&str>) -> Result<usize, ApiError> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(0);
    };
    let offset = decode(scope, cursor)?.offset.ok_or_else(invalid_cursor)?;
    usize::try_from(offset).map_err(|_| invalid_cursor())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::string;

    fn key() -> Item {
        Item::from([("pk".into(), string("A#1")), ("sk".into(), string("B#2"))])
    }

    #[test]
    fn key_cursor_round_trips_within_its_list() {
        let cursor = encode_key("list-a", Some(&key())).unwrap().unwrap();
        assert_eq!(
            decode_key("list-a", &cursor, &["pk", "sk"], ("pk", "A#1")).unwrap(),
            key()
        );
    }

    #[test]
    fn foreign_forged_and_mismatched_cursors_are_refused() {
        let cursor = encode_key("list-a", Some(&key())).unwrap().unwrap();
        let refused = |result: Result<Item, ApiError>| matches!(result, Err(ApiError::Validation(_)));
        assert!(refused(decode_key("list-b", &cursor, &["pk", "sk"], ("pk", "A#1"))));
        assert!(refused(decode_key("list-a", &cursor, &["pk", "sk"], ("pk", "A#2"))));
        assert!(refused(decode_key("list-a", &cursor, &["pk"], ("pk", "A#1"))));
        assert!(refused(decode_key("list-a", "e30", &["pk", "sk"], ("pk", "A#1"))));
        assert!(refused(decode_key("list-a", "%%%", &["pk", "sk"], ("pk", "A#1"))));
        let offset = encode_offset("list-a", 3);
        assert!(refused(decode_key("list-a", &offset, &["pk", "sk"], ("pk", "A#1"))));
    }

    #[test]
    fn last_page_has_no_cursor() {
        assert!(encode_key("l", None).unwrap().is_none());
        assert!(encode_key("l", Some(&Item::new())).unwrap().is_none());
        let numeric = Item::from([("n".into(), crate::dynamo::number(1))]);
        assert!(encode_key("l", Some(&numeric)).is_err());
    }

    #[test]
    fn offsets_are_checked() {
        assert_eq!(decode_offset("l", None).unwrap(), 0);
        assert_eq!(decode_offset("l", Some(&encode_offset("l", 40))).unwrap(), 40);
        assert!(decode_offset("m", Some(&encode_offset("l", 40))).is_err());
        let huge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!(r#"{{"l":"{}","o":18446744073709551616}}"#, fingerprint("l")));
        assert!(decode_offset("l", Some(&huge)).is_err());
        assert!(decode_offset("l", Some("offset:18446744073709551615")).is_err());
    }
}
