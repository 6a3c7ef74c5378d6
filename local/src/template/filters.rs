//! Lambda event filtering patterns — `FilterCriteria: {Filters: [{Pattern: "<json>"}]}` on SQS
//! and DynamoDB events — parsed and checked as Lambda checks them when it creates the
//! event-source mapping: the comparison operators Lambda documents, no empty object or array,
//! `$or` with two branches or more, at most five filters of at most 4096 characters. What a
//! record must look like to pass is decided in `triggers::filter`.

use serde_json::{Map, Value};

/// Filters of one event-source mapping (Lambda's default quota).
pub const MAX_FILTERS: usize = 5;
/// Characters of one `Pattern`.
pub const MAX_PATTERN_LENGTH: usize = 4096;

/// One filter: a record passes when it matches the pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterPattern(pub Fields);

/// A pattern object: every field matches (and), and so does one of the `$or` branches if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Fields {
    pub fields: Vec<(String, Field)>,
    /// `$or`: empty when the object has none.
    pub any_of: Vec<Fields>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// `"name": {...}`: the value is an object whose fields match.
    Object(Fields),
    /// `"name": [...]`: one of the rules matches the value (or one of its elements).
    Rules(Vec<Rule>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// A string, number, boolean or null: the value is exactly it (`300` is not `300.0`).
    Equals(Value),
    EqualsIgnoreCase(String),
    Prefix(String),
    Suffix(String),
    /// The value exists and is none of these.
    AnythingBut(Excluded),
    /// A number within the range.
    Numeric(Range),
    /// `true`: the field has a value (not an object); `false`: it has none.
    Exists(bool),
}

/// `anything-but` values: all strings or all numbers, as Lambda requires.
#[derive(Debug, Clone, PartialEq)]
pub enum Excluded {
    Strings(Vec<String>),
    Numbers(Vec<f64>),
}

/// `numeric`: `["=", 5]`, `[">", 0]`, `[">=", 0, "<", 10]`, `["<=", 9]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub lower: Option<Bound>,
    pub upper: Option<Bound>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    pub value: f64,
    pub inclusive: bool,
}

impl Range {
    pub fn contains(&self, n: f64) -> bool {
        let above = self
            .lower
            .is_none_or(|b| if b.inclusive { n >= b.value } else { n > b.value });
        let below = self
            .upper
            .is_none_or(|b| if b.inclusive { n <= b.value } else { n < b.value });
        above && below
    }
}

/// The filters of an event's `FilterCriteria` (none without it). `structured_data` names the
/// record field a pattern may only describe as an object (`dynamodb` for streams: Lambda refuses
/// a plain-value pattern on it).
pub fn filter_criteria(criteria: Option<&Value>, structured_data: Option<&str>) -> Result<Vec<FilterPattern>, String> {
    let Some(criteria) = criteria else {
        return Ok(Vec::new());
    };
    let Some(criteria) = criteria.as_object() else {
        return Err("FilterCriteria must be an object with Filters".into());
    };
    let filters = match criteria.get("Filters") {
        None => return Ok(Vec::new()),
        Some(Value::Array(filters)) => filters,
        Some(_) => return Err("FilterCriteria.Filters must be a list of {Pattern: <JSON text>}".into()),
    };
    if filters.len() > MAX_FILTERS {
        return Err(format!(
            "FilterCriteria has {} filters; Lambda allows {MAX_FILTERS} per event source",
            filters.len()
        ));
    }
    filters
        .iter()
        .enumerate()
        .map(|(i, filter)| {
            let text = filter.get("Pattern").and_then(Value::as_str).ok_or_else(|| {
                format!(
                    "FilterCriteria.Filters[{i}] needs a Pattern (JSON text, e.g. '{{\"eventName\": [\"INSERT\"]}}')"
                )
            })?;
            parse_pattern(text, structured_data)
                .map_err(|error| format!("FilterCriteria.Filters[{i}].Pattern is not a valid filter pattern: {error}"))
        })
        .collect()
}

/// One `Pattern` text.
pub fn parse_pattern(text: &str, structured_data: Option<&str>) -> Result<FilterPattern, String> {
    if text.chars().count() > MAX_PATTERN_LENGTH {
        return Err(format!("longer than {MAX_PATTERN_LENGTH} characters"));
    }
    let json: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let root = fields(&json, "the pattern")?;
    if let Some(data) = structured_data {
        if has_rules_at_root(&root, data) {
            return Err(format!("\"{data}\" must be an object (the record's {data} is JSON)"));
        }
    }
    Ok(FilterPattern(root))
}

fn has_rules_at_root(root: &Fields, name: &str) -> bool {
    root.fields
        .iter()
        .any(|(field, value)| field == name && matches!(value, Field::Rules(_)))
        || root.any_of.iter().any(|branch| has_rules_at_root(branch, name))
}

fn fields(json: &Value, path: &str) -> Result<Fields, String> {
    let Value::Object(object) = json else {
        return Err(format!("{path} must be an object"));
    };
    if object.is_empty() {
        return Err(format!("{path} is an empty object"));
    }
    let mut out = Fields {
        fields: Vec::new(),
        any_of: Vec::new(),
    };
    for (name, value) in object {
        let here = if path == "the pattern" {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        if name == "$or" {
            out.any_of = branches(value, &here)?;
            continue;
        }
        let field = match value {
            Value::Object(_) => Field::Object(fields(value, &here)?),
            Value::Array(items) => Field::Rules(rules(items, &here)?),
            other => {
                return Err(format!(
                    "{here} must be an object or a list of rules (e.g. [{other}]), not {other}"
                ))
            }
        };
        out.fields.push((name.clone(), field));
    }
    Ok(out)
}

fn branches(value: &Value, path: &str) -> Result<Vec<Fields>, String> {
    let Value::Array(items) = value else {
        return Err(format!("{path} must be a list of objects"));
    };
    if items.len() < 2 {
        return Err(format!("{path} needs at least two objects"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| fields(item, &format!("{path}[{i}]")))
        .collect()
}

fn rules(items: &[Value], path: &str) -> Result<Vec<Rule>, String> {
    if items.is_empty() {
        return Err(format!("{path} is an empty list (write [null] to match null)"));
    }
    items
        .iter()
        .map(|item| match item {
            Value::Object(operator) => rule(operator, path),
            Value::Array(_) => Err(format!("{path} holds a list in a list")),
            value => Ok(Rule::Equals(value.clone())),
        })
        .collect()
}

fn rule(object: &Map<String, Value>, path: &str) -> Result<Rule, String> {
    let mut entries = object.iter();
    let (Some((operator, argument)), None) = (entries.next(), entries.next()) else {
        return Err(format!("{path}: a rule object holds exactly one operator"));
    };
    let text = |what: &str| -> Result<String, String> {
        argument
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{path}: {what} takes a string"))
    };
    Ok(match operator.as_str() {
        "prefix" => Rule::Prefix(text("prefix")?),
        "suffix" => Rule::Suffix(text("suffix")?),
        "equals-ignore-case" => Rule::EqualsIgnoreCase(text("equals-ignore-case")?),
        "anything-but" => Rule::AnythingBut(excluded(argument, path)?),
        "numeric" => Rule::Numeric(range(argument, path)?),
        "exists" => Rule::Exists(
            argument
                .as_bool()
                .ok_or_else(|| format!("{path}: exists takes true or false"))?,
        ),
        other => {
            return Err(format!(
                "{path}: {other} is not an operator of Lambda event filtering (prefix, suffix, \
                 equals-ignore-case, anything-but, numeric, exists)"
            ))
        }
    })
}

fn excluded(argument: &Value, path: &str) -> Result<Excluded, String> {
    let list = match argument {
        Value::Array(items) => items.as_slice(),
        Value::Object(_) => {
            return Err(format!(
                "{path}: anything-but takes a value or a list of values in Lambda event filtering \
                 (its prefix/suffix/equals-ignore-case forms are EventBridge-only)"
            ))
        }
        single => std::slice::from_ref(single),
    };
    if list.iter().all(Value::is_string) && !list.is_empty() {
        return Ok(Excluded::Strings(
            list.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        ));
    }
    if list.iter().all(Value::is_number) && !list.is_empty() {
        return Ok(Excluded::Numbers(list.iter().filter_map(Value::as_f64).collect()));
    }
    Err(format!(
        "{path}: anything-but takes strings or numbers (not mixed, not empty, no null or boolean)"
    ))
}

fn range(argument: &Value, path: &str) -> Result<Range, String> {
    let invalid = || {
        format!(
            "{path}: numeric takes [\"=\", n], [\">\" or \">=\", n], [\"<\" or \"<=\", n] or \
             [\">\" or \">=\", low, \"<\" or \"<=\", high] with low < high"
        )
    };
    let terms = argument.as_array().ok_or_else(invalid)?;
    let pair = |i: usize| -> Option<(&str, f64)> { Some((terms.get(i)?.as_str()?, terms.get(i + 1)?.as_f64()?)) };
    let bound = |value: f64, inclusive: bool| Some(Bound { value, inclusive });
    let range = match (terms.len(), pair(0).ok_or_else(invalid)?) {
        (2, ("=", n)) => Range {
            lower: bound(n, true),
            upper: bound(n, true),
        },
        (2, (">", n)) => Range {
            lower: bound(n, false),
            upper: None,
        },
        (2, (">=", n)) => Range {
            lower: bound(n, true),
            upper: None,
        },
        (2, ("<", n)) => Range {
            lower: None,
            upper: bound(n, false),
        },
        (2, ("<=", n)) => Range {
            lower: None,
            upper: bound(n, true),
        },
        (4, (low_op @ (">" | ">="), low)) => {
            let (high_op, high) = pair(2).ok_or_else(invalid)?;
            if !matches!(high_op, "<" | "<=") || low >= high {
                return Err(invalid());
            }
            Range {
                lower: bound(low, low_op == ">="),
                upper: bound(high, high_op == "<="),
            }
        }
        _ => return Err(invalid()),
    };
    Ok(range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> Result<FilterPattern, String> {
        parse_pattern(text, None)
    }

    #[test]
    fn patterns_parse_into_rules() {
        let pattern = parse(
            r#"{"eventName": ["INSERT", "MODIFY"], "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "V#"}]}}},
                "$or": [{"n": [{"numeric": [">", 0, "<=", 5]}]}, {"x": [{"exists": false}, null]}]}"#,
        )
        .unwrap();
        let root = &pattern.0;
        assert_eq!(root.fields.len(), 2);
        assert_eq!(root.any_of.len(), 2);
        let rules = |fields: &Fields, name: &str| match fields.fields.iter().find(|(n, _)| n == name) {
            Some((_, Field::Rules(rules))) => rules.clone(),
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(
            rules(root, "eventName"),
            vec![Rule::Equals(json!("INSERT")), Rule::Equals(json!("MODIFY"))]
        );
        assert_eq!(
            rules(&root.any_of[0], "n"),
            vec![Rule::Numeric(Range {
                lower: Some(Bound {
                    value: 0.0,
                    inclusive: false
                }),
                upper: Some(Bound {
                    value: 5.0,
                    inclusive: true
                }),
            })]
        );
        assert_eq!(
            rules(&root.any_of[1], "x"),
            vec![Rule::Exists(false), Rule::Equals(Value::Null)]
        );
        let Some((_, Field::Object(dynamodb))) = root.fields.iter().find(|(n, _)| n == "dynamodb") else {
            panic!("dynamodb is an object pattern");
        };
        let Field::Object(keys) = &dynamodb.fields[0].1 else {
            panic!()
        };
        let Field::Object(sk) = &keys.fields[0].1 else { panic!() };
        assert_eq!(rules(sk, "S"), vec![Rule::Prefix("V#".into())]);

        assert_eq!(
            rules(&parse(r#"{"a": [{"anything-but": "x"}]}"#).unwrap().0, "a"),
            vec![Rule::AnythingBut(Excluded::Strings(vec!["x".into()]))]
        );
        assert_eq!(
            rules(&parse(r#"{"a": [{"anything-but": [1, 2.5]}]}"#).unwrap().0, "a"),
            vec![Rule::AnythingBut(Excluded::Numbers(vec![1.0, 2.5]))]
        );
        assert_eq!(
            rules(
                &parse(r#"{"a": [{"equals-ignore-case": "Ok"}, {"suffix": ".png"}]}"#)
                    .unwrap()
                    .0,
                "a"
            ),
            vec![Rule::EqualsIgnoreCase("Ok".into()), Rule::Suffix(".png".into())]
        );
    }

    #[test]
    fn malformed_patterns_are_refused_as_lambda_refuses_them() {
        for (text, expected) in [
            ("not json", "not JSON"),
            ("[]", "must be an object"),
            ("{}", "empty object"),
            (r#"{"a": {}}"#, "a is an empty object"),
            (r#"{"eventName": "INSERT"}"#, "eventName must be an object or a list"),
            (r#"{"a": []}"#, "empty list"),
            (r#"{"a": [["x"]]}"#, "list in a list"),
            (r#"{"a": [{"prefix": "x", "suffix": "y"}]}"#, "exactly one operator"),
            (r#"{"a": [{"prefix": 1}]}"#, "prefix takes a string"),
            (r#"{"a": [{"wildcard": "*x"}]}"#, "wildcard is not an operator"),
            (r#"{"a": [{"exists": "yes"}]}"#, "exists takes true or false"),
            (
                r#"{"a": [{"anything-but": []}]}"#,
                "anything-but takes strings or numbers",
            ),
            (r#"{"a": [{"anything-but": ["x", 1]}]}"#, "not mixed"),
            (r#"{"a": [{"anything-but": {"prefix": "x"}}]}"#, "EventBridge-only"),
            (r#"{"a": [{"numeric": [">", "1"]}]}"#, "numeric takes"),
            (r#"{"a": [{"numeric": ["<", 1, ">", 0]}]}"#, "numeric takes"),
            (r#"{"a": [{"numeric": [">", 5, "<", 5]}]}"#, "numeric takes"),
            (r#"{"a": [{"numeric": ["=", 5, "<", 9]}]}"#, "numeric takes"),
            (r#"{"$or": [{"a": ["x"]}]}"#, "at least two objects"),
            (r#"{"$or": {"a": ["x"]}}"#, "list of objects"),
            (r#"{"b": {"$or": [{"a": ["x"]}, {}]}}"#, "b.$or[1] is an empty object"),
        ] {
            match parse(text) {
                Err(error) => assert!(error.contains(expected), "{text}: {error}"),
                Ok(pattern) => panic!("{text} parsed: {pattern:?}"),
            }
        }
        let long = format!(r#"{{"a": ["{}"]}}"#, "x".repeat(MAX_PATTERN_LENGTH));
        assert!(parse(&long).unwrap_err().contains("4096"));
    }

    #[test]
    fn stream_data_must_be_described_as_an_object() {
        assert!(parse_pattern(r#"{"dynamodb": {"Keys": {"pk": {"S": ["a"]}}}}"#, Some("dynamodb")).is_ok());
        assert!(parse_pattern(r#"{"dynamodb": [{"exists": true}]}"#, Some("dynamodb")).is_err());
        assert!(parse_pattern(
            r#"{"$or": [{"eventName": ["INSERT"]}, {"dynamodb": ["x"]}]}"#,
            Some("dynamodb")
        )
        .is_err());
        // An SQS body may be a plain string.
        assert!(parse_pattern(r#"{"body": ["hello"]}"#, None).is_ok());
    }

    #[test]
    fn criteria_hold_at_most_five_filters() {
        let filter = json!({"Pattern": r#"{"a": ["x"]}"#});
        assert_eq!(filter_criteria(None, None).unwrap(), Vec::new());
        assert_eq!(filter_criteria(Some(&json!({})), None).unwrap(), Vec::new());
        assert_eq!(
            filter_criteria(Some(&json!({"Filters": vec![filter.clone(); 5]})), None)
                .unwrap()
                .len(),
            5
        );
        let six = filter_criteria(Some(&json!({"Filters": vec![filter; 6]})), None).unwrap_err();
        assert!(six.contains("6 filters"), "{six}");
        let missing = filter_criteria(Some(&json!({"Filters": [{}]})), None).unwrap_err();
        assert!(missing.contains("Filters[0] needs a Pattern"), "{missing}");
        let object = filter_criteria(Some(&json!({"Filters": [{"Pattern": {"a": ["x"]}}]})), None).unwrap_err();
        assert!(object.contains("needs a Pattern (JSON text"), "{object}");
        let bad = filter_criteria(Some(&json!({"Filters": [{"Pattern": "{\"a\": 1}"}]})), None).unwrap_err();
        assert!(bad.starts_with("FilterCriteria.Filters[0].Pattern"), "{bad}");
    }
}
