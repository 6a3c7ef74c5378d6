//! Lambda event filtering: whether a record reaches the function, decided on the record as the
//! function would receive it (pure; the pollers skip or delete what does not pass).
//!
//! A record passes when it matches one of the filters, or when there are none. A pattern
//! matches when all its fields match (and one of its `$or` branches). A field's rules are tried
//! on its value, or on each element when the value is a list: one rule matching one value is
//! enough. Rules only see leaf values (strings, numbers, booleans, null): an object is not a
//! value, so `exists: true` on it is false — as in EventBridge, whose pattern language Lambda
//! uses. SQS bodies are matched as JSON when they are JSON, else as a plain string; a pattern
//! whose `body` has the other shape drops the message, as Lambda does.

use serde_json::Value;

use crate::template::filters::{Excluded, Field, Fields, FilterPattern, Rule};

/// A DynamoDB stream record (as in the function's event) passes the filters.
pub fn stream_record_passes(filters: &[FilterPattern], record: &Value) -> bool {
    filters.is_empty() || filters.iter().any(|filter| fields_match(&filter.0, Some(record), None))
}

/// An SQS record (as in the function's event) passes the filters; its `body` is read as JSON
/// when it parses.
pub fn sqs_record_passes(filters: &[FilterPattern], record: &Value) -> bool {
    if filters.is_empty() {
        return true;
    }
    let text = record.get("body").and_then(Value::as_str).unwrap_or_default();
    let body = match serde_json::from_str::<Value>(text) {
        Ok(json) => Body::Json(json),
        Err(_) => Body::Plain(Value::from(text)),
    };
    filters
        .iter()
        .any(|filter| fields_match(&filter.0, Some(record), Some(&body)))
}

/// An SQS message body as Lambda reads it for filtering.
enum Body {
    Json(Value),
    Plain(Value),
}

/// `body`: the record's body when matching the root of an SQS pattern.
fn fields_match(pattern: &Fields, value: Option<&Value>, body: Option<&Body>) -> bool {
    let all = pattern.fields.iter().all(|(name, field)| match body {
        Some(body) if name == "body" => body_matches(field, body),
        _ => field_matches(field, value.and_then(|v| v.get(name))),
    });
    all && (pattern.any_of.is_empty() || pattern.any_of.iter().any(|branch| fields_match(branch, value, body)))
}

fn body_matches(field: &Field, body: &Body) -> bool {
    match (field, body) {
        (Field::Object(fields), Body::Json(json)) => object_matches(fields, Some(json)),
        (Field::Rules(rules), Body::Plain(text)) => rules.iter().any(|rule| rule_matches(rule, &[text])),
        // A JSON body under a plain-value pattern, or a plain body under an object pattern.
        _ => false,
    }
}

fn field_matches(field: &Field, value: Option<&Value>) -> bool {
    match field {
        Field::Object(fields) => object_matches(fields, value),
        Field::Rules(rules) => {
            let mut values = Vec::new();
            leaves(value, &mut values);
            rules.iter().any(|rule| rule_matches(rule, &values))
        }
    }
}

/// An object pattern on a list matches when one of its elements matches.
fn object_matches(fields: &Fields, value: Option<&Value>) -> bool {
    match value {
        Some(Value::Array(items)) if !items.is_empty() => items.iter().any(|item| object_matches(fields, Some(item))),
        _ => fields_match(fields, value, None),
    }
}

/// The leaf values of a field: itself, or the elements of a list (nested lists flattened).
fn leaves<'a>(value: Option<&'a Value>, out: &mut Vec<&'a Value>) {
    match value {
        None | Some(Value::Object(_)) => {}
        Some(Value::Array(items)) => items.iter().for_each(|item| leaves(Some(item), out)),
        Some(leaf) => out.push(leaf),
    }
}

fn rule_matches(rule: &Rule, values: &[&Value]) -> bool {
    match rule {
        Rule::Exists(exists) => values.is_empty() != *exists,
        rule => values.iter().any(|value| value_matches(rule, value)),
    }
}

fn value_matches(rule: &Rule, value: &Value) -> bool {
    let text = value.as_str();
    match rule {
        Rule::Equals(expected) => expected == value,
        Rule::EqualsIgnoreCase(expected) => text.is_some_and(|t| t.to_lowercase() == expected.to_lowercase()),
        Rule::Prefix(prefix) => text.is_some_and(|t| t.starts_with(prefix.as_str())),
        Rule::Suffix(suffix) => text.is_some_and(|t| t.ends_with(suffix.as_str())),
        Rule::AnythingBut(Excluded::Strings(excluded)) => !text.is_some_and(|t| excluded.iter().any(|e| e == t)),
        Rule::AnythingBut(Excluded::Numbers(excluded)) => !value.as_f64().is_some_and(|n| excluded.contains(&n)),
        Rule::Numeric(range) => value.as_f64().is_some_and(|n| range.contains(n)),
        Rule::Exists(exists) => *exists,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::filters::parse_pattern;
    use serde_json::json;

    fn filter(pattern: &str) -> Vec<FilterPattern> {
        vec![parse_pattern(pattern, None).unwrap()]
    }

    fn passes(pattern: &str, record: Value) -> bool {
        stream_record_passes(&filter(pattern), &record)
    }

    #[test]
    fn exact_values_and_lists() {
        assert!(passes(r#"{"a": ["x"]}"#, json!({"a": "x"})));
        assert!(!passes(r#"{"a": ["x"]}"#, json!({"a": "X"})));
        assert!(passes(r#"{"a": ["x", "y"]}"#, json!({"a": "y"})), "a list is any of");
        assert!(passes(r#"{"a": [5]}"#, json!({"a": 5})));
        assert!(!passes(r#"{"a": [5]}"#, json!({"a": "5"})), "a string is not a number");
        assert!(!passes(r#"{"a": [300]}"#, json!({"a": 300.0})), "300 is not 300.0");
        assert!(passes(r#"{"a": [true]}"#, json!({"a": true})));
        assert!(passes(r#"{"a": [null]}"#, json!({"a": null})));
        assert!(!passes(r#"{"a": [null]}"#, json!({})), "null is not missing");
        assert!(passes(r#"{"a": [""]}"#, json!({"a": ""})));
        assert!(
            !passes(r#"{"a": ["x"]}"#, json!({"b": "x"})),
            "a missing field never equals"
        );
        assert!(
            passes(r#"{"a": ["x"]}"#, json!({"a": ["w", "x"]})),
            "one element of a list"
        );
        assert!(
            !passes(r#"{"a": ["x"]}"#, json!({"a": {"x": 1}})),
            "an object is not a value"
        );
    }

    #[test]
    fn string_operators() {
        assert!(passes(r#"{"a": [{"prefix": "us-"}]}"#, json!({"a": "us-east-1"})));
        assert!(!passes(r#"{"a": [{"prefix": "us-"}]}"#, json!({"a": "eu-west-1"})));
        assert!(passes(r#"{"a": [{"suffix": ".png"}]}"#, json!({"a": "cat.png"})));
        assert!(!passes(r#"{"a": [{"suffix": ".png"}]}"#, json!({"a": "cat.PNG"})));
        assert!(passes(
            r#"{"a": [{"equals-ignore-case": "alice"}]}"#,
            json!({"a": "ALIce"})
        ));
        assert!(!passes(
            r#"{"a": [{"equals-ignore-case": "alice"}]}"#,
            json!({"a": "alicia"})
        ));
        assert!(
            !passes(r#"{"a": [{"prefix": "1"}]}"#, json!({"a": 12})),
            "numbers have no prefix"
        );
    }

    #[test]
    fn anything_but() {
        let one = r#"{"a": [{"anything-but": "Raining"}]}"#;
        assert!(passes(one, json!({"a": "Sunny"})));
        assert!(!passes(one, json!({"a": "Raining"})));
        assert!(!passes(one, json!({})), "anything-but needs a value");
        let many = r#"{"a": [{"anything-but": ["Raining", "Snowing"]}]}"#;
        assert!(!passes(many, json!({"a": "Snowing"})));
        assert!(passes(many, json!({"a": "Cloudy"})));
        let numbers = r#"{"a": [{"anything-but": [1, 2]}]}"#;
        assert!(!passes(numbers, json!({"a": 2.0})), "numbers compare as numbers");
        assert!(passes(numbers, json!({"a": 3})));
    }

    #[test]
    fn exists() {
        let exists = r#"{"a": {"b": [{"exists": true}]}}"#;
        assert!(passes(exists, json!({"a": {"b": "x"}})));
        assert!(passes(exists, json!({"a": {"b": null}})));
        assert!(!passes(exists, json!({"a": {"c": "x"}})));
        assert!(!passes(exists, json!({"a": {"b": {"c": 1}}})), "only leaves exist");
        let missing = r#"{"a": {"b": [{"exists": false}]}}"#;
        assert!(passes(missing, json!({"a": {"c": "x"}})));
        assert!(passes(missing, json!({})));
        assert!(passes(missing, json!({"a": {"b": []}})), "an empty list has no value");
        assert!(!passes(missing, json!({"a": {"b": 0}})));
    }

    #[test]
    fn numeric() {
        let equals = r#"{"a": [{"numeric": ["=", 100]}]}"#;
        assert!(passes(equals, json!({"a": 100})));
        assert!(passes(equals, json!({"a": 100.0})));
        assert!(!passes(equals, json!({"a": "100"})), "numeric needs a JSON number");
        let range = r#"{"a": [{"numeric": [">", 10, "<=", 20]}]}"#;
        assert!(!passes(range, json!({"a": 10})));
        assert!(passes(range, json!({"a": 10.5})));
        assert!(passes(range, json!({"a": 20})));
        assert!(!passes(range, json!({"a": 20.01})));
        assert!(passes(r#"{"a": [{"numeric": [">=", 0]}]}"#, json!({"a": 0})));
        assert!(passes(r#"{"a": [{"numeric": ["<", 0]}]}"#, json!({"a": -1})));
        assert!(!passes(r#"{"a": [{"numeric": ["<", 0]}]}"#, json!({"a": 0})));
        assert!(passes(r#"{"a": [{"numeric": ["<=", 0]}]}"#, json!({"a": 0})));
    }

    #[test]
    fn and_or_and_nesting() {
        let and = r#"{"Location": ["New York"], "Day": ["Monday"]}"#;
        assert!(passes(and, json!({"Location": "New York", "Day": "Monday"})));
        assert!(!passes(and, json!({"Location": "New York", "Day": "Friday"})));
        let or = r#"{"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]}"#;
        assert!(passes(or, json!({"Location": "Paris", "Day": "Monday"})));
        assert!(!passes(or, json!({"Location": "Paris", "Day": "Friday"})));
        let nested_or = r#"{"k": ["v"], "d": {"$or": [{"a": [1]}, {"b": [2]}]}}"#;
        assert!(passes(nested_or, json!({"k": "v", "d": {"b": 2}})));
        assert!(
            !passes(nested_or, json!({"k": "w", "d": {"b": 2}})),
            "$or and the other fields"
        );
        // Object patterns on lists of objects: one element must match all of the fields.
        let items = r#"{"items": {"kind": ["book"], "qty": [{"numeric": [">", 1]}]}}"#;
        assert!(passes(
            items,
            json!({"items": [{"kind": "pen", "qty": 5}, {"kind": "book", "qty": 2}]})
        ));
        assert!(!passes(
            items,
            json!({"items": [{"kind": "pen", "qty": 5}, {"kind": "book", "qty": 1}]})
        ));
        // Several filters are or-ed.
        let filters = vec![
            parse_pattern(r#"{"a": ["x"]}"#, None).unwrap(),
            parse_pattern(r#"{"b": ["y"]}"#, None).unwrap(),
        ];
        assert!(stream_record_passes(&filters, &json!({"b": "y"})));
        assert!(!stream_record_passes(&filters, &json!({"a": "y", "b": "x"})));
        assert!(
            stream_record_passes(&[], &json!({})),
            "no filter lets everything through"
        );
    }

    /// A record as `records::stream_record` builds it from moto's stream.
    fn stream_record(event_name: &str, sk: &str, new_image: Value) -> Value {
        let mut dynamodb = json!({
            "ApproximateCreationDateTime": 1_700_000_000,
            "Keys": {"pk": {"S": "ORDER#o-1"}, "sk": {"S": sk}},
            "SequenceNumber": "1100000000017454423009",
            "SizeBytes": 120,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        });
        if !new_image.is_null() {
            dynamodb["NewImage"] = new_image;
        }
        json!({
            "eventID": "e1",
            "eventName": event_name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": dynamodb,
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x",
        })
    }

    #[test]
    fn dynamodb_stream_records() {
        let projector = filter(r#"{"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "V#"}]}}}}"#);
        let event = |name, sk: &str, kind: &str| {
            stream_record(
                name,
                sk,
                json!({"pk": {"S": "ORDER#o-1"}, "sk": {"S": sk}, "type": {"S": kind}, "version": {"N": "1"}}),
            )
        };
        assert!(stream_record_passes(
            &projector,
            &event("INSERT", "V#0000000001", "OrderReceived")
        ));
        assert!(!stream_record_passes(
            &projector,
            &event("MODIFY", "V#0000000001", "OrderReceived")
        ));
        assert!(!stream_record_passes(
            &projector,
            &event("INSERT", "VIEW", "OrderReceived")
        ));
        assert!(!stream_record_passes(
            &projector,
            &stream_record("REMOVE", "V#0000000001", Value::Null)
        ));

        let saga = vec![
            parse_pattern(
                r#"{"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "V#"}]}},
                    "NewImage": {"type": {"S": ["OrderReceived", "OrderStored"]}}}}"#,
                Some("dynamodb"),
            )
            .unwrap(),
            parse_pattern(
                r#"{"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": ["TRANSPORT"]}}}}"#,
                Some("dynamodb"),
            )
            .unwrap(),
        ];
        assert!(stream_record_passes(
            &saga,
            &event("INSERT", "V#0000000002", "OrderStored")
        ));
        assert!(!stream_record_passes(
            &saga,
            &event("INSERT", "V#0000000003", "OrderAssigned")
        ));
        assert!(stream_record_passes(&saga, &event("INSERT", "TRANSPORT", "")));
        assert!(!stream_record_passes(&saga, &event("MODIFY", "TRANSPORT", "")));
        // A number attribute is a string in DynamoDB JSON: numeric rules never match it.
        let numeric = filter(r#"{"dynamodb": {"NewImage": {"version": {"N": [{"numeric": [">", 0]}]}}}}"#);
        assert!(!stream_record_passes(&numeric, &event("INSERT", "V#1", "x")));
        let text = filter(r#"{"dynamodb": {"NewImage": {"version": {"N": ["1"]}}}}"#);
        assert!(stream_record_passes(&text, &event("INSERT", "V#1", "x")));
    }

    fn sqs_record(body: &str) -> Value {
        json!({
            "messageId": "m1",
            "receiptHandle": "r1",
            "body": body,
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"},
            "messageAttributes": {"kind": {"stringValue": "welcome", "stringListValues": [], "binaryListValues": [], "dataType": "String"}},
            "md5OfBody": "x",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
            "awsRegion": "us-east-1",
        })
    }

    fn sqs_passes(pattern: &str, body: &str) -> bool {
        sqs_record_passes(&filter(pattern), &sqs_record(body))
    }

    #[test]
    fn sqs_json_bodies() {
        let step = r#"{"body": {"step": ["reserve", "assign"], "order": {"amount": [{"numeric": [">=", 10]}]}}}"#;
        assert!(sqs_passes(step, r#"{"step": "assign", "order": {"amount": 12}}"#));
        assert!(!sqs_passes(step, r#"{"step": "wait", "order": {"amount": 12}}"#));
        assert!(!sqs_passes(step, r#"{"step": "assign", "order": {"amount": 9}}"#));
        assert!(
            !sqs_passes(step, "assign"),
            "a plain body under a JSON pattern is dropped"
        );
        let missing = r#"{"body": {"retry": [{"exists": false}]}}"#;
        assert!(sqs_passes(missing, r#"{"step": "x"}"#));
        assert!(
            !sqs_passes(missing, "plain text"),
            "dropped, though the plain body has no field"
        );
        // Metadata fields match as they are, with or without a body rule.
        let metadata = r#"{"attributes": {"ApproximateReceiveCount": ["1"]}, "messageAttributes": {"kind": {"stringValue": [{"prefix": "wel"}]}}}"#;
        assert!(sqs_passes(metadata, "anything"));
        assert!(sqs_passes(metadata, r#"{"a": 1}"#));
        assert!(!sqs_passes(r#"{"eventSource": ["aws:kinesis"]}"#, "x"));
    }

    #[test]
    fn sqs_plain_bodies() {
        assert!(sqs_passes(r#"{"body": ["hello"]}"#, "hello"));
        assert!(sqs_passes(r#"{"body": [{"prefix": "hel"}]}"#, "hello world"));
        assert!(!sqs_passes(r#"{"body": ["hello"]}"#, "goodbye"));
        assert!(
            !sqs_passes(r#"{"body": ["{\"a\":1}"]}"#, r#"{"a":1}"#),
            "a JSON body under a plain pattern is dropped"
        );
        assert!(!sqs_passes(r#"{"body": ["5"]}"#, "5"), "5 is JSON");
    }
}
