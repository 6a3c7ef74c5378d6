//! What a request is, decided once, and the same for the front door and the backend behind it.
//! moto picks a signed request's service from its credential scope, reads an SQS action from
//! the form body before the query, and serves its own API under `/moto-api`; IAM must see the
//! very operation that will run. So a request whose service or action could be read two ways
//! is refused rather than authorised one way and run the other.

use axum::http::{HeaderMap, Uri};
use percent_encoding::percent_decode_str;

use super::access::Principal;
use super::iam::Call;
use super::refusals::Service;

/// `DynamoDB.PutItem`, `DynamoDBStreams.GetRecords`, `SQS.SendMessage`, `S3.PUT` ...
pub fn operation(headers: &HeaderMap, method: &str, uri: &Uri, body: &[u8]) -> String {
    if let Some(target) = headers.get("x-amz-target").and_then(|t| t.to_str().ok()) {
        let (service, action) = target.split_once('.').unwrap_or((target, "?"));
        let service = if service.starts_with("DynamoDBStreams") {
            "DynamoDBStreams"
        } else if service.starts_with("DynamoDB") {
            "DynamoDB"
        } else if service == "AmazonSQS" {
            "SQS"
        } else {
            service
        };
        return format!("{service}.{action}");
    }
    match actions(uri.query().unwrap_or(""), headers, body).first() {
        Some(action) => format!("SQS.{action}"),
        None => format!("S3.{method}"),
    }
}

/// Refuses `call` unless one reading of it is possible: signed for the service it addresses
/// (`scope`: the credential scope's service, `None` when unsigned), one action, one value per
/// parameter, nothing the backend would decode differently, and moto's own API for the
/// platform only.
pub fn check(call: &Call, service: Service, principal: &Principal, scope: Option<&str>) -> Result<(), String> {
    let path = percent_decode_str(call.request.path).decode_utf8_lossy();
    let moto_internal = ["/moto-api", "/latest/meta-data", "/latest/api", "/favicon.ico"];
    if *principal != Principal::Admin && moto_internal.iter().any(|p| path.starts_with(p)) {
        return Err(format!("{path} is the local backend's own"));
    }
    let expected = match service {
        Service::DynamoDb => "dynamodb",
        Service::SqsJson | Service::SqsQuery => "sqs",
        Service::S3 => "s3",
    };
    if let Some(scope) = scope {
        if scope != expected {
            return Err(format!("signed for {scope}, but addressed to {expected}"));
        }
    }
    let query = call.request.query;
    match service {
        Service::S3 => {
            // moto would take `/sqs_us-east-1/...` unsigned for another service; no bucket has `_`.
            let bucket = path.trim_start_matches('/').split('/').next().unwrap_or("");
            if !bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
            {
                return Err(format!("{bucket} is no bucket name"));
            }
        }
        Service::DynamoDb | Service::SqsJson => {
            if !query.is_empty() || !actions("", call.request.headers, call.request.body).is_empty() {
                return Err("a JSON-protocol request has no query parameters".into());
            }
        }
        Service::SqsQuery => {
            let names = parameter_names(query, call.request.headers, call.request.body);
            let mut sorted = names.clone();
            sorted.sort();
            if let Some(twice) = sorted.windows(2).find(|pair| pair[0] == pair[1]) {
                return Err(format!("the parameter {} is given twice", twice[0]));
            }
        }
    }
    if service != Service::S3 {
        let encoded = call
            .request
            .headers
            .get("content-encoding")
            .is_some_and(|e| !e.as_bytes().eq_ignore_ascii_case(b"identity"));
        if encoded {
            return Err("a compressed request body is read only by S3".into());
        }
    }
    Ok(())
}

/// The `Action` parameters of a query-protocol request, percent-decoded: in the query, and in a
/// form body (moto reads those first).
fn actions(query: &str, headers: &HeaderMap, body: &[u8]) -> Vec<String> {
    parameters(query, headers, body)
        .filter(|(name, _)| name == "Action")
        .map(|(_, value)| value)
        .collect()
}

fn parameter_names(query: &str, headers: &HeaderMap, body: &[u8]) -> Vec<String> {
    parameters(query, headers, body).map(|(name, _)| name).collect()
}

/// A query-protocol request's parameters, decoded: the query's, then a form body's (read only
/// when it is declared a form, as the backend reads it).
pub fn parameters<'a>(
    query: &'a str,
    headers: &HeaderMap,
    body: &'a [u8],
) -> impl Iterator<Item = (String, String)> + 'a {
    let form = headers
        .get("content-type")
        .and_then(|t| t.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let body = if form {
        std::str::from_utf8(body).unwrap_or("")
    } else {
        ""
    };
    query
        .split('&')
        .chain(body.split('&'))
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(name), form_decode(value))
        })
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space.
fn form_decode(text: &str) -> String {
    percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::sigv4::SignedRequest;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn checked(
        service: Service,
        path: &str,
        query: &str,
        pairs: &[(&'static str, &str)],
        body: &str,
        scope: Option<&str>,
    ) -> Result<(), String> {
        let headers = headers(pairs);
        let call = Call {
            operation: "x",
            request: SignedRequest {
                method: "POST",
                path,
                query,
                headers: &headers,
                body: body.as_bytes(),
            },
        };
        check(&call, service, &Principal::Function("F".into()), scope)
    }

    #[test]
    fn operations_are_named_by_service_and_action() {
        let root: Uri = "/".parse().unwrap();
        let target = |t| operation(&headers(&[("x-amz-target", t)]), "POST", &root, b"");
        assert_eq!(target("DynamoDB_20120810.PutItem"), "DynamoDB.PutItem");
        assert_eq!(
            target("DynamoDBStreams_20120810.GetRecords"),
            "DynamoDBStreams.GetRecords"
        );
        assert_eq!(target("AmazonSQS.SendMessage"), "SQS.SendMessage");
        let query: Uri = "/?Action=ReceiveMessage&Version=2012-11-05".parse().unwrap();
        assert_eq!(operation(&HeaderMap::new(), "POST", &query, b""), "SQS.ReceiveMessage");
        let form = headers(&[("content-type", "application/x-www-form-urlencoded; charset=utf-8")]);
        assert_eq!(
            operation(&form, "POST", &root, b"Action=Send%4Dessage"),
            "SQS.SendMessage"
        );
        let object: Uri = "/bucket/key.png?x-id=PutObject".parse().unwrap();
        assert_eq!(operation(&HeaderMap::new(), "PUT", &object, b""), "S3.PUT");
    }

    #[test]
    fn a_request_readable_two_ways_is_refused() {
        let target = [("x-amz-target", "AmazonSQS.SendMessage")];
        assert!(checked(Service::SqsJson, "/", "", &target, "{}", Some("sqs")).is_ok());
        assert!(checked(Service::SqsJson, "/", "Action=PurgeQueue", &target, "{}", Some("sqs")).is_err());
        assert!(
            checked(Service::SqsJson, "/", "", &target, "{}", Some("s3")).is_err(),
            "scope s3"
        );
        let form = [("content-type", "application/x-www-form-urlencoded")];
        let send = "Action=SendMessage&QueueUrl=q&MessageBody=x";
        assert!(checked(Service::SqsQuery, "/", "", &form, send, Some("sqs")).is_ok());
        assert!(checked(Service::SqsQuery, "/", "Action=DeleteQueue", &form, send, Some("sqs")).is_err());
        assert!(checked(Service::SqsQuery, "/", "QueueUrl=mine", &form, send, Some("sqs")).is_err());
        let gzip = [
            ("x-amz-target", "DynamoDB_20120810.GetItem"),
            ("content-encoding", "gzip"),
        ];
        assert!(checked(Service::DynamoDb, "/", "", &gzip, "", Some("dynamodb")).is_err());
        assert!(checked(Service::S3, "/bucket/k", "", &[], "", Some("s3")).is_ok());
        assert!(checked(Service::S3, "/sqs_us-east-1/k", "", &[], "", None).is_err());
        assert!(checked(Service::S3, "/%6Doto-api/data.json", "", &[], "", Some("s3")).is_err());
        assert!(checked(Service::S3, "/latest/meta-data/iam", "", &[], "", None).is_err());
    }
}
