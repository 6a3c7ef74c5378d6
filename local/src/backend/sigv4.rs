//! AWS Signature Version 4, verified as AWS verifies it: in the `Authorization` header or in
//! the query string of a presigned URL, against the secret of the access key that signed,
//! over the signed headers the client named (`host` among them), the payload hash it declared
//! (and, for a hash it computed, the body it sent), within the time the signature is valid.
//! Not checked: the chunk signatures of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body.

use std::time::{Duration, SystemTime};

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far a signed request's time may be from now (AWS: 15 minutes).
const MAX_SKEW: Duration = Duration::from_secs(15 * 60);
/// The longest a presigned URL may be valid (AWS: 7 days).
const MAX_EXPIRES_SECONDS: u64 = 7 * 86_400;
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The parts of a request a signature covers, as they arrived.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as sent, percent-encoding included.
    pub path: &'a str,
    /// The query string as sent, without `?`.
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// A signature's access key and scope, read before its secret is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request is not signed")]
    Missing,
    #[error("{0}")]
    Malformed(String),
    #[error("the access key {0} does not exist")]
    UnknownKey(String),
    #[error("the signature expired at {0}")]
    Expired(String),
    #[error("the request time {0} is more than 15 minutes from now")]
    Skewed(String),
    #[error("the body does not have the SHA-256 the request declared")]
    PayloadMismatch,
    #[error("the signature does not match the request (canonical request:\n{0})")]
    Mismatch(String),
}

/// Where the signature was: S3 answers the two differently when it is expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Header,
    Query,
}

/// The fields of one signature, read before its key's secret is known.
#[derive(Debug)]
pub struct Signature {
    pub location: Location,
    pub credential: Credential,
    amz_date: String,
    signed_headers: Vec<String>,
    signature: String,
    expires: Option<u64>,
}

/// Checks `request`'s `signature` (as [`parse`] read it) with `secret`, the secret of its
/// key, as of `now`.
pub fn verify(
    request: &SignedRequest,
    signature: &Signature,
    secret: &str,
    now: SystemTime,
) -> Result<(), SignatureError> {
    if !signature.signed_headers.iter().any(|name| name == "host") {
        return Err(malformed("the host header must be signed".into()));
    }
    if !signature.amz_date.starts_with(&signature.credential.date) {
        return Err(malformed("the credential's date is not the request's".into()));
    }
    let signed_at = parse_amz_date(&signature.amz_date)?;
    match signature.expires {
        Some(expires) => {
            let until = signed_at + Duration::from_secs(expires);
            if now > until {
                return Err(SignatureError::Expired(format_amz_date(until)));
            }
            if signed_at > now + MAX_SKEW {
                return Err(SignatureError::Skewed(signature.amz_date.clone()));
            }
        }
        None => {
            let skew = now.duration_since(signed_at).unwrap_or_else(|early| early.duration());
            if skew > MAX_SKEW {
                return Err(SignatureError::Skewed(signature.amz_date.clone()));
            }
        }
    }
    let payload_hash = payload_hash(request, signature)?;
    let canonical = canonical_request(request, signature, &payload_hash)?;
    let scope = format!(
        "{}/{}/{}/aws4_request",
        signature.credential.date, signature.credential.region, signature.credential.service
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{scope}\n{}",
        signature.amz_date,
        sha256_hex(canonical.as_bytes())
    );
    let key = signing_key(secret, &signature.credential);
    let expected = hex(&hmac(&key, string_to_sign.as_bytes()));
    if expected.as_bytes().ct_eq(signature.signature.as_bytes()).into() {
        Ok(())
    } else {
        Err(SignatureError::Mismatch(canonical))
    }
}

/// The signature of `request` (in its headers or its query), without checking it: its key is
/// what finds the secret to check it with.
pub fn parse(request: &SignedRequest) -> Result<Signature, SignatureError> {
    let query = query_pairs(request.query);
    let from_query = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    if let Some(algorithm) = from_query("X-Amz-Algorithm") {
        if algorithm != ALGORITHM {
            return Err(malformed(format!("unsupported algorithm {algorithm}")));
        }
        let required = |name: &str| from_query(name).ok_or_else(|| malformed(format!("the URL has no {name}")));
        let expires = required("X-Amz-Expires")?
            .parse::<u64>()
            .ok()
            .filter(|e| *e <= MAX_EXPIRES_SECONDS)
            .ok_or_else(|| malformed("X-Amz-Expires must be a number of seconds up to 604800".into()))?;
        return Ok(Signature {
            location: Location::Query,
            credential: parse_credential(&required("X-Amz-Credential")?)?,
            amz_date: required("X-Amz-Date")?,
            signed_headers: required("X-Amz-SignedHeaders")?
                .split(';')
                .map(str::to_string)
                .collect(),
            signature: required("X-Amz-Signature")?,
            expires: Some(expires),
        });
    }
    let authorization = header(request.headers, "authorization").ok_or(SignatureError::Missing)?;
    let fields = authorization
        .strip_prefix(ALGORITHM)
        .ok_or_else(|| malformed("the Authorization header is not AWS4-HMAC-SHA256".into()))?;
    let field = |name: &str| {
        fields
            .split(',')
            .filter_map(|part| part.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
            .ok_or_else(|| malformed(format!("the Authorization header has no {name}")))
    };
    let amz_date = header(request.headers, "x-amz-date")
        .ok_or_else(|| malformed("the request has no X-Amz-Date header".into()))?
        .to_string();
    Ok(Signature {
        location: Location::Header,
        credential: parse_credential(&field("Credential")?)?,
        amz_date,
        signed_headers: field("SignedHeaders")?.split(';').map(str::to_string).collect(),
        signature: field("Signature")?,
        expires: None,
    })
}

fn parse_credential(credential: &str) -> Result<Credential, SignatureError> {
    let parts: Vec<&str> = credential.split('/').collect();
    match parts.as_slice() {
        [key, date, region, service, "aws4_request"] => Ok(Credential {
            access_key_id: key.to_string(),
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
        }),
        _ => Err(malformed(format!("malformed credential {credential}"))),
    }
}

/// What the canonical request carries for the payload: the declared hash (checked against the
/// body when it is one), `UNSIGNED-PAYLOAD` for a presigned URL, or the body's own hash.
fn payload_hash(request: &SignedRequest, signature: &Signature) -> Result<String, SignatureError> {
    match header(request.headers, "x-amz-content-sha256") {
        Some(declared) if is_sha256_hex(declared) => {
            if sha256_hex(request.body) == declared.to_ascii_lowercase() {
                Ok(declared.to_string())
            } else {
                Err(SignatureError::PayloadMismatch)
            }
        }
        // UNSIGNED-PAYLOAD, and the STREAMING-* kinds whose chunk signatures are not checked
        // here (moto decodes the chunks): the body is then not covered.
        Some(declared) => Ok(declared.to_string()),
        None if signature.location == Location::Query => Ok(UNSIGNED_PAYLOAD.to_string()),
        None => Ok(sha256_hex(request.body)),
    }
}

fn canonical_request(
    request: &SignedRequest,
    signature: &Signature,
    payload_hash: &str,
) -> Result<String, SignatureError> {
    let path = if signature.credential.service == "s3" {
        // S3 signs the path encoded once, as it is sent.
        request.path.to_string()
    } else {
        // Every other service signs it encoded twice.
        encode(request.path, false)
    };
    let mut query: Vec<(String, String)> = query_pairs(request.query)
        .into_iter()
        .filter(|(name, _)| signature.location == Location::Header || name != "X-Amz-Signature")
        .map(|(name, value)| (encode(&name, true), encode(&value, true)))
        .collect();
    query.sort();
    let query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut headers = String::new();
    for name in &signature.signed_headers {
        let values: Vec<String> = request
            .headers
            .get_all(name.as_str())
            .iter()
            .map(|value| collapse_spaces(&String::from_utf8_lossy(value.as_bytes())))
            .collect();
        if values.is_empty() {
            return Err(malformed(format!("the signed header {name} is not in the request")));
        }
        headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    Ok(format!(
        "{}\n{path}\n{query}\n{headers}\n{}\n{payload_hash}",
        request.method,
        signature.signed_headers.join(";")
    ))
}

/// The query's names and values, percent-decoded.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// SigV4's URI encoding: every byte but `A-Z a-z 0-9 - _ . ~` as `%XX` (and `/` too when
/// `slash` is set).
fn encode(text: &str, slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') || (byte == b'/' && !slash) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn collapse_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok()
}

fn signing_key(secret: &str, credential: &Credential) -> Vec<u8> {
    let date = hmac(format!("AWS4{secret}").as_bytes(), credential.date.as_bytes());
    let region = hmac(&date, credential.region.as_bytes());
    let service = hmac(&region, credential.service.as_bytes());
    hmac(&service, b"aws4_request")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn malformed(message: String) -> SignatureError {
    SignatureError::Malformed(message)
}

/// `20261203T154500Z` → the time it names.
fn parse_amz_date(text: &str) -> Result<SystemTime, SignatureError> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%SZ")
        .ok()
        .and_then(|time| u64::try_from(time.and_utc().timestamp()).ok())
        .map(|seconds| SystemTime::UNIX_EPOCH + Duration::from_secs(seconds))
        .ok_or_else(|| malformed(format!("malformed X-Amz-Date {text}")))
}

fn format_amz_date(time: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(time)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[cfg(test)]
#[path = "sigv4_tests.rs"]
mod tests;
