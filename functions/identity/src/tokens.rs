//! Signed tokens (HS256 JWT): access tokens issued by login and email-verification tokens
//! sent at signup. Issuing and checking take `now`, so tests can mint tokens at any time.
//!
//! The `type` claim keeps the two apart: a verification token is never an access token and
//! the other way round, although both are signed with the same key.

use chrono::{DateTime, TimeZone, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

pub const ACCESS_TOKEN_TYPE: &str = "access";
pub const VERIFICATION_TOKEN_TYPE: &str = "email_confirmation";
/// Verification links last three days (cride).
pub const VERIFICATION_TOKEN_VALIDITY_SECONDS: i64 = 3 * 24 * 60 * 60;
/// Longer strings are not tokens we issued; refused before any parsing.
const MAX_TOKEN_BYTES: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub roles: Vec<String>,
    pub exp: i64,
    pub iat: i64,
    #[serde(rename = "type")]
    pub token_type: String,
    /// The account's session version when the token was issued (0 in tokens issued before
    /// sessions had versions): a role or password change bumps it and ends this token.
    #[serde(default)]
    pub sv: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationClaims {
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    #[serde(rename = "type")]
    pub token_type: String,
}

/// Why a token was refused. Only expiry is told apart; everything else is "invalid".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token has expired")]
    Expired,
    #[error("invalid token")]
    Invalid,
}

/// An access token and the time it stops working.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

fn sign<T: Serialize>(secret: &[u8], claims: &T) -> String {
    // HS256 over a plain struct cannot fail: serialisation is infallible and any key length
    // is a valid HMAC key.
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("HS256 signing of plain claims cannot fail")
}

pub fn issue_access_token(
    secret: &[u8],
    account_id: &str,
    roles: &[String],
    session_version: u64,
    now: DateTime<Utc>,
    ttl_seconds: i64,
) -> IssuedToken {
    let iat = now.timestamp();
    let exp = iat.saturating_add(ttl_seconds);
    let claims = AccessClaims {
        sub: account_id.to_string(),
        roles: roles.to_vec(),
        exp,
        iat,
        token_type: ACCESS_TOKEN_TYPE.to_string(),
        sv: session_version,
    };
    let expires_at = Utc.timestamp_opt(exp, 0).single().unwrap_or(now);
    IssuedToken {
        token: sign(secret, &claims),
        expires_at,
    }
}

pub fn issue_verification_token(secret: &[u8], account_id: &str, now: DateTime<Utc>) -> String {
    let iat = now.timestamp();
    let claims = VerificationClaims {
        sub: account_id.to_string(),
        exp: iat.saturating_add(VERIFICATION_TOKEN_VALIDITY_SECONDS),
        iat,
        token_type: VERIFICATION_TOKEN_TYPE.to_string(),
    };
    sign(secret, &claims)
}

pub fn verify_access_token(secret: &[u8], token: &str, now: DateTime<Utc>) -> Result<AccessClaims, TokenError> {
    let claims: AccessClaims = checked_claims(secret, token)?;
    check_type_and_expiry(&claims.token_type, ACCESS_TOKEN_TYPE, claims.exp, now)?;
    Ok(claims)
}

/// The account id of a valid verification token.
pub fn verify_verification_token(secret: &[u8], token: &str, now: DateTime<Utc>) -> Result<String, TokenError> {
    let claims: VerificationClaims = checked_claims(secret, token)?;
    check_type_and_expiry(&claims.token_type, VERIFICATION_TOKEN_TYPE, claims.exp, now)?;
    Ok(claims.sub)
}

/// Signature and algorithm are checked here; expiry is checked against the caller's `now`.
fn checked_claims<T: DeserializeOwned>(secret: &[u8], token: &str) -> Result<T, TokenError> {
    if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::Invalid);
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "sub"]);
    decode::<T>(token, &DecodingKey::from_secret(secret), &validation)
        .map(|data| data.claims)
        .map_err(|_| TokenError::Invalid)
}

fn check_type_and_expiry(actual: &str, expected: &str, exp: i64, now: DateTime<Utc>) -> Result<(), TokenError> {
    if actual != expected {
        return Err(TokenError::Invalid);
    }
    if exp <= now.timestamp() {
        return Err(TokenError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
    }

    #[test]
    fn access_tokens_round_trip() {
        let roles = vec!["user".to_string(), "client".to_string()];
        let issued = issue_access_token(SECRET, "acc-1", &roles, 4, now(), 3600);
        assert_eq!(issued.expires_at, now() + Duration::seconds(3600));
        let claims = verify_access_token(SECRET, &issued.token, now()).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.roles, claims.token_type.as_str()),
            ("acc-1", roles, "access")
        );
        assert_eq!(claims.sv, 4);
        assert_eq!(claims.iat, now().timestamp());
    }

    #[test]
    fn access_tokens_expire() {
        let issued = issue_access_token(SECRET, "acc-1", &[], 0, now(), 60);
        assert!(verify_access_token(SECRET, &issued.token, now() + Duration::seconds(59)).is_ok());
        assert_eq!(
            verify_access_token(SECRET, &issued.token, now() + Duration::seconds(60)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn verification_tokens_last_three_days() {
        let token = issue_verification_token(SECRET, "acc-2", now());
        assert_eq!(
            verify_verification_token(SECRET, &token, now() + Duration::days(3) - Duration::seconds(1)).unwrap(),
            "acc-2"
        );
        assert_eq!(
            verify_verification_token(SECRET, &token, now() + Duration::days(3)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn token_types_are_not_interchangeable() {
        let verification = issue_verification_token(SECRET, "acc-1", now());
        let access = issue_access_token(SECRET, "acc-1", &[], 0, now(), 3600).token;
        assert_eq!(
            verify_access_token(SECRET, &verification, now()),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            verify_verification_token(SECRET, &access, now()),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn forged_and_garbage_tokens_are_invalid() {
        let other_key = b"another-secret-another-secret-another";
        let forged = issue_verification_token(other_key, "acc-1", now());
        assert_eq!(
            verify_verification_token(SECRET, &forged, now()),
            Err(TokenError::Invalid)
        );
        let mut tampered = issue_verification_token(SECRET, "acc-1", now());
        tampered.insert(tampered.len() / 2, 'x');
        assert_eq!(
            verify_verification_token(SECRET, &tampered, now()),
            Err(TokenError::Invalid)
        );
        for garbage in ["", "abc", "a.b.c", "....", &"x".repeat(10_000)] {
            assert_eq!(verify_access_token(SECRET, garbage, now()), Err(TokenError::Invalid));
        }
    }

    #[test]
    fn unsigned_tokens_are_refused() {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let claims = format!(
            r#"{{"sub":"a","roles":["admin"],"exp":{},"iat":0,"type":"access"}}"#,
            now().timestamp() + 999
        );
        let none_token = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&claims));
        assert_eq!(
            verify_access_token(SECRET, &none_token, now()),
            Err(TokenError::Invalid)
        );
    }
}
