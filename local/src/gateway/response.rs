//! The HTTP answer API Gateway makes of a function's result (payload format 2.0), and the
//! fixed answers it gives on its own (`{"message": ...}`).

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde_json::{json, Value};

/// API Gateway's own answers: `{"message": "Not Found"}` and the like.
pub fn message(status: StatusCode, message: &str) -> Response {
    let body = json!({ "message": message }).to_string();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

pub fn internal_error() -> Response {
    message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}

/// Maps the function's JSON result. With `statusCode` it is a structured response; without,
/// the whole result is a `200` JSON body. `None` when the structured response is unusable
/// (API Gateway answers 500).
pub fn from_result(result: Value) -> Option<Response> {
    let Some(status) = result.get("statusCode") else {
        let mut response = Response::new(Body::from(result.to_string()));
        response
            .headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        return Some(response);
    };
    let status = match status {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .and_then(|code| u16::try_from(code).ok())
    .and_then(|code| StatusCode::from_u16(code).ok())?;

    let body = match result.get("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) if is_base64(&result) => {
            base64::engine::general_purpose::STANDARD.decode(text).ok()?
        }
        Some(Value::String(text)) => text.clone().into_bytes(),
        Some(other) => other.to_string().into_bytes(),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Some(Value::Object(single)) = result.get("headers") {
        for (name, value) in single {
            headers.insert(header_name(name)?, header_value(value)?);
        }
    }
    // Payload 2.0 has no multi-value headers; honour them only where `headers` is silent.
    if let Some(Value::Object(multi)) = result.get("multiValueHeaders") {
        for (name, values) in multi {
            let name = header_name(name)?;
            if headers.contains_key(&name) {
                continue;
            }
            for value in values.as_array().into_iter().flatten() {
                headers.append(name.clone(), header_value(value)?);
            }
        }
    }
    for cookie in result.get("cookies").and_then(Value::as_array).into_iter().flatten() {
        headers.append("set-cookie", header_value(cookie)?);
    }
    Some(response)
}

fn is_base64(result: &Value) -> bool {
    match result.get("isBase64Encoded") {
        Some(Value::Bool(flag)) => *flag,
        Some(Value::String(flag)) => flag == "true",
        _ => false,
    }
}

fn header_name(name: &str) -> Option<HeaderName> {
    HeaderName::from_bytes(name.as_bytes()).ok()
}

fn header_value(value: &Value) -> Option<HeaderValue> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(_) | Value::Bool(_) => value.to_string(),
        _ => return None,
    };
    HeaderValue::from_str(&text).ok()
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;

    use super::*;

    async fn body(response: Response) -> Vec<u8> {
        to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec()
    }

    #[tokio::test]
    async fn a_result_without_status_code_is_a_200_json_body() {
        let response = from_result(json!({"id": 1, "ok": true})).unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(body(response).await, br#"{"id":1,"ok":true}"#);
        let response = from_result(json!("hello")).unwrap();
        assert_eq!(body(response).await, br#""hello""#);
    }

    #[tokio::test]
    async fn structured_responses_set_status_headers_cookies_and_body() {
        let result = json!({
            "statusCode": 201,
            "headers": {"content-type": "application/json", "x-count": 3},
            "multiValueHeaders": {"x-multi": ["a", "b"], "x-count": ["ignored"]},
            "cookies": ["a=1; HttpOnly", "b=2"],
            "body": "{\"created\":true}",
            "isBase64Encoded": false
        });
        let response = from_result(result).unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let headers = response.headers();
        assert_eq!(headers["x-count"], "3");
        assert_eq!(headers.get_all("x-multi").iter().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(
            headers.get_all("set-cookie").iter().collect::<Vec<_>>(),
            ["a=1; HttpOnly", "b=2"]
        );
        assert_eq!(body(response).await, br#"{"created":true}"#);
    }

    #[tokio::test]
    async fn base64_bodies_are_decoded() {
        let response = from_result(json!({"statusCode": 200, "body": "AAEC/w==", "isBase64Encoded": true})).unwrap();
        assert_eq!(body(response).await, [0, 1, 2, 255]);
        assert!(from_result(json!({"statusCode": 200, "body": "%%%", "isBase64Encoded": true})).is_none());
    }

    #[tokio::test]
    async fn unusable_status_codes_are_rejected() {
        assert!(from_result(json!({"statusCode": "abc"})).is_none());
        assert!(from_result(json!({"statusCode": 99999})).is_none());
        let response = from_result(json!({"statusCode": 204})).unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert!(body(response).await.is_empty());
    }

    #[tokio::test]
    async fn messages_are_json() {
        let response = message(StatusCode::NOT_FOUND, "Not Found");
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(body(response).await, br#"{"message":"Not Found"}"#);
    }
}
