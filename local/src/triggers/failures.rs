//! How Lambda reads a batch invocation's outcome (SQS and streams), and the failure records it
//! sends to on-failure destinations.

use serde_json::{json, Value};

use crate::control::InvokeError;

/// What to do with a batch after its invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchOutcome {
    /// Every record succeeded.
    Success,
    /// These item identifiers (message ids / sequence numbers) failed, in the batch's order;
    /// the others succeeded.
    Partial(Vec<String>),
    /// The whole batch failed.
    Failed(String),
}

/// Lambda's rules for `ReportBatchItemFailures`: a null or empty response, or a null or empty
/// `batchItemFailures`, is complete success; an invalid response, or an entry whose
/// `itemIdentifier` is missing, null, empty or not in the batch, fails the whole batch.
/// Without `ReportBatchItemFailures` any answer is success.
pub fn interpret_batch_response(
    result: &Result<Value, InvokeError>,
    reports_item_failures: bool,
    batch_ids: &[&str],
) -> BatchOutcome {
    let response = match result {
        Err(error) => return BatchOutcome::Failed(error.to_string()),
        Ok(_) if !reports_item_failures => return BatchOutcome::Success,
        Ok(response) => response,
    };
    let failures = match response {
        Value::Null => return BatchOutcome::Success,
        Value::Object(object) => match object.get("batchItemFailures") {
            None | Some(Value::Null) => return BatchOutcome::Success,
            Some(Value::Array(failures)) => failures,
            Some(_) => return BatchOutcome::Failed("batchItemFailures is not a list".into()),
        },
        Value::String(s) if s.is_empty() => return BatchOutcome::Success,
        _ => return BatchOutcome::Failed("the response is not a batch item failure report".into()),
    };
    let mut failed = Vec::new();
    for entry in failures {
        let id = match entry.get("itemIdentifier") {
            Some(Value::String(id)) if !id.is_empty() => id.as_str(),
            _ => return BatchOutcome::Failed(format!("invalid batch item failure {entry}")),
        };
        if !batch_ids.contains(&id) {
            return BatchOutcome::Failed(format!("itemIdentifier {id} is not in the batch"));
        }
        failed.push(id);
    }
    if failed.is_empty() {
        return BatchOutcome::Success;
    }
    let ordered: Vec<String> = batch_ids
        .iter()
        .filter(|id| failed.contains(id))
        .map(|id| id.to_string())
        .collect();
    BatchOutcome::Partial(ordered)
}

/// `{errorType, errorMessage}` of a failed invocation, as Lambda reports it.
pub fn error_payload(error: &InvokeError) -> Value {
    match error {
        InvokeError::Function {
            error_type,
            error_message,
        } => {
            json!({"errorType": error_type, "errorMessage": error_message})
        }
        InvokeError::Timeout(_) => {
            json!({"errorMessage": format!("{} Task timed out", now_text()), "errorType": "Sandbox.Timedout"})
        }
        InvokeError::Runtime(message) => json!({"errorType": "Runtime.ExitError", "errorMessage": message}),
        InvokeError::UnknownFunction(name) => {
            json!({"errorType": "ResourceNotFoundException", "errorMessage": format!("Function not found: {name}")})
        }
    }
}

pub fn now_text() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The `requestContext`/`responseContext` part of a failure record.
pub fn failure_envelope(function_arn: &str, condition: &str, invoke_count: u32, error: Option<&InvokeError>) -> Value {
    let mut response = json!({"statusCode": 200, "executedVersion": "$LATEST"});
    if error.is_some() {
        response["functionError"] = Value::from("Unhandled");
    }
    json!({
        "version": "1.0",
        "timestamp": now_text(),
        "requestContext": {
            "requestId": uuid::Uuid::new_v4().to_string(),
            "functionArn": format!("{function_arn}:$LATEST"),
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: &[&str] = &["a", "b", "c"];

    fn outcome(response: Value) -> BatchOutcome {
        interpret_batch_response(&Ok(response), true, IDS)
    }

    #[test]
    fn empty_or_missing_reports_are_success() {
        assert_eq!(outcome(Value::Null), BatchOutcome::Success);
        assert_eq!(outcome(json!({})), BatchOutcome::Success);
        assert_eq!(outcome(json!({"batchItemFailures": null})), BatchOutcome::Success);
        assert_eq!(outcome(json!({"batchItemFailures": []})), BatchOutcome::Success);
    }

    #[test]
    fn listed_items_fail_in_batch_order() {
        let response = json!({"batchItemFailures": [{"itemIdentifier": "c"}, {"itemIdentifier": "a"}]});
        assert_eq!(outcome(response), BatchOutcome::Partial(vec!["a".into(), "c".into()]));
    }

    #[test]
    fn invalid_reports_fail_the_whole_batch() {
        for response in [
            json!({"batchItemFailures": [{"itemIdentifier": "zz"}]}),
            json!({"batchItemFailures": [{"itemIdentifier": ""}]}),
            json!({"batchItemFailures": [{"itemIdentifier": null}]}),
            json!({"batchItemFailures": [{"id": "a"}]}),
            json!({"batchItemFailures": "a"}),
            json!(42),
        ] {
            assert!(
                matches!(outcome(response.clone()), BatchOutcome::Failed(_)),
                "{response}"
            );
        }
    }

    #[test]
    fn errors_fail_and_reports_are_ignored_unless_enabled() {
        let error = Err(InvokeError::Timeout(5.0));
        assert!(matches!(
            interpret_batch_response(&error, false, IDS),
            BatchOutcome::Failed(_)
        ));
        let report = Ok(json!({"batchItemFailures": [{"itemIdentifier": "a"}]}));
        assert_eq!(interpret_batch_response(&report, false, IDS), BatchOutcome::Success);
    }
}
