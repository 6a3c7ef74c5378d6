use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use chrono::TimeZone;
use lambda_http::{Body, RequestExt};

use super::*;

fn incoming(method: Method, path_and_query: &str, headers: &[(&str, &str)], body: &[u8]) -> Incoming {
    let (raw_path, raw_query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    Incoming {
        method,
        raw_path: raw_path.into(),
        raw_query: raw_query.into(),
        headers: map,
        body: Bytes::copy_from_slice(body),
        source_ip: "127.0.0.1".into(),
        port: 3000,
        request_id: "JKJaXmPLvHcESHA=".into(),
        time: Utc.with_ymd_and_hms(2020, 3, 12, 19, 3, 58).unwrap(),
    }
}

fn target<'a>(params: &'a HashMap<String, String>, route_key: &'a str) -> Target<'a> {
    Target {
        account_id: "000000000000",
        region: "us-east-1",
        api_id: "localIdentityApi",
        route_key,
        path_parameters: params,
    }
}

#[test]
fn route_event_carries_what_api_gateway_sends() {
    let params = HashMap::from([("id".to_string(), "a b".to_string())]);
    let request = incoming(
        Method::POST,
        "/items/a%20b?tag=x&tag=y&q=caf%C3%A9&empty",
        &[
            ("Content-Type", "application/json"),
            ("X-Multi", "one"),
            ("X-Multi", "two"),
            ("Cookie", "session=abc; theme=dark"),
            ("User-Agent", "curl/8"),
        ],
        br#"{"name":"x"}"#,
    );
    let context = Map::from_iter([("principalId".to_string(), json!("user-1"))]);
    let event = route_event(&request, &target(&params, "POST /items/{id}"), Some(&context));

    assert_eq!(event["version"], "2.0");
    assert_eq!(event["routeKey"], "POST /items/{id}");
    assert_eq!(event["rawPath"], "/items/a%20b");
    assert_eq!(event["rawQueryString"], "tag=x&tag=y&q=caf%C3%A9&empty");
    assert_eq!(event["cookies"], json!(["session=abc", "theme=dark"]));
    assert_eq!(event["headers"]["x-multi"], "one,two");
    assert_eq!(event["headers"]["content-type"], "application/json");
    assert_eq!(event["headers"]["x-forwarded-for"], "127.0.0.1");
    assert_eq!(event["headers"]["x-forwarded-port"], "3000");
    assert!(event["headers"].get("cookie").is_none(), "cookies leave the headers");
    assert_eq!(
        event["queryStringParameters"],
        json!({"tag": "x,y", "q": "café", "empty": ""})
    );
    assert_eq!(event["pathParameters"], json!({"id": "a b"}));
    assert_eq!(event["body"], r#"{"name":"x"}"#);
    assert_eq!(event["isBase64Encoded"], false);
    let ctx = &event["requestContext"];
    assert_eq!(
        ctx["http"],
        json!({"method": "POST", "path": "/items/a%20b", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "curl/8"})
    );
    assert_eq!(ctx["stage"], "$default");
    assert_eq!(ctx["routeKey"], "POST /items/{id}");
    assert_eq!(ctx["requestId"], "JKJaXmPLvHcESHA=");
    assert_eq!(ctx["apiId"], "localIdentityApi");
    assert_eq!(ctx["accountId"], "000000000000");
    assert_eq!(ctx["time"], "12/Mar/2020:19:03:58 +0000");
    assert_eq!(ctx["timeEpoch"], 1584039838000i64);
    assert_eq!(ctx["authorizer"], json!({"lambda": {"principalId": "user-1"}}));
    for absent in ["httpMethod", "methodArn", "type", "resource", "stageVariables"] {
        assert!(event.get(absent).is_none(), "{absent} is not part of a 2.0 event");
    }
}

#[test]
fn lambda_http_reads_the_route_event() {
    let params = HashMap::from([("id".to_string(), "42".to_string())]);
    let request = incoming(
        Method::PATCH,
        "/identity/me?x=1",
        &[
            ("content-type", "application/json"),
            ("cookie", "a=1; b=2"),
            ("authorization", "Bearer t"),
        ],
        br#"{"displayName":"Ana"}"#,
    );
    let context = Map::from_iter([
        ("userId".to_string(), json!("u-1")),
        ("roles".to_string(), json!(["admin"])),
    ]);
    let event = route_event(&request, &target(&params, "PATCH /identity/me"), Some(&context));

    let parsed = lambda_http::request::from_str(&event.to_string()).expect("lambda_http parses the event");
    assert_eq!(parsed.method(), Method::PATCH);
    assert_eq!(parsed.uri().path(), "/identity/me");
    assert_eq!(parsed.headers()["authorization"], "Bearer t");
    assert_eq!(parsed.headers()["cookie"], "a=1; b=2");
    assert_eq!(parsed.query_string_parameters().first("x"), Some("1"));
    assert_eq!(parsed.path_parameters().first("id"), Some("42"));
    assert_eq!(parsed.body(), &Body::Text(r#"{"displayName":"Ana"}"#.into()));
    match parsed.request_context() {
        lambda_http::request::RequestContext::ApiGatewayV2(ctx) => {
            let authorizer = ctx.authorizer.expect("authorizer context");
            assert_eq!(authorizer.fields["userId"], json!("u-1"));
            assert_eq!(authorizer.fields["roles"], json!(["admin"]));
            assert_eq!(ctx.http.method, Method::PATCH);
        }
        other => panic!("not a v2 context: {other:?}"),
    }
}

#[test]
fn binary_bodies_are_base64() {
    let params = HashMap::new();
    let png = [0x89u8, b'P', b'N', b'G', 0, 0xff];
    let event = route_event(
        &incoming(Method::PUT, "/f", &[("content-type", "image/png")], &png),
        &target(&params, "PUT /f"),
        None,
    );
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(event["body"], base64::engine::general_purpose::STANDARD.encode(png));
    assert!(event["requestContext"].get("authorizer").is_none());

    let parsed = lambda_http::request::from_str(&event.to_string()).unwrap();
    assert_eq!(parsed.body().as_ref(), &png);

    // Text in a non-text content type is binary for API Gateway; invalid UTF-8 always is.
    let (_, encoded) = body(
        &HeaderMap::from_iter([(
            axum::http::header::CONTENT_TYPE,
            "application/octet-stream".parse().unwrap(),
        )]),
        &Bytes::from_static(b"abc"),
    );
    assert!(encoded);
    let (_, encoded) = body(
        &HeaderMap::from_iter([(axum::http::header::CONTENT_TYPE, "text/plain".parse().unwrap())]),
        &Bytes::from_static(&[0xff, 0xfe]),
    );
    assert!(encoded);
    let (text, encoded) = body(
        &HeaderMap::from_iter([(
            axum::http::header::CONTENT_TYPE,
            "application/problem+json; charset=utf-8".parse().unwrap(),
        )]),
        &Bytes::from_static(b"{}"),
    );
    assert_eq!((text.as_deref(), encoded), (Some("{}"), false));
    assert_eq!(
        body(&HeaderMap::new(), &Bytes::new()),
        (None, false),
        "no body, no body field"
    );
}

#[test]
fn authorizer_event_is_a_v2_request_event() {
    let params = HashMap::new();
    let request = incoming(
        Method::GET,
        "/identity/me?k=v",
        &[("authorization", "Bearer t"), ("cookie", "c=1")],
        b"",
    );
    let event = authorizer_event(&request, &target(&params, "GET /identity/me"), vec!["Bearer t".into()]);
    assert_eq!(event["type"], "REQUEST");
    assert_eq!(event["version"], "2.0");
    assert_eq!(
        event["routeArn"],
        "arn:aws:execute-api:us-east-1:000000000000:localIdentityApi/$default/GET/identity/me"
    );
    assert_eq!(event["identitySource"], json!(["Bearer t"]));
    assert_eq!(event["headers"]["authorization"], "Bearer t");
    assert_eq!(event["cookies"], json!(["c=1"]));
    assert_eq!(event["queryStringParameters"], json!({"k": "v"}));
    assert!(event.get("body").is_none(), "authorizers never see the body");

    let parsed: ApiGatewayV2CustomAuthorizerV2Request = serde_json::from_value(event.clone()).unwrap();
    assert_eq!(parsed.type_.as_deref(), Some("REQUEST"));
    assert_eq!(parsed.identity_source, Some(vec!["Bearer t".to_string()]));
    assert_eq!(parsed.request_context.http.method, Method::GET);

    let open = authorizer_event(&request, &target(&params, "GET /identity/me"), vec![]);
    assert!(open.get("identitySource").is_none(), "no identity sources configured");
}
