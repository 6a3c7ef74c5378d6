//! What every end-to-end test stands on: the test env file, an HTTP client for the local
//! gateway, AWS clients for the local backend, and the identity steps most tests need
//! (sign up, read the confirmation email from the outbox, verify, log in, run admin commands).
//!
//! The env file is read once per test binary (`ANDES_ENV_FILE`, else `.andes/test.env` in the
//! project). Clients are built per test: each `#[tokio::test]` has its own runtime, and
//! connection pools must not outlive the runtime that opened them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::types::AttributeValue;
pub use serde_json::{json, Value};

/// How often a poll looks again.
pub const POLL_INTERVAL: Duration = Duration::from_millis(300);
/// Bound for asynchronous deliveries (queue → notifier → outbox).
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(60);
/// Bound for a message to exhaust its receives and reach the dead-letter queue
/// (visibility timeout 4 s × maxReceiveCount 3 in the test env, plus slack for a busy machine).
pub const DEAD_LETTER_TIMEOUT: Duration = Duration::from_secs(90);
/// Per-request bound of the HTTP client (above API Gateway's 30 s integration limit).
const HTTP_TIMEOUT: Duration = Duration::from_secs(60);
/// A secret that is not the platform's: tokens signed with it are forgeries.
pub const FORGED_SECRET: &[u8] = b"this-is-not-the-andes-secret-0123456789abcdef";

/// The workspace root (the parent of this crate).
pub fn project_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives inside the workspace")
        .to_path_buf()
}

// ------------------------------------------------------------------------------ env file

/// The test env file: `KEY=VALUE` lines written by the local platform.
#[derive(Debug)]
pub struct Env {
    path: PathBuf,
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The env file of this run, read once.
    pub fn get() -> &'static Env {
        static ENV: OnceLock<Env> = OnceLock::new();
        ENV.get_or_init(|| Env::load().unwrap_or_else(|message| panic!("{message}")))
    }

    fn load() -> Result<Env, String> {
        let path = match std::env::var_os("ANDES_ENV_FILE") {
            Some(path) if !path.is_empty() => PathBuf::from(path),
            _ => project_dir().join(".andes").join("test.env"),
        };
        let text = std::fs::read_to_string(&path).map_err(|error| {
            format!(
                "cannot read the test env file {}: {error}. The end-to-end tests drive a running \
                 local platform; start it and point ANDES_ENV_FILE at its env file (the test \
                 runner does both).",
                path.display()
            )
        })?;
        Ok(Env {
            vars: parse_env_file(&text),
            path,
        })
    }

    /// A variable that must be set (non-empty).
    pub fn var(&self, key: &str) -> &str {
        match self.vars.get(key) {
            Some(value) if !value.is_empty() => value,
            _ => panic!("{key} is missing from the test env file {}", self.path.display()),
        }
    }

    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn base_url(&self) -> &str {
        self.var("ANDES_BASE_URL").trim_end_matches('/')
    }

    pub fn jwt_secret(&self) -> &[u8] {
        self.var("JWT_SECRET").as_bytes()
    }
}

/// Parses `KEY=VALUE` lines; blank lines and `#` comments are skipped, an `export ` prefix
/// and matching surrounding quotes are removed.
pub fn parse_env_file(text: &str) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let unquoted = ['"', '\'']
            .iter()
            .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
            .unwrap_or(value);
        vars.insert(key.trim().to_string(), unquoted.to_string());
    }
    vars
}

// ------------------------------------------------------------------------------ small helpers

/// 12 random lowercase hex characters: unique names for parallel and repeated runs.
pub fn unique_tag() -> String {
    // The first 12 hex digits of a v4 UUID are all random (the version nibble comes after).
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// Seconds since the Unix epoch.
/// Per-hour abuse-limit counters are per clock hour: a test counting against one waits, when
/// less than two minutes of the hour are left, for the next hour to start.
pub async fn away_from_the_hour_boundary() {
    let into_hour = now_secs().rem_euclid(3600);
    if into_hour > 3600 - 120 {
        tokio::time::sleep(std::time::Duration::from_secs((3600 - into_hour + 1) as u64)).await;
    }
}

pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Percent-encodes a query-string value (everything but RFC 3986 unreserved characters), for
/// values such as opaque paging cursors.
pub fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// An HS256 JWT with the given claims.
pub fn sign_jwt(secret: &[u8], claims: &Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .expect("HS256 signing cannot fail")
}

/// Claims of an email-confirmation token (the format identity issues).
pub fn verification_claims(account_id: &str, issued_at: i64, expires_at: i64) -> Value {
    json!({ "sub": account_id, "iat": issued_at, "exp": expires_at, "type": "email_confirmation" })
}

/// Claims of an access token (the format login issues).
pub fn access_claims(account_id: &str, roles: &[&str], issued_at: i64, expires_at: i64) -> Value {
    json!({ "sub": account_id, "roles": roles, "iat": issued_at, "exp": expires_at, "type": "access" })
}

/// A well-formed API key (`andes_<8 chars>_<32 bytes base64url>`) that nobody issued;
/// `prefix` picks its public prefix (else a random one).
pub fn made_up_api_key(prefix: Option<&str>) -> String {
    let prefix = prefix
        .map(str::to_string)
        .unwrap_or_else(|| unique_tag()[..8].to_string());
    // 43 base64url characters = 32 bytes; the last one ('A') leaves no stray bits.
    let secret = format!("{}{}{}abcdefA", unique_tag(), unique_tag(), unique_tag());
    format!("andes_{prefix}_{secret}")
}

/// Sends `count` requests at once (each its own task) and collects the replies in the order
/// they were sent (reply `i` answers request `i`).
pub async fn all_at_once<F, Fut>(count: usize, request: F) -> Vec<Reply>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Reply> + Send + 'static,
{
    let tasks: Vec<_> = (0..count).map(|i| tokio::spawn(request(i))).collect();
    let mut replies = Vec::with_capacity(count);
    for task in tasks {
        replies.push(task.await.expect("request task"));
    }
    replies
}

/// A new account's sign-up data, unique per call.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub username: String,
    pub password: String,
    pub name: String,
}

impl NewUser {
    pub fn random() -> Self {
        let tag = unique_tag();
        NewUser {
            email: format!("andes.{tag}@example.com"),
            username: format!("u{tag}"),
            password: format!("Pw9-{tag}-secret"),
            name: format!("Test User {tag}"),
        }
    }

    /// The POST /identity/signup body (password confirmed).
    pub fn signup_body(&self) -> Value {
        json!({
            "email": self.email,
            "username": self.username,
            "password": self.password,
            "password_confirmation": self.password,
            "name": self.name,
        })
    }

    /// The POST /identity/signup body with a `user_type` (`client`, `restaurant`: the account
    /// gets that role beside `user`).
    pub fn signup_body_as(&self, user_type: &str) -> Value {
        let mut body = self.signup_body();
        body["user_type"] = json!(user_type);
        body
    }
}

/// A logged-in account.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub account: Value,
    /// The whole login answer.
    pub login: Value,
}

impl Session {
    pub fn account_id(&self) -> &str {
        self.account["id"].as_str().expect("account has a string id")
    }
}

/// An API key issued by `identity-admin issue-key`.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub key: String,
    pub prefix: String,
}

// ------------------------------------------------------------------------------ HTTP replies

/// An HTTP answer, read whole, with the request it answers (for failure messages).
#[derive(Debug, Clone)]
pub struct Reply {
    pub request: String,
    pub status: u16,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    /// The body as JSON (`null` when empty); panics when it is not JSON.
    pub fn json(&self) -> Value {
        if self.text.trim().is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&self.text)
            .unwrap_or_else(|error| panic!("{}: body is not JSON ({error}): {}", self.request, self.text))
    }

    /// A 429 problem of an abuse limit: its `detail` contains `detail`, and `Retry-After` is a
    /// number of seconds in `1..=max_seconds`, which is returned.
    pub fn expect_too_many(&self, detail: &str, max_seconds: u64) -> u64 {
        let problem = self.expect_problem(429, None);
        let said = problem["detail"].as_str().unwrap_or_default();
        assert!(
            said.contains(detail),
            "{}: 429 detail {said:?} lacks {detail:?}",
            self.request
        );
        let retry_after: u64 = self
            .headers
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "{}: 429 without a numeric Retry-After: {:?}",
                    self.request, self.headers
                )
            });
        assert!(
            (1..=max_seconds).contains(&retry_after),
            "{}: Retry-After {retry_after} not in 1..={max_seconds}",
            self.request
        );
        retry_after
    }

    /// Asserts the status and returns the JSON body.
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "{}: expected HTTP {status}, got {} with body: {}",
            self.request, self.status, self.text
        );
        self.json()
    }

    /// Asserts an `application/problem+json` answer with this status (and detail, if given).
    pub fn expect_problem(&self, status: u16, detail: Option<&str>) -> Value {
        let body = self.expect(status);
        assert!(
            self.content_type.starts_with("application/problem+json"),
            "{}: expected content-type application/problem+json, got {:?} (body {})",
            self.request,
            self.content_type,
            self.text
        );
        assert_eq!(
            body["status"],
            json!(status),
            "{}: problem status field: {}",
            self.request,
            self.text
        );
        assert!(
            body["title"].is_string(),
            "{}: problem without title: {}",
            self.request,
            self.text
        );
        if let Some(detail) = detail {
            assert_eq!(
                body["detail"],
                json!(detail),
                "{}: problem detail: {}",
                self.request,
                self.text
            );
        }
        body
    }

    /// Asserts a 422 problem whose `errors` name `field`.
    pub fn expect_invalid_field(&self, field: &str) -> Value {
        let body = self.expect_problem(422, None);
        let fields = error_fields(&body);
        assert!(
            fields.iter().any(|f| f == field),
            "{}: expected a validation error on field {field:?}, got fields {fields:?}: {}",
            self.request,
            self.text
        );
        body
    }

    /// Asserts an answer of API Gateway itself: this status and exactly `{"message": message}`.
    pub fn expect_gateway(&self, status: u16, message: &str) {
        let body = self.expect(status);
        assert_eq!(
            body,
            json!({ "message": message }),
            "{}: gateway answer body",
            self.request
        );
    }

    /// Whether this is API Gateway's own 401 or 403 (the authorizer stopped the request).
    pub fn is_gateway_denial(&self) -> bool {
        matches!(self.status, 401 | 403)
            && serde_json::from_str::<Value>(&self.text).ok().is_some_and(|body| {
                body == json!({ "message": "Unauthorized" }) || body == json!({ "message": "Forbidden" })
            })
    }
}

/// The `field`s of a problem's `errors`.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

// ------------------------------------------------------------------------------ context

/// Clients for one test.
#[derive(Clone)]
pub struct Ctx {
    pub env: &'static Env,
    pub http: reqwest::Client,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
}

impl Ctx {
    /// Reads the env file, builds the clients and checks that the platform answers.
    pub async fn new() -> Ctx {
        let env = Env::get();
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .build()
            .expect("HTTP client builds");
        let credentials = aws_sdk_s3::config::Credentials::new(
            env.var("AWS_ACCESS_KEY_ID"),
            env.var("AWS_SECRET_ACCESS_KEY"),
            None,
            None,
            "andes-test-env",
        );
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(env.var("AWS_REGION").to_string()))
            .endpoint_url(env.var("AWS_ENDPOINT_URL"))
            .credentials_provider(credentials)
            .load()
            .await;
        let s3_config = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build();
        let ctx = Ctx {
            env,
            http,
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            sqs: aws_sdk_sqs::Client::new(&sdk),
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
        };
        ctx.check_platform().await;
        ctx
    }

    /// The same context, its HTTP requests sent from another loopback address (e.g.
    /// `127.0.0.2`): API Gateway's `sourceIp` is then that address, so per-address limits count
    /// this test's requests apart from every other test's.
    pub fn from_address(self, address: &str) -> Ctx {
        let address: std::net::IpAddr = address.parse().expect("an IP address");
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .local_address(address)
            .build()
            .expect("HTTP client builds");
        Ctx { http, ..self }
    }

    async fn check_platform(&self) {
        let url = self.url("/_local/health");
        match self.http.get(&url).send().await {
            Ok(response) if response.status().as_u16() == 200 => {}
            Ok(response) => panic!("local platform is not ready: GET {url} answered {}", response.status()),
            Err(error) => panic!("local platform is not running: GET {url} failed: {error}"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.env.base_url(), path)
    }

    // -------------------------------------------------------------- requests

    /// A request with an optional bearer credential and an optional JSON body.
    pub async fn call(&self, method: &str, path: &str, bearer: Option<&str>, body: Option<&Value>) -> Reply {
        let authorization = bearer.map(|token| format!("Bearer {token}"));
        let mut headers = Vec::new();
        if let Some(authorization) = &authorization {
            headers.push(("authorization", authorization.as_str()));
        }
        match body {
            Some(body) => {
                headers.push(("content-type", "application/json"));
                self.call_raw(method, path, &headers, body.to_string().into_bytes())
                    .await
            }
            None => self.call_raw(method, path, &headers, Vec::new()).await,
        }
    }

    /// A request with exactly these headers and body bytes.
    pub async fn call_raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
        let description = format!("{method} {path}");
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("valid HTTP method");
        let mut request = self.http.request(method, self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if !body.is_empty() {
            request = request.body(body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|error| panic!("{description}: request failed: {}", error_chain(&error)));
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .unwrap_or_else(|error| panic!("{description}: reading the body failed: {error}"));
        Reply {
            request: description,
            status,
            content_type,
            headers,
            text,
        }
    }

    // -------------------------------------------------------------- identity

    pub async fn signup(&self, user: &NewUser) -> Reply {
        self.signup_with(&user.signup_body()).await
    }

    pub async fn signup_with(&self, body: &Value) -> Reply {
        self.call("POST", "/identity/signup", None, Some(body)).await
    }

    /// Signs up and returns the created (unverified) account.
    pub async fn create_account(&self, user: &NewUser) -> Value {
        let account = self.signup(user).await.expect(201);
        assert_eq!(
            account["verified"],
            json!(false),
            "a new account is not verified: {account}"
        );
        account
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.call(
            "POST",
            "/identity/login",
            None,
            Some(&json!({ "email": email, "password": password })),
        )
        .await
    }

    /// Logs in (200) and returns the session.
    /// Like a well-behaved client, waits and retries while the lockout asks it to ("other logins
    /// to this account are being checked", `Retry-After: 1`): suites log one account in from
    /// many tests at once.
    pub async fn login_session(&self, email: &str, password: &str) -> Session {
        let mut reply = self.login(email, password).await;
        for _ in 0..60 {
            if !(reply.status == 429 && reply.text.contains("being checked")) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            reply = self.login(email, password).await;
        }
        let login = reply.expect(200);
        let access_token = login["access_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| panic!("login answer without access_token: {login}"))
            .to_string();
        Session {
            access_token,
            account: login["account"].clone(),
            login,
        }
    }

    /// Logs in as the platform's admin account (`ANDES_ADMIN_EMAIL` / `ANDES_ADMIN_PASSWORD`
    /// of the env file, roles user and admin).
    pub async fn admin_session(&self) -> Session {
        self.login_session(self.env.var("ANDES_ADMIN_EMAIL"), self.env.var("ANDES_ADMIN_PASSWORD"))
            .await
    }

    pub async fn verify(&self, token: &str) -> Reply {
        self.call("POST", "/identity/verify", None, Some(&json!({ "token": token })))
            .await
    }

    pub async fn me(&self, bearer: Option<&str>) -> Reply {
        self.call("GET", "/identity/me", bearer, None).await
    }

    /// The verification token of the confirmation email sent to `email`.
    pub async fn confirmation_token(&self, email: &str) -> String {
        let message = self.outbox_message(email).await;
        message["data"]["token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| panic!("confirmation message without data.token: {message}"))
            .to_string()
    }

    /// Signs up, verifies through the emailed token and logs in.
    pub async fn verified_session(&self, user: &NewUser) -> Session {
        self.create_account(user).await;
        let token = self.confirmation_token(&user.email).await;
        let verified = self.verify(&token).await.expect(200);
        assert_eq!(
            verified["account"]["verified"],
            json!(true),
            "verify answer: {verified}"
        );
        self.login_session(&user.email, &user.password).await
    }

    /// A fresh verified, logged-in account.
    pub async fn new_session(&self) -> (NewUser, Session) {
        let user = NewUser::random();
        let session = self.verified_session(&user).await;
        (user, session)
    }

    /// A fresh verified, logged-in account signed up with `user_type` (`client`, `restaurant`).
    pub async fn new_session_as(&self, user_type: &str) -> (NewUser, Session) {
        let user = NewUser::random();
        let account = self.signup_with(&user.signup_body_as(user_type)).await.expect(201);
        assert!(
            account["roles"]
                .as_array()
                .is_some_and(|r| r.contains(&json!(user_type))),
            "a {user_type} signup without the {user_type} role: {account}"
        );
        let token = self.confirmation_token(&user.email).await;
        self.verify(&token).await.expect(200);
        let session = self.login_session(&user.email, &user.password).await;
        (user, session)
    }

    // -------------------------------------------------------------- outbox

    /// The first outbox message addressed to `email`, waiting up to [`DELIVERY_TIMEOUT`].
    pub async fn outbox_message(&self, email: &str) -> Value {
        let mut seen = HashSet::new();
        let deadline = Instant::now() + DELIVERY_TIMEOUT;
        loop {
            if let Some(message) = self.scan_outbox(email, &mut seen, true).await.into_iter().next() {
                return message;
            }
            if Instant::now() >= deadline {
                panic!(
                    "timed out after {DELIVERY_TIMEOUT:?} waiting for an outbox message to {email} \
                     in bucket {} (looked at {} objects)",
                    self.env.var("OUTBOX_BUCKET"),
                    seen.len()
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Every outbox message to `email` delivered so far (no waiting).
    pub async fn outbox_messages(&self, email: &str) -> Vec<Value> {
        self.scan_outbox(email, &mut HashSet::new(), false).await
    }

    /// Reads the outbox objects not in `seen` (newest key first), returning those to `email`.
    async fn scan_outbox(&self, email: &str, seen: &mut HashSet<String>, first_only: bool) -> Vec<Value> {
        let mut found = Vec::new();
        let mut keys: Vec<String> = self
            .outbox_keys()
            .await
            .into_iter()
            .filter(|k| !seen.contains(k))
            .collect();
        keys.sort();
        for key in keys.into_iter().rev() {
            let message = self.outbox_object(&key).await;
            seen.insert(key);
            let to = message["to"]["email"].as_str().unwrap_or_default();
            if to.eq_ignore_ascii_case(email) {
                found.push(message);
                if first_only {
                    break;
                }
            }
        }
        found
    }

    /// The keys of the outbox objects in the date folders around now (yesterday to tomorrow).
    pub async fn outbox_keys(&self) -> Vec<String> {
        let bucket = self.env.var("OUTBOX_BUCKET");
        let mut keys = Vec::new();
        for prefix in outbox_prefixes() {
            keys.extend(self.list_keys(bucket, &prefix).await);
        }
        keys
    }

    /// The outbox object at `key`, as JSON. Each object is read once per test binary: it is
    /// written once (a redelivered notification rewrites the same bytes), and many tests wait for
    /// mail at once; each reading the whole outbox again made those waits grow with the outbox
    /// until they timed out on a loaded machine.
    pub async fn outbox_object(&self, key: &str) -> Value {
        static READ: OnceLock<Mutex<HashMap<String, Arc<tokio::sync::OnceCell<Value>>>>> = OnceLock::new();
        let cell = READ
            .get_or_init(Mutex::default)
            .lock()
            .expect("the outbox cache is not poisoned")
            .entry(key.to_string())
            .or_default()
            .clone();
        cell.get_or_init(|| self.read_outbox_object(key)).await.clone()
    }

    async fn read_outbox_object(&self, key: &str) -> Value {
        let bucket = self.env.var("OUTBOX_BUCKET");
        let object = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|error| panic!("get s3://{bucket}/{key}: {error:?}"));
        let bytes = object
            .body
            .collect()
            .await
            .unwrap_or_else(|error| panic!("read s3://{bucket}/{key}: {error}"))
            .into_bytes();
        serde_json::from_slice(&bytes).unwrap_or_else(|error| {
            panic!(
                "outbox object s3://{bucket}/{key} is not JSON ({error}): {}",
                String::from_utf8_lossy(&bytes)
            )
        })
    }

    /// Every key under `prefix` in `bucket`.
    pub async fn list_keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut continuation: Option<String> = None;
        loop {
            let page = self
                .s3
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .set_continuation_token(continuation.take())
                .send()
                .await
                .unwrap_or_else(|error| panic!("list s3://{bucket}/{prefix}: {error:?}"));
            keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
            match page.next_continuation_token() {
                Some(token) if page.is_truncated().unwrap_or(false) => continuation = Some(token.to_string()),
                _ => return keys,
            }
        }
    }

    // -------------------------------------------------------------- queues and tables

    /// Receives from the dead-letter queue whose URL is in stack variable `queue_variable`
    /// (e.g. `NOTIFICATIONS_DEAD_LETTER_QUEUE_URL`) until a message whose body satisfies
    /// `matches` shows up; deletes it and returns its body. Other messages are left alone
    /// (they become visible again after a short visibility timeout).
    pub async fn dead_letter(&self, queue_variable: &str, what: &str, matches: impl Fn(&str) -> bool) -> String {
        let queue_url = self.env.var(queue_variable);
        let deadline = Instant::now() + DEAD_LETTER_TIMEOUT;
        loop {
            let received = self
                .sqs
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .visibility_timeout(3)
                .send()
                .await
                .unwrap_or_else(|error| panic!("receive from {queue_url}: {error:?}"));
            for message in received.messages() {
                let body = message.body().unwrap_or_default();
                if matches(body) {
                    if let Some(handle) = message.receipt_handle() {
                        self.sqs
                            .delete_message()
                            .queue_url(queue_url)
                            .receipt_handle(handle)
                            .send()
                            .await
                            .unwrap_or_else(|error| panic!("delete from {queue_url}: {error:?}"));
                    }
                    return body.to_string();
                }
            }
            if Instant::now() >= deadline {
                panic!(
                    "timed out after {DEAD_LETTER_TIMEOUT:?} waiting for {what} in the dead-letter queue {queue_url}"
                );
            }
        }
    }

    /// Every item of the identity table with this partition key (strongly consistent).
    pub async fn identity_items(&self, pk: &str) -> Vec<std::collections::HashMap<String, AttributeValue>> {
        let table = self.env.var("IDENTITY_TABLE");
        let output = self
            .dynamodb
            .query()
            .table_name(table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_string()))
            .consistent_read(true)
            .send()
            .await
            .unwrap_or_else(|error| panic!("query {table} pk={pk}: {error:?}"));
        output.items().to_vec()
    }

    // -------------------------------------------------------------- admin commands

    /// Runs an admin command (a binary of the workspace, e.g. `rides-admin`) with the env file's
    /// variables, as `make up` runs its setup steps: (success, stdout, stderr).
    pub async fn run_admin(&self, command: &str, args: &[&str]) -> (bool, String, String) {
        let binary = Path::new(self.env.var("ANDES_TARGET_DIR")).join(command);
        let output = tokio::process::Command::new(&binary)
            .args(args)
            .envs(self.env.vars())
            .current_dir(project_dir())
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", binary.display()));
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// Runs an admin command that must succeed; returns its stdout.
    pub async fn admin_ok(&self, command: &str, args: &[&str]) -> String {
        let (success, stdout, stderr) = self.run_admin(command, args).await;
        assert!(
            success,
            "{command} {} failed:\nstdout: {stdout}\nstderr: {stderr}",
            args.join(" ")
        );
        stdout
    }

    /// Runs `identity-admin`; returns its stdout, panics on failure.
    pub async fn admin(&self, args: &[&str]) -> String {
        self.admin_ok("identity-admin", args).await
    }

    /// Issues an API key for `principal_id` with `role`.
    pub async fn issue_api_key(&self, principal_id: &str, role: &str) -> ApiKey {
        const VAR: &str = "ANDES_TEST_API_KEY";
        let stdout = self
            .admin(&[
                "issue-key",
                "--principal-id",
                principal_id,
                "--role",
                role,
                "--print-env",
                VAR,
            ])
            .await;
        let key = stdout
            .lines()
            .find_map(|line| line.trim().strip_prefix(&format!("{VAR}=")).map(str::to_string))
            .or_else(|| {
                stdout
                    .split_whitespace()
                    .find(|word| word.starts_with("andes_"))
                    .map(str::to_string)
            })
            .unwrap_or_else(|| panic!("identity-admin issue-key printed no key:\n{stdout}"));
        let prefix = api_key_prefix(&key);
        ApiKey { key, prefix }
    }

    pub async fn revoke_api_key(&self, key: &ApiKey) {
        self.admin(&["revoke-key", "--key-prefix", &key.prefix]).await;
    }
}

/// An error with its causes, `outer: cause: root cause`.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The public prefix of a key shaped `andes_<prefix>_<secret>`.
pub fn api_key_prefix(key: &str) -> String {
    key.strip_prefix("andes_")
        .and_then(|rest| rest.split_once('_'))
        .map(|(prefix, _)| prefix.to_string())
        .unwrap_or_else(|| panic!("API key {key:?} is not shaped andes_<prefix>_<secret>"))
}

/// Outbox date folders that can hold a message sent around now (UTC yesterday..tomorrow,
/// so a run across midnight or a notifier using another clock still finds it).
fn outbox_prefixes() -> Vec<String> {
    let today = chrono::Utc::now().date_naive();
    [-1i64, 0, 1]
        .iter()
        .map(|days| today + chrono::Duration::days(*days))
        .map(|day| format!("outbox/{}/", day.format("%Y-%m-%d")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_lines() {
        let vars = parse_env_file("# comment\n\nA=1\nexport B = two \nC=\"quoted=x\"\nD='x'\nnot a pair\nE=\n");
        assert_eq!(vars["A"], "1");
        assert_eq!(vars["B"], "two");
        assert_eq!(vars["C"], "quoted=x");
        assert_eq!(vars["D"], "x");
        assert_eq!(vars["E"], "");
        assert_eq!(vars.len(), 5);
    }

    #[test]
    fn query_values_are_escaped() {
        assert_eq!(query_escape("a.b-c_d~e"), "a.b-c_d~e");
        assert_eq!(query_escape("x+y/z=="), "x%2By%2Fz%3D%3D");
        assert_eq!(query_escape("pedro@gmail.com"), "pedro%40gmail.com");
        assert_eq!(query_escape("ñ"), "%C3%B1");
    }

    #[test]
    fn key_prefix() {
        assert_eq!(api_key_prefix("andes_ab12cd34_s3cr-et_x"), "ab12cd34");
        let made_up = made_up_api_key(Some("ab12cd34"));
        assert_eq!(api_key_prefix(&made_up), "ab12cd34");
        assert_eq!(made_up.len() - "andes_ab12cd34_".len(), 43);
    }

    #[test]
    fn unique_tags_are_usernames() {
        let user = NewUser::random();
        assert!((4..=20).contains(&user.username.len()));
        assert!(user
            .username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_ne!(unique_tag(), unique_tag());
    }

    #[test]
    fn forged_and_real_tokens_differ() {
        let claims = verification_claims("a", 1, 2);
        assert_ne!(
            sign_jwt(FORGED_SECRET, &claims),
            sign_jwt(b"another-secret-of-32-characters!!", &claims)
        );
    }
}
