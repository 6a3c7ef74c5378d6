//! A refused request, answered as the service it was meant for answers it: DynamoDB's JSON
//! errors, SQS's JSON or XML ones, S3's XML.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::sigv4::{Location, SignatureError};

/// Which wire format a refusal takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    DynamoDb,
    /// SQS's JSON protocol (`X-Amz-Target: AmazonSQS.*`).
    SqsJson,
    /// SQS's query protocol (`Action=`).
    SqsQuery,
    S3,
}

impl Service {
    /// From the front door's operation name (`DynamoDB.PutItem`, `SQS.SendMessage`, `S3.PUT`).
    pub fn of(operation: &str, has_target: bool) -> Service {
        if operation.starts_with("DynamoDB") {
            Service::DynamoDb
        } else if operation.starts_with("SQS.") {
            if has_target {
                Service::SqsJson
            } else {
                Service::SqsQuery
            }
        } else {
            Service::S3
        }
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Signature(SignatureError, Option<Location>),
    TooLarge(usize),
    /// The caller's policies do not allow the call: AWS's message, naming caller, action and
    /// resource.
    AccessDenied(String),
    /// A request the backend could read otherwise than the front door: why.
    Ambiguous(String),
}

impl Refusal {
    /// The service's error code and message, and the HTTP status it answers with.
    fn code(&self, service: Service) -> (StatusCode, &'static str, String) {
        use SignatureError::*;
        let dynamodb = service == Service::DynamoDb;
        let s3 = service == Service::S3;
        match self {
            Refusal::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                if s3 { "EntityTooLarge" } else { "RequestEntityTooLarge" },
                format!("the local backend takes bodies up to {limit} bytes"),
            ),
            Refusal::AccessDenied(message) if dynamodb => {
                (StatusCode::BAD_REQUEST, "AccessDeniedException", message.clone())
            }
            Refusal::AccessDenied(message) => (StatusCode::FORBIDDEN, "AccessDenied", message.clone()),
            Refusal::Ambiguous(why) => (
                StatusCode::BAD_REQUEST,
                match service {
                    Service::DynamoDb => "ValidationException",
                    Service::S3 => "InvalidRequest",
                    _ => "InvalidParameterValue",
                },
                format!("the local backend refuses an ambiguous request: {why}"),
            ),
            Refusal::Signature(error, location) => {
                let message = match error {
                    Mismatch(_) => "The request signature we calculated does not match the signature you provided. \
                                    Check your AWS Secret Access Key and signing method."
                        .to_string(),
                    other => other.to_string(),
                };
                match error {
                    Missing if dynamodb => (StatusCode::BAD_REQUEST, "MissingAuthenticationTokenException", message),
                    Missing if s3 => (StatusCode::FORBIDDEN, "AccessDenied", "Access Denied".into()),
                    Missing => (StatusCode::FORBIDDEN, "MissingAuthenticationToken", message),
                    UnknownKey(_) if dynamodb => (StatusCode::BAD_REQUEST, "UnrecognizedClientException", message),
                    UnknownKey(_) if s3 => (StatusCode::FORBIDDEN, "InvalidAccessKeyId", message),
                    UnknownKey(_) => (StatusCode::FORBIDDEN, "InvalidClientTokenId", message),
                    Expired(_) if s3 && *location == Some(Location::Query) => (
                        StatusCode::FORBIDDEN,
                        "AccessDenied",
                        format!("Request has expired ({message})"),
                    ),
                    Expired(_) | Skewed(_) if s3 => (StatusCode::FORBIDDEN, "RequestTimeTooSkewed", message),
                    Expired(_) | Skewed(_) if dynamodb => {
                        (StatusCode::BAD_REQUEST, "InvalidSignatureException", message)
                    }
                    Expired(_) | Skewed(_) => (StatusCode::FORBIDDEN, "SignatureDoesNotMatch", message),
                    PayloadMismatch if s3 => (StatusCode::BAD_REQUEST, "XAmzContentSHA256Mismatch", message),
                    Malformed(_) if s3 => (StatusCode::BAD_REQUEST, "AuthorizationHeaderMalformed", message),
                    Malformed(_) if dynamodb => (StatusCode::BAD_REQUEST, "IncompleteSignatureException", message),
                    Malformed(_) => (StatusCode::BAD_REQUEST, "IncompleteSignature", message),
                    _ if dynamodb => (StatusCode::BAD_REQUEST, "InvalidSignatureException", message),
                    _ => (StatusCode::FORBIDDEN, "SignatureDoesNotMatch", message),
                }
            }
        }
    }

    /// One line for the platform's log: the code and message the caller gets.
    pub fn summary(&self, service: Service) -> String {
        let (status, code, message) = self.code(service);
        format!("{} {code}: {message}", status.as_u16())
    }

    pub fn response(&self, service: Service) -> Response {
        let (status, code, message) = self.code(service);
        let request_id = uuid::Uuid::new_v4().to_string();
        match service {
            Service::DynamoDb => json_error(status, "application/x-amz-json-1.0", code, &message, &request_id, None),
            Service::SqsJson => json_error(
                status,
                "application/x-amz-json-1.0",
                code,
                &message,
                &request_id,
                Some("Sender"),
            ),
            Service::SqsQuery => xml_error(
                status,
                format!(
                    "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error>\
                     <RequestId>{request_id}</RequestId></ErrorResponse>",
                    escape(&message)
                ),
            ),
            Service::S3 => xml_error(
                status,
                format!(
                    "<Error><Code>{code}</Code><Message>{}</Message><RequestId>{request_id}</RequestId></Error>",
                    escape(&message)
                ),
            ),
        }
    }
}

fn json_error(
    status: StatusCode,
    content_type: &'static str,
    code: &str,
    message: &str,
    request_id: &str,
    query_fault: Option<&str>,
) -> Response {
    let body = json!({ "__type": format!("com.amazon.coral.service#{code}"), "message": message }).to_string();
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    if let Some(fault) = query_fault {
        // SQS's JSON protocol names the query-protocol code here; the SDK reads it first.
        if let Ok(value) = HeaderValue::from_str(&format!("{code};{fault}")) {
            headers.insert("x-amzn-query-error", value);
        }
    }
    response
}

fn xml_error(status: StatusCode, body: String) -> Response {
    let body = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}");
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn each_service_answers_in_its_own_format() {
        let mismatch = Refusal::Signature(SignatureError::Mismatch("c".into()), Some(Location::Header));
        let dynamodb = mismatch.response(Service::DynamoDb);
        assert_eq!(dynamodb.status(), StatusCode::BAD_REQUEST);
        assert!(body(dynamodb)
            .await
            .contains("com.amazon.coral.service#InvalidSignatureException"));
        let s3 = mismatch.response(Service::S3);
        assert_eq!(s3.status(), StatusCode::FORBIDDEN);
        assert!(body(s3).await.contains("<Code>SignatureDoesNotMatch</Code>"));
        let sqs = Refusal::Signature(SignatureError::UnknownKey("AKIA".into()), None).response(Service::SqsJson);
        assert_eq!(sqs.status(), StatusCode::FORBIDDEN);
        assert_eq!(sqs.headers()["x-amzn-query-error"], "InvalidClientTokenId;Sender");
        let expired = Refusal::Signature(SignatureError::Expired("then".into()), Some(Location::Query));
        let s3 = expired.response(Service::S3);
        assert_eq!(s3.status(), StatusCode::FORBIDDEN);
        assert!(body(s3)
            .await
            .contains("<Code>AccessDenied</Code><Message>Request has expired"));
    }
}
