//! The Lambda authorizer of every HTTP API: who is calling (JWT, API key or nobody) and
//! whether the permissions table lets them call this route.
//!
//! Any credential that is sent must be valid: a bad, expired or revoked one is denied even on
//! an anonymous route. Permissions are cached for a short time; API keys are read on every
//! request so that revocation is immediate. An access token is also checked against its
//! account's session version (bumped by role and password changes), cached per account for a
//! short time: an ended session is refused within that time, with at most one read per account
//! and cache period.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};

use andes_shared::auth::{Principal, PrincipalKind};
use andes_shared::http::ApiError;
use aws_lambda_events::apigw::{ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request};
use chrono::{DateTime, Utc};
use tokio::sync::Mutex;

use crate::api_keys::{self, ApiKeyRecord};
use crate::config::JwtSecret;
use crate::permissions::Permissions;
use crate::store::Store;
use crate::tokens;

/// What the authorizer reads from the identity table (a trait so tests can use memory).
pub trait AuthorizerStore: Send + Sync {
    fn api_key(&self, prefix: &str) -> impl Future<Output = Result<Option<ApiKeyRecord>, ApiError>> + Send;
    fn permissions(&self) -> impl Future<Output = Result<Permissions, ApiError>> + Send;
    /// `None` when the account does not exist (any more).
    fn session_version(&self, account_id: &str) -> impl Future<Output = Result<Option<u64>, ApiError>> + Send;
}

impl AuthorizerStore for Store {
    fn api_key(&self, prefix: &str) -> impl Future<Output = Result<Option<ApiKeyRecord>, ApiError>> + Send {
        self.get_api_key(prefix)
    }

    fn permissions(&self) -> impl Future<Output = Result<Permissions, ApiError>> + Send {
        self.load_permissions()
    }

    fn session_version(&self, account_id: &str) -> impl Future<Output = Result<Option<u64>, ApiError>> + Send {
        Store::session_version(self, account_id)
    }
}

/// The credential of an `Authorization` header.
#[derive(Debug, PartialEq, Eq)]
pub enum Credential<'a> {
    None,
    Jwt(&'a str),
    ApiKey(&'a str),
}

/// Parses `Bearer <token>` (scheme case-insensitive). `Err` for any other non-empty header.
pub fn parse_authorization(header: Option<&str>) -> Result<Credential<'_>, &'static str> {
    let Some(value) = header.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(Credential::None);
    };
    let (scheme, token) = value.split_once(' ').ok_or("malformed authorization header")?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err("unsupported authorization scheme");
    }
    let token = token.trim();
    if token.is_empty() || token.contains(' ') {
        return Err("malformed bearer token");
    }
    Ok(if api_keys::looks_like_api_key(token) {
        Credential::ApiKey(token)
    } else {
        Credential::Jwt(token)
    })
}

/// The permissions table, reloaded at most every `ttl`.
pub struct PermissionCache {
    ttl: Duration,
    loaded: Mutex<Option<(Instant, Arc<Permissions>)>>,
}

impl PermissionCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            loaded: Mutex::new(None),
        }
    }

    pub async fn get<S: AuthorizerStore>(&self, store: &S) -> Result<Arc<Permissions>, ApiError> {
        let mut loaded = self.loaded.lock().await;
        if let Some((at, permissions)) = loaded.as_ref() {
            if at.elapsed() < self.ttl {
                return Ok(Arc::clone(permissions));
            }
        }
        let permissions = Arc::new(store.permissions().await?);
        *loaded = Some((Instant::now(), Arc::clone(&permissions)));
        Ok(permissions)
    }
}

/// Accounts' session versions, each trusted for at most `ttl` after it was read.
pub struct SessionCache {
    ttl: Duration,
    read: StdMutex<HashMap<String, (Instant, u64)>>,
}

/// The spec's bound on how long an ended session may still pass.
pub const MAX_SESSION_CACHE: Duration = Duration::from_secs(30);

/// Accounts remembered at once; beyond it, expired entries go, then all (a cold cache only
/// costs reads).
const MAX_CACHED_SESSIONS: usize = 10_000;

impl SessionCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            read: StdMutex::new(HashMap::new()),
        }
    }

    /// Whether a token issued at session version `version` of `account_id` is still current.
    /// Versions only grow: an older one is refused without a read, a newer one (a login right
    /// after a change) is read again at once.
    pub async fn is_current<S: AuthorizerStore>(
        &self,
        store: &S,
        account_id: &str,
        version: u64,
    ) -> Result<bool, ApiError> {
        if let Some(&(at, known)) = self.lock().get(account_id) {
            if version < known {
                return Ok(false);
            }
            if version == known && at.elapsed() < self.ttl {
                return Ok(true);
            }
        }
        // Trusted from before the read: a change made while it was in flight is seen by the
        // next read, at most `ttl` after the change.
        let read_at = Instant::now();
        let Some(current) = store.session_version(account_id).await? else {
            self.lock().remove(account_id);
            return Ok(false);
        };
        let mut read = self.lock();
        if read.len() >= MAX_CACHED_SESSIONS {
            let ttl = self.ttl;
            read.retain(|_, (at, _)| at.elapsed() < ttl);
            if read.len() >= MAX_CACHED_SESSIONS {
                read.clear();
            }
        }
        read.insert(account_id.to_string(), (read_at, current));
        Ok(version == current)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, u64)>> {
        self.read.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub struct Authorizer<S> {
    store: S,
    secret: JwtSecret,
    cache: PermissionCache,
    sessions: SessionCache,
}

/// The outcome for one request, before it becomes the API Gateway response.
#[derive(Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub principal: Option<Principal>,
    /// Why, for the log line (never contains the credential).
    pub reason: &'static str,
}

impl<S: AuthorizerStore> Authorizer<S> {
    /// `cache_ttl` bounds how long permissions and session versions are trusted; session
    /// versions never longer than [`MAX_SESSION_CACHE`], whatever the configuration says.
    pub fn new(store: S, secret: JwtSecret, cache_ttl: Duration) -> Self {
        Self {
            store,
            secret,
            cache: PermissionCache::new(cache_ttl),
            sessions: SessionCache::new(cache_ttl.min(MAX_SESSION_CACHE)),
        }
    }

    /// Store failures are errors (API Gateway answers 500), never an allow.
    pub async fn decide(
        &self,
        route_key: &str,
        authorization: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Decision, ApiError> {
        let deny = |principal, reason| {
            Ok(Decision {
                allowed: false,
                principal,
                reason,
            })
        };
        let principal = match parse_authorization(authorization) {
            Err(reason) => return deny(None, reason),
            Ok(Credential::None) => Principal::anonymous(),
            Ok(Credential::Jwt(token)) => match tokens::verify_access_token(self.secret.bytes(), token, now) {
                Ok(claims) => {
                    if !self.sessions.is_current(&self.store, &claims.sub, claims.sv).await? {
                        return deny(None, "session ended (role or password change, or account deleted)");
                    }
                    Principal {
                        id: claims.sub,
                        roles: claims.roles,
                        kind: PrincipalKind::Account,
                    }
                }
                Err(tokens::TokenError::Expired) => return deny(None, "expired access token"),
                Err(tokens::TokenError::Invalid) => return deny(None, "invalid access token"),
            },
            Ok(Credential::ApiKey(key)) => match self.api_key_principal(key).await? {
                Ok(principal) => principal,
                Err(reason) => return deny(None, reason),
            },
        };
        let permissions = self.cache.get(&self.store).await?;
        if permissions.is_allowed(route_key, &principal) {
            Ok(Decision {
                allowed: true,
                principal: Some(principal),
                reason: "allowed",
            })
        } else if permissions.routes().contains_key(route_key) {
            deny(Some(principal), "role not allowed on route")
        } else {
            deny(Some(principal), "route has no permissions entry")
        }
    }

    async fn api_key_principal(&self, key: &str) -> Result<Result<Principal, &'static str>, ApiError> {
        let Some(prefix) = api_keys::parse_prefix(key) else {
            return Ok(Err("malformed api key"));
        };
        let Some(record) = self.store.api_key(prefix).await? else {
            return Ok(Err("unknown api key"));
        };
        if !api_keys::matches(key, &record.key_hash) {
            return Ok(Err("api key does not match"));
        }
        if record.revoked {
            return Ok(Err("revoked api key"));
        }
        Ok(Ok(Principal {
            id: record.principal_id,
            roles: vec![record.role],
            kind: PrincipalKind::ApiKey,
        }))
    }

    /// Handles one authorizer event and logs the decision (route, principal, reason). Store
    /// failures are errors: the invocation fails and API Gateway answers 500, never allows.
    pub async fn handle(
        &self,
        event: ApiGatewayV2CustomAuthorizerV2Request,
    ) -> Result<ApiGatewayV2CustomAuthorizerSimpleResponse, ApiError> {
        let route_key = event.route_key.as_deref().unwrap_or_default();
        // HeaderMap lookups are case-insensitive; a non-UTF-8 value is a malformed header.
        let authorization = match event.headers.get("authorization") {
            None => None,
            Some(value) => Some(value.to_str().unwrap_or("\u{0}invalid")),
        };
        let decision = self.decide(route_key, authorization, Utc::now()).await?;
        let (principal_id, kind) = decision
            .principal
            .as_ref()
            .map(|p| (p.id.as_str(), p.kind.as_str()))
            .unwrap_or(("", "none"));
        tracing::info!(route = %route_key, principal_id, kind, allowed = decision.allowed, reason = decision.reason, "authorization");
        let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
        response.is_authorized = decision.allowed;
        response.context = match (&decision.principal, decision.allowed) {
            (Some(principal), true) => serde_json::to_value(principal.to_context()).map_err(ApiError::internal)?,
            _ => serde_json::json!({}),
        };
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap};
    use std::sync::atomic::{AtomicUsize, Ordering};

    const SECRET: &str = "authorizer-test-secret-authorizer-test";

    #[derive(Default)]
    struct MemoryStore {
        keys: StdMutex<HashMap<String, ApiKeyRecord>>,
        permission_loads: AtomicUsize,
        /// Accounts and their session versions; an account not listed is at version 0.
        sessions: StdMutex<HashMap<String, Option<u64>>>,
        session_reads: AtomicUsize,
    }

    impl AuthorizerStore for MemoryStore {
        async fn api_key(&self, prefix: &str) -> Result<Option<ApiKeyRecord>, ApiError> {
            Ok(self.keys.lock().unwrap().get(prefix).cloned())
        }

        async fn permissions(&self) -> Result<Permissions, ApiError> {
            self.permission_loads.fetch_add(1, Ordering::SeqCst);
            let routes = BTreeMap::from([
                ("POST /identity/signup".to_string(), vec!["anonymous".to_string()]),
                ("GET /identity/me".to_string(), vec!["user".to_string()]),
                ("POST /infractions".to_string(), vec!["officer".to_string()]),
            ]);
            Ok(Permissions::new(routes))
        }

        async fn session_version(&self, account_id: &str) -> Result<Option<u64>, ApiError> {
            self.session_reads.fetch_add(1, Ordering::SeqCst);
            Ok(self
                .sessions
                .lock()
                .unwrap()
                .get(account_id)
                .copied()
                .unwrap_or(Some(0)))
        }
    }

    fn authorizer() -> Authorizer<MemoryStore> {
        Authorizer::new(
            MemoryStore::default(),
            JwtSecret::new(SECRET).unwrap(),
            Duration::from_secs(60),
        )
    }

    fn issue_key(authorizer: &Authorizer<MemoryStore>, role: &str, revoked: bool) -> String {
        let new = api_keys::generate();
        let record = ApiKeyRecord {
            prefix: new.prefix.clone(),
            key_hash: new.hash,
            principal_id: "officer-7".into(),
            role: role.into(),
            created: "2026-01-01T00:00:00.000Z".into(),
            revoked,
        };
        authorizer.store.keys.lock().unwrap().insert(new.prefix, record);
        new.key
    }

    fn bearer(token: &str) -> String {
        format!("Bearer {token}")
    }

    async fn allowed(a: &Authorizer<MemoryStore>, route: &str, header: Option<&str>) -> bool {
        a.decide(route, header, Utc::now()).await.unwrap().allowed
    }

    #[test]
    fn authorization_headers_are_parsed() {
        assert_eq!(parse_authorization(None), Ok(Credential::None));
        assert_eq!(parse_authorization(Some("  ")), Ok(Credential::None));
        assert_eq!(parse_authorization(Some("bearer abc")), Ok(Credential::Jwt("abc")));
        assert_eq!(
            parse_authorization(Some("Bearer andes_x")),
            Ok(Credential::ApiKey("andes_x"))
        );
        for bad in ["Bearer", "Bearer  ", "Basic dXNlcjpwYXNz", "token", "Bearer a b"] {
            assert!(parse_authorization(Some(bad)).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn anonymous_callers_reach_only_anonymous_routes() {
        let a = authorizer();
        assert!(allowed(&a, "POST /identity/signup", None).await);
        assert!(!allowed(&a, "GET /identity/me", None).await);
        assert!(!allowed(&a, "GET /unlisted", None).await);
    }

    #[tokio::test]
    async fn access_tokens_carry_their_roles() {
        let a = authorizer();
        let token = tokens::issue_access_token(SECRET.as_bytes(), "acc-1", &["user".into()], 0, Utc::now(), 3600).token;
        let decision = a
            .decide("GET /identity/me", Some(&bearer(&token)), Utc::now())
            .await
            .unwrap();
        assert!(decision.allowed);
        let principal = decision.principal.unwrap();
        assert_eq!(
            (principal.id.as_str(), principal.kind),
            ("acc-1", PrincipalKind::Account)
        );
        assert!(allowed(&a, "POST /identity/signup", Some(&bearer(&token))).await);
        assert!(!allowed(&a, "POST /infractions", Some(&bearer(&token))).await);
        assert!(!allowed(&a, "GET /unlisted", Some(&bearer(&token))).await);
    }

    #[tokio::test]
    async fn bad_credentials_are_denied_even_on_anonymous_routes() {
        let a = authorizer();
        let past = Utc::now() - chrono::Duration::hours(2);
        let expired = tokens::issue_access_token(SECRET.as_bytes(), "acc-1", &["user".into()], 0, past, 3600).token;
        let forged = tokens::issue_access_token(
            b"some-other-secret-some-other-secret",
            "acc-1",
            &["user".into()],
            0,
            Utc::now(),
            3600,
        )
        .token;
        let verification = tokens::issue_verification_token(SECRET.as_bytes(), "acc-1", Utc::now());
        let revoked = issue_key(&a, "officer", true);
        let unknown = api_keys::generate().key;
        for header in [
            bearer(&expired),
            bearer(&forged),
            bearer(&verification),
            bearer(&revoked),
            bearer(&unknown),
            bearer("andes_garbage"),
            bearer("garbage"),
            "Basic abc".to_string(),
        ] {
            assert!(!allowed(&a, "POST /identity/signup", Some(&header)).await, "{header}");
        }
    }

    #[tokio::test]
    async fn api_keys_act_with_their_role_and_revocation_is_immediate() {
        let a = authorizer();
        let key = issue_key(&a, "officer", false);
        let decision = a
            .decide("POST /infractions", Some(&bearer(&key)), Utc::now())
            .await
            .unwrap();
        assert!(decision.allowed);
        let principal = decision.principal.unwrap();
        assert_eq!(
            (principal.id.as_str(), principal.kind, principal.roles),
            ("officer-7", PrincipalKind::ApiKey, vec!["officer".to_string()])
        );
        assert!(!allowed(&a, "GET /identity/me", Some(&bearer(&key))).await);
        // A key with the right prefix but another secret does not match.
        let prefix = api_keys::parse_prefix(&key).unwrap().to_string();
        let impostor = format!("andes_{prefix}_{}", "A".repeat(43));
        assert!(!allowed(&a, "POST /infractions", Some(&bearer(&impostor))).await);
        a.store.keys.lock().unwrap().get_mut(&prefix).unwrap().revoked = true;
        assert!(!allowed(&a, "POST /infractions", Some(&bearer(&key))).await);
    }

    fn token_at(version: u64) -> String {
        bearer(
            &tokens::issue_access_token(SECRET.as_bytes(), "acc-1", &["user".into()], version, Utc::now(), 3600).token,
        )
    }

    #[tokio::test]
    async fn a_session_change_ends_older_tokens_once_the_cache_expires_and_newer_ones_work_at_once() {
        let a = Authorizer::new(
            MemoryStore::default(),
            JwtSecret::new(SECRET).unwrap(),
            Duration::from_secs(60),
        );
        let old = token_at(0);
        assert!(allowed(&a, "GET /identity/me", Some(&old)).await);
        assert!(allowed(&a, "GET /identity/me", Some(&old)).await);
        assert_eq!(
            a.store.session_reads.load(Ordering::SeqCst),
            1,
            "one read per cache period"
        );

        a.store.sessions.lock().unwrap().insert("acc-1".into(), Some(1));
        let new = token_at(1);
        assert!(
            allowed(&a, "GET /identity/me", Some(&new)).await,
            "a newer token is read at once"
        );
        assert!(
            !allowed(&a, "GET /identity/me", Some(&old)).await,
            "an older one is then refused"
        );
        assert!(
            !allowed(&a, "POST /identity/signup", Some(&old)).await,
            "on every route"
        );
        assert_eq!(a.store.session_reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_ended_session_is_refused_within_the_cache_period() {
        let a = Authorizer::new(
            MemoryStore::default(),
            JwtSecret::new(SECRET).unwrap(),
            Duration::from_millis(100),
        );
        let old = token_at(0);
        assert!(allowed(&a, "GET /identity/me", Some(&old)).await);
        a.store.sessions.lock().unwrap().insert("acc-1".into(), Some(1));
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(!allowed(&a, "GET /identity/me", Some(&old)).await);
        a.store.sessions.lock().unwrap().insert("acc-1".into(), None);
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(
            !allowed(&a, "GET /identity/me", Some(&token_at(1))).await,
            "a deleted account"
        );
    }

    #[tokio::test]
    async fn permissions_are_cached() {
        let a = authorizer();
        for _ in 0..3 {
            allowed(&a, "POST /identity/signup", None).await;
        }
        assert_eq!(a.store.permission_loads.load(Ordering::SeqCst), 1);
        let uncached = Authorizer::new(MemoryStore::default(), JwtSecret::new(SECRET).unwrap(), Duration::ZERO);
        allowed(&uncached, "POST /identity/signup", None).await;
        allowed(&uncached, "POST /identity/signup", None).await;
        assert_eq!(uncached.store.permission_loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn events_become_simple_responses_with_the_principal_context() {
        let a = authorizer();
        let token = tokens::issue_access_token(SECRET.as_bytes(), "acc-1", &["user".into()], 0, Utc::now(), 3600).token;
        let event: ApiGatewayV2CustomAuthorizerV2Request = serde_json::from_value(serde_json::json!({
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": "arn:aws:execute-api:us-east-1:123456789012:abc/$default/GET/identity/me",
            "routeKey": "GET /identity/me",
            "rawPath": "/identity/me",
            "headers": {"AUTHORIZATION": bearer(&token)},
            "requestContext": {"http": {"method": "GET", "path": "/identity/me", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "test"}}
        }))
        .unwrap();
        let response = a.handle(event).await.unwrap();
        assert!(response.is_authorized);
        assert_eq!(response.context["principal_id"], "acc-1");
        assert_eq!(response.context["kind"], "account");
        assert_eq!(response.context["roles"], "user");
    }
}
