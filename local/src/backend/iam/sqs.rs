//! What an SQS request (JSON or query protocol) asks IAM for: its action on the queue its
//! `QueueUrl` (or `QueueName`) names; a batch needs the action of one message.

use serde_json::Value;

use axum::http::HeaderMap;

use super::policy::Authorization;
use super::Scope;
use crate::backend::routing;

/// `operation` is the action (`SendMessageBatch`, ...); `json` the JSON protocol's body, or
/// `form` the query protocol's parameters.
pub fn authorizations(scope: &Scope, operation: &str, request: &SqsRequest) -> Result<Vec<Authorization>, String> {
    let action = operation.strip_suffix("Batch").unwrap_or(operation);
    let resource = match operation {
        "ListQueues" => "*".to_string(),
        "CreateQueue" | "GetQueueUrl" => {
            let name = request
                .get("QueueName")
                .ok_or_else(|| format!("{operation} names no QueueName"))?;
            scope.queue_arn(&scope.account, &name)
        }
        _ => {
            let url = request
                .get("QueueUrl")
                .ok_or_else(|| format!("{operation} names no QueueUrl"))?;
            let mut segments = url.rsplit('/');
            let (Some(name), Some(account)) = (segments.next(), segments.next()) else {
                return Err(format!("{url} is no queue URL"));
            };
            scope.queue_arn(account, name)
        }
    };
    Ok(vec![Authorization::new(format!("sqs:{action}"), resource)])
}

/// An SQS request's parameters, in whichever protocol it came.
pub enum SqsRequest {
    Json(Value),
    Form(Vec<(String, String)>),
}

impl SqsRequest {
    pub fn json(body: &[u8]) -> Result<SqsRequest, String> {
        serde_json::from_slice(body)
            .map(SqsRequest::Json)
            .map_err(|error| format!("the request body is not JSON: {error}"))
    }

    /// The query protocol's parameters, from the URL's query and a form body.
    pub fn form(query: &str, headers: &HeaderMap, body: &[u8]) -> SqsRequest {
        SqsRequest::Form(routing::parameters(query, headers, body).collect())
    }

    fn get(&self, name: &str) -> Option<String> {
        match self {
            SqsRequest::Json(body) => body[name].as_str().map(str::to_string),
            SqsRequest::Form(pairs) => pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn queue_urls_and_names_become_queue_arns() {
        let scope = Scope::for_tests();
        let sent = SqsRequest::Json(json!({"QueueUrl": "http://localhost:5000/123456789012/andes-Q", "Entries": []}));
        let batch = authorizations(&scope, "SendMessageBatch", &sent).unwrap();
        assert_eq!(batch[0].action, "sqs:SendMessage");
        assert_eq!(batch[0].resource, "arn:aws:sqs:us-east-1:123456789012:andes-Q");
        let mut headers = HeaderMap::new();
        headers.insert("content-type", "application/x-www-form-urlencoded".parse().unwrap());
        let form = SqsRequest::form(
            "",
            &headers,
            b"Action=GetQueueUrl&QueueName=andes-Dead%2BLetter&Version=2012-11-05",
        );
        let by_name = authorizations(&scope, "GetQueueUrl", &form).unwrap();
        assert_eq!(
            by_name[0].resource,
            "arn:aws:sqs:us-east-1:123456789012:andes-Dead+Letter"
        );
        assert!(authorizations(&scope, "SendMessage", &SqsRequest::Json(json!({}))).is_err());
    }
}
