//! What a DynamoDB or DynamoDB Streams request asks IAM for: one authorization per item action
//! (a transaction's `Put` is a `dynamodb:PutItem`, its `ConditionCheck` a
//! `dynamodb:ConditionCheckItem`), per table of a batch, with the partition key values the
//! request touches as `dynamodb:LeadingKeys`.

use dynoxide::actions::get_shard_iterator::decode_shard_iterator;
use serde_json::Value;

use super::policy::Authorization;
use super::Scope;

const LEADING_KEYS: &str = "dynamodb:LeadingKeys";

/// The authorizations `operation` (`PutItem`, `TransactWriteItems`, ...) with `body` needs.
pub fn authorizations(scope: &Scope, operation: &str, body: &[u8]) -> Result<Vec<Authorization>, String> {
    let request: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body).map_err(|error| format!("the request body is not JSON: {error}"))?
    };
    let table = |request: &Value| -> Result<String, String> {
        request["TableName"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{operation} names no TableName"))
    };
    let item_action = |action: &str, request: &Value, key_field: &str| -> Result<Authorization, String> {
        let table = table(request)?;
        let leading = scope.partition_value(&table, None, &request[key_field]);
        Ok(scope.on_table(action, &table, None).with_values(LEADING_KEYS, leading))
    };
    let authorizations = match operation {
        "GetItem" | "DeleteItem" | "UpdateItem" => vec![item_action(operation, &request, "Key")?],
        "PutItem" => vec![item_action(operation, &request, "Item")?],
        "Query" => {
            let table = table(&request)?;
            let index = request["IndexName"].as_str();
            let leading = scope.partition_value_among(&table, index, &key_equalities(&request));
            vec![scope
                .on_table(operation, &table, index)
                .with_values(LEADING_KEYS, leading)]
        }
        "Scan" => {
            let table = table(&request)?;
            vec![scope.on_table(operation, &table, request["IndexName"].as_str())]
        }
        "BatchGetItem" | "BatchWriteItem" => {
            let tables = request["RequestItems"]
                .as_object()
                .ok_or_else(|| format!("{operation} needs RequestItems"))?;
            tables
                .iter()
                .map(|(table, requests)| {
                    let keys: Vec<&Value> = match operation {
                        "BatchGetItem" => requests["Keys"].as_array().into_iter().flatten().collect(),
                        _ => requests
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|write| match &write["PutRequest"] {
                                Value::Null => &write["DeleteRequest"]["Key"],
                                put => &put["Item"],
                            })
                            .collect(),
                    };
                    let leading = keys
                        .into_iter()
                        .map(|key| scope.partition_value(table, None, key))
                        .collect::<Option<Vec<_>>>();
                    scope.on_table(operation, table, None).with_all(LEADING_KEYS, leading)
                })
                .collect()
        }
        "TransactGetItems" | "TransactWriteItems" => {
            let items = request["TransactItems"]
                .as_array()
                .ok_or_else(|| format!("{operation} needs TransactItems"))?;
            items
                .iter()
                .map(|item| {
                    // One member exactly: DynamoDB would run a member this did not check.
                    let member = match item.as_object() {
                        Some(members) if members.len() == 1 => members.iter().next(),
                        _ => None,
                    };
                    let Some((kind, request)) = member else {
                        return Err(format!("{operation}: each item has exactly one action"));
                    };
                    let (action, key_field) = match (operation, kind.as_str()) {
                        ("TransactGetItems", "Get") => ("GetItem", "Key"),
                        ("TransactWriteItems", "Put") => ("PutItem", "Item"),
                        ("TransactWriteItems", "Update") => ("UpdateItem", "Key"),
                        ("TransactWriteItems", "Delete") => ("DeleteItem", "Key"),
                        ("TransactWriteItems", "ConditionCheck") => ("ConditionCheckItem", "Key"),
                        (_, other) => return Err(format!("{operation}: an item cannot be a {other}")),
                    };
                    item_action(action, request, key_field)
                })
                .collect::<Result<_, _>>()?
        }
        "DescribeTable"
        | "CreateTable"
        | "DeleteTable"
        | "UpdateTable"
        | "DescribeTimeToLive"
        | "UpdateTimeToLive"
        | "DescribeContinuousBackups"
        | "UpdateContinuousBackups" => {
            vec![scope.on_table(operation, &table(&request)?, None)]
        }
        "TagResource" | "UntagResource" | "ListTagsOfResource" => {
            let arn = request["ResourceArn"]
                .as_str()
                .ok_or_else(|| format!("{operation} names no ResourceArn"))?;
            vec![Authorization::new(format!("dynamodb:{operation}"), arn)]
        }
        "ListTables" | "DescribeLimits" | "DescribeEndpoints" | "ListStreams" => {
            vec![Authorization::new(format!("dynamodb:{operation}"), "*")]
        }
        "DescribeStream" | "GetShardIterator" => {
            let arn = request["StreamArn"]
                .as_str()
                .ok_or_else(|| format!("{operation} names no StreamArn"))?;
            vec![Authorization::new(
                format!("dynamodb:{operation}"),
                scope.stream_arn(arn),
            )]
        }
        "GetRecords" => {
            let iterator = request["ShardIterator"].as_str().unwrap_or_default();
            let (table, _, _) =
                decode_shard_iterator(iterator).ok_or("GetRecords: the shard iterator names no table")?;
            vec![Authorization::new("dynamodb:GetRecords", scope.stream_arn(&table))]
        }
        other => {
            return Err(format!(
                "the local platform does not know which IAM action DynamoDB's {other} needs"
            ))
        }
    };
    Ok(authorizations)
}

/// Every `attribute = :value` of a Query's key condition, one of them on the partition key.
fn key_equalities(request: &Value) -> Vec<(String, &Value)> {
    if let Some(conditions) = request["KeyConditions"].as_object() {
        return conditions
            .iter()
            .filter(|(_, condition)| condition["ComparisonOperator"] == "EQ")
            .map(|(name, condition)| (name.clone(), &condition["AttributeValueList"][0]))
            .collect();
    }
    let Some(expression) = request["KeyConditionExpression"].as_str() else {
        return Vec::new();
    };
    let name = |token: &str| match token.strip_prefix('#') {
        Some(_) => request["ExpressionAttributeNames"][token].as_str().map(str::to_string),
        None => Some(token.to_string()),
    };
    tokens(expression)
        .windows(3)
        .filter_map(|window| {
            let [left, "=", right] = window else { return None };
            let (attribute, placeholder) = if right.starts_with(':') {
                (left, right)
            } else {
                (right, left)
            };
            let value = &request["ExpressionAttributeValues"][*placeholder];
            if value.is_null() {
                return None;
            }
            Some((name(attribute)?, value))
        })
        .collect()
}

/// Identifiers, placeholders and operators of a key condition expression.
fn tokens(expression: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut rest = expression;
    while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
        rest = &rest[start..];
        let operand = |c: char| c.is_alphanumeric() || matches!(c, '#' | ':' | '_' | '-' | '.');
        let length = if rest.starts_with(operand) {
            rest.find(|c: char| !operand(c)).unwrap_or(rest.len())
        } else if rest.starts_with("<=") || rest.starts_with(">=") || rest.starts_with("<>") {
            2
        } else {
            rest.chars().next().map_or(1, char::len_utf8)
        };
        tokens.push(&rest[..length]);
        rest = &rest[length..];
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_condition_expressions_give_their_equalities() {
        let request = json!({
            "KeyConditionExpression": "(#s = :s) AND #p = :p",
            "ExpressionAttributeNames": {"#p": "pk", "#s": "sk"},
            "ExpressionAttributeValues": {":p": {"S": "VENUE#1"}, ":s": {"S": "a"}}
        });
        let equalities = key_equalities(&request);
        assert_eq!(
            equalities,
            vec![
                ("sk".into(), &json!({"S": "a"})),
                ("pk".into(), &json!({"S": "VENUE#1"}))
            ]
        );
        let reversed = json!({
            "KeyConditionExpression": "begins_with(sk, :prefix) and :p=gsi1pk AND sk BETWEEN :a AND :b",
            "ExpressionAttributeValues": {":p": {"S": "X"}, ":prefix": {"S": "Y"}, ":a": {"S": "1"}, ":b": {"S": "2"}}
        });
        assert_eq!(key_equalities(&reversed), vec![("gsi1pk".into(), &json!({"S": "X"}))]);
        let legacy = json!({"KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "Z"}]}}});
        assert_eq!(key_equalities(&legacy), vec![("pk".into(), &json!({"S": "Z"}))]);
        assert!(key_equalities(&json!({"KeyConditionExpression": "sk >= :x"})).is_empty());
    }

    #[test]
    fn records_are_read_from_the_stream_of_the_iterators_table() {
        let iterator = dynoxide::actions::get_shard_iterator::encode_shard_iterator("andes-Table", "s", 3);
        let body = json!({ "ShardIterator": iterator }).to_string();
        let read = authorizations(&Scope::for_tests(), "GetRecords", body.as_bytes()).unwrap();
        assert_eq!(
            read,
            [Authorization::new(
                "dynamodb:GetRecords",
                "arn:aws:dynamodb:us-east-1:123456789012:table/andes-Table/stream/local"
            )]
        );
        assert!(authorizations(&Scope::for_tests(), "GetRecords", br#"{"ShardIterator": "x"}"#).is_err());
    }
}
