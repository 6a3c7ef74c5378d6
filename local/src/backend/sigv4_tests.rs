//! Requests signed by the AWS SDK's own signer (`aws-sigv4`), verified by ours.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use axum::http::{HeaderMap, HeaderName, HeaderValue};

use super::*;

const KEY: &str = "AKIDANDESLOCAL000001";
const SECRET: &str = "the-secret-of-this-function";

fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

/// 2026-12-03T15:00:00Z
const SIGNED_AT: u64 = 1_796_310_000;

/// A request as it arrives: method, path and query, headers, body.
struct Arrived {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Arrived {
    fn request(&self) -> SignedRequest<'_> {
        SignedRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }

    /// Where the signature is, once it verifies.
    fn verify(&self, secret: &str, now: SystemTime) -> Result<Location, SignatureError> {
        let request = self.request();
        let signature = parse(&request)?;
        verify(&request, &signature, secret, now).map(|()| signature.location)
    }
}

/// Signs `method uri` with `headers` and `body` as the SDK does, for `service`, in the headers
/// or (with `expires`) as a presigned URL.
fn signed(
    service: &str,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: SignableBody,
    raw_body: &[u8],
    expires: Option<Duration>,
) -> Arrived {
    let identity: Identity = Credentials::new(KEY, SECRET, None, None, "test").into();
    let mut settings = SigningSettings::default();
    if service == "s3" {
        // As the S3 client configures its signer.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    if let Some(expires) = expires {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        .time(at(SIGNED_AT))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(method, uri, headers.iter().copied(), body).unwrap();
    let mut request = axum::http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = request.body(()).unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut request);
    Arrived {
        method: method.to_string(),
        path: request.uri().path().to_string(),
        query: request.uri().query().unwrap_or("").to_string(),
        headers: request.headers().clone(),
        body: raw_body.to_vec(),
    }
}

fn dynamodb_put() -> Arrived {
    let body = br#"{"TableName":"t","Item":{"pk":{"S":"a"}}}"#;
    signed(
        "dynamodb",
        "POST",
        "http://127.0.0.1:5900/",
        &[
            ("host", "127.0.0.1:5900"),
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "DynamoDB_20120810.PutItem"),
        ],
        SignableBody::Bytes(body),
        body,
        None,
    )
}

fn presigned_upload() -> Arrived {
    signed(
        "s3",
        "PUT",
        "http://127.0.0.1:5900/uploads/ads/ad-1/my%20photo%20%281%29.png?x-id=PutObject",
        &[
            ("host", "127.0.0.1:5900"),
            ("content-type", "image/png"),
            ("content-length", "1234"),
        ],
        SignableBody::UnsignedPayload,
        &[0; 1234],
        Some(Duration::from_secs(900)),
    )
}

#[test]
fn a_request_signed_in_its_headers_verifies_and_names_its_key() {
    let arrived = dynamodb_put();
    assert_eq!(arrived.verify(SECRET, at(SIGNED_AT + 5)), Ok(Location::Header));
    let Signature {
        credential, location, ..
    } = parse(&arrived.request()).unwrap();
    assert_eq!(location, Location::Header);
    assert_eq!(credential.access_key_id, KEY);
    assert_eq!(credential.service, "dynamodb");
    assert_eq!(credential.region, "us-east-1");
}

#[test]
fn another_secret_a_changed_body_or_header_do_not_verify() {
    let arrived = dynamodb_put();
    assert!(matches!(
        arrived.verify("another secret", at(SIGNED_AT)),
        Err(SignatureError::Mismatch(_))
    ));
    let mut tampered = dynamodb_put();
    tampered.body = br#"{"TableName":"other","Item":{"pk":{"S":"a"}}}"#.to_vec();
    assert!(matches!(
        tampered.verify(SECRET, at(SIGNED_AT)),
        Err(SignatureError::Mismatch(_))
    ));
    let mut retargeted = dynamodb_put();
    retargeted.headers.insert(
        "x-amz-target",
        HeaderValue::from_static("DynamoDB_20120810.DeleteTable"),
    );
    assert!(matches!(
        retargeted.verify(SECRET, at(SIGNED_AT)),
        Err(SignatureError::Mismatch(_))
    ));
}

#[test]
fn a_signature_must_cover_the_host_and_no_extra_signature_slips_in() {
    let unsigned_host = signed(
        "dynamodb",
        "POST",
        "http://127.0.0.1:5900/",
        &[("x-amz-target", "DynamoDB_20120810.ListTables")],
        SignableBody::Bytes(b"{}"),
        b"{}",
        None,
    );
    let mut arrived = unsigned_host;
    // aws-sigv4 signs the URI's host itself: take it out of the list the request names.
    let authorization = arrived.headers["authorization"].to_str().unwrap().replace("host;", "");
    arrived
        .headers
        .insert("authorization", HeaderValue::from_str(&authorization).unwrap());
    assert!(matches!(
        arrived.verify(SECRET, at(SIGNED_AT)),
        Err(SignatureError::Malformed(_))
    ));
    let mut padded = dynamodb_put();
    padded.query = "X-Amz-Signature=anything".into();
    assert!(matches!(
        padded.verify(SECRET, at(SIGNED_AT)),
        Err(SignatureError::Mismatch(_))
    ));
}

#[test]
fn a_header_signature_is_valid_for_15_minutes_either_way() {
    let arrived = dynamodb_put();
    assert!(arrived.verify(SECRET, at(SIGNED_AT + 14 * 60)).is_ok());
    assert!(arrived.verify(SECRET, at(SIGNED_AT - 14 * 60)).is_ok());
    assert!(matches!(
        arrived.verify(SECRET, at(SIGNED_AT + 16 * 60)),
        Err(SignatureError::Skewed(_))
    ));
    assert!(matches!(
        arrived.verify(SECRET, at(SIGNED_AT - 16 * 60)),
        Err(SignatureError::Skewed(_))
    ));
}

#[test]
fn unsigned_and_half_signed_requests_are_refused() {
    let mut unsigned = dynamodb_put();
    unsigned.headers.remove("authorization");
    assert_eq!(unsigned.verify(SECRET, at(SIGNED_AT)), Err(SignatureError::Missing));
    let mut undated = dynamodb_put();
    undated.headers.remove("x-amz-date");
    assert!(matches!(
        undated.verify(SECRET, at(SIGNED_AT)),
        Err(SignatureError::Malformed(_))
    ));
    let mut missing_header = dynamodb_put();
    missing_header.headers.remove("x-amz-target");
    assert!(matches!(
        missing_header.verify(SECRET, at(SIGNED_AT)),
        Err(SignatureError::Malformed(_))
    ));
}

#[test]
fn a_presigned_upload_verifies_until_it_expires() {
    let arrived = presigned_upload();
    assert_eq!(arrived.verify(SECRET, at(SIGNED_AT + 899)), Ok(Location::Query));
    assert_eq!(
        arrived.verify(SECRET, at(SIGNED_AT + 901)),
        Err(SignatureError::Expired("2026-12-03T15:15:00Z".into()))
    );
    let Signature {
        credential, location, ..
    } = parse(&arrived.request()).unwrap();
    assert_eq!((credential.service.as_str(), location), ("s3", Location::Query));
}

#[test]
fn a_presigned_upload_of_another_size_type_or_key_does_not_verify() {
    let now = at(SIGNED_AT + 10);
    let mut bigger = presigned_upload();
    bigger
        .headers
        .insert("content-length", HeaderValue::from_static("99999"));
    assert!(matches!(bigger.verify(SECRET, now), Err(SignatureError::Mismatch(_))));
    let mut retyped = presigned_upload();
    retyped
        .headers
        .insert("content-type", HeaderValue::from_static("text/html"));
    assert!(matches!(retyped.verify(SECRET, now), Err(SignatureError::Mismatch(_))));
    let mut moved = presigned_upload();
    moved.path = "/uploads/ads/ad-2/my%20photo%20%281%29.png".into();
    assert!(matches!(moved.verify(SECRET, now), Err(SignatureError::Mismatch(_))));
    let mut longer = presigned_upload();
    longer.query = longer.query.replace("X-Amz-Expires=900", "X-Amz-Expires=90000");
    assert!(matches!(longer.verify(SECRET, now), Err(SignatureError::Mismatch(_))));
    let mut forged = presigned_upload();
    let signature_at = forged.query.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let flipped = if &forged.query[signature_at..=signature_at] == "0" {
        "1"
    } else {
        "0"
    };
    forged.query.replace_range(signature_at..=signature_at, flipped);
    assert!(matches!(forged.verify(SECRET, now), Err(SignatureError::Mismatch(_))));
}

#[test]
fn a_declared_payload_hash_must_be_the_bodys() {
    let body = b"{\"to\":\"ana@example.com\"}";
    let hash = sha256_hex(body);
    let mut arrived = signed(
        "s3",
        "PUT",
        "http://127.0.0.1:5900/outbox/message.json?x-id=PutObject",
        &[("host", "127.0.0.1:5900"), ("x-amz-content-sha256", &hash)],
        SignableBody::Precomputed(hash.clone()),
        body,
        None,
    );
    assert!(arrived.verify(SECRET, at(SIGNED_AT)).is_ok());
    arrived.body = b"{\"to\":\"mallory@example.com\"}".to_vec();
    assert_eq!(
        arrived.verify(SECRET, at(SIGNED_AT)),
        Err(SignatureError::PayloadMismatch)
    );
}

#[test]
fn query_parameters_are_signed_in_canonical_order() {
    let arrived = signed(
        "sqs",
        "GET",
        "http://127.0.0.1:5900/123456789012/jobs?Version=2012-11-05&Action=ReceiveMessage&WaitTimeSeconds=0",
        &[("host", "127.0.0.1:5900")],
        SignableBody::Bytes(b""),
        b"",
        None,
    );
    assert!(arrived.verify(SECRET, at(SIGNED_AT)).is_ok());
    let mut changed = arrived;
    changed.query = changed.query.replace("WaitTimeSeconds=0", "WaitTimeSeconds=20");
    assert!(matches!(
        changed.verify(SECRET, at(SIGNED_AT)),
        Err(SignatureError::Mismatch(_))
    ));
}

#[test]
fn encoding_follows_sigv4() {
    assert_eq!(encode("/a b/c+d~e", false), "/a%20b/c%2Bd~e");
    assert_eq!(encode("a/b", true), "a%2Fb");
    assert_eq!(encode("/%41", false), "/%2541");
    let header = HeaderName::from_static("x-test");
    let mut headers = HeaderMap::new();
    headers.insert(header, HeaderValue::from_static("  a   b  "));
    assert_eq!(collapse_spaces(headers["x-test"].to_str().unwrap()), "a b");
}
