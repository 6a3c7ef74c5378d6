//! Smoke test of the handlers against a real DynamoDB/SQS API (AWS or the local backend).
//! Ignored by default; run with a table created as in template.yaml:
//!   AWS_ENDPOINT_URL=http://127.0.0.1:PORT AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=x \
//!   AWS_SECRET_ACCESS_KEY=x IDENTITY_TABLE=... cargo test -p identity --test store_smoke -- --ignored
//! The end-to-end suite (tests/) covers the same flows through the local platform.

use andes_shared::aws;
use andes_shared::notify::Notification;
use identity::config::JwtSecret;
use identity::handlers::{get_me, login, signup, update_me, verify, LoginState, SignupState, VerifyState};
use identity::store::Store;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

const SECRET: &str = "smoke-test-secret-smoke-test-secret!!";

fn request(route: &str, body: Value, account_id: Option<&str>) -> Request {
    let (method, path) = route.split_once(' ').unwrap();
    let mut context = json!({"routeKey": route, "http": {"method": method, "path": path}, "requestId": "r1"});
    if let Some(id) = account_id {
        context["authorizer"] = json!({"lambda": {"principal_id": id, "roles": "user", "kind": "account"}});
    }
    let event = json!({"version": "2.0", "routeKey": route, "rawPath": path, "headers": {"content-type": "application/json"},
        "requestContext": context, "body": body.to_string(), "isBase64Encoded": false});
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

fn parts(response: Result<Response<Body>, andes_shared::ApiError>) -> (u16, Value) {
    let response = response.unwrap_or_else(|e| e.into_response("r1"));
    let body = match response.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    (response.status().as_u16(), body)
}

#[tokio::test]
#[ignore]
async fn signup_verify_login_me() {
    let sdk = aws::sdk_config().await;
    let table = std::env::var("IDENTITY_TABLE").unwrap();
    let sqs = aws::sqs(&sdk);
    let queue_url = sqs.create_queue().queue_name("identity-smoke").send().await.unwrap().queue_url.unwrap();
    let store = Store::new(aws::dynamodb(&sdk), table);
    let secret = || JwtSecret::new(SECRET).unwrap();
    let signup_state = SignupState { store: store.clone(), sqs: sqs.clone(), queue_url: queue_url.clone(), secret: secret() };
    let login_state = LoginState { store: store.clone(), secret: secret(), access_token_ttl_seconds: 3600 };
    let verify_state = VerifyState { store: store.clone(), secret: secret() };

    let unique = uuid::Uuid::now_v7().simple().to_string();
    let email = format!("Smoke{}@Example.com", &unique[20..]);
    let username = format!("s{}", &unique[20..]);
    let body = json!({"email": email, "username": username, "password": "pass-word-1", "password_confirmation": "pass-word-1", "name": "Smoke", "user_type": "client"});
    let (status, account) = parts(signup(&signup_state, request("POST /identity/signup", body.clone(), None)).await);
    assert_eq!(status, 201, "{account}");
    assert_eq!(account["roles"], json!(["user", "client"]));
    assert!(account.get("password_hash").is_none());
    let (status, problem) = parts(signup(&signup_state, request("POST /identity/signup", body.clone(), None)).await);
    assert_eq!((status, problem["detail"].as_str()), (409, Some("email is already registered")));
    let mut other = body.clone();
    other["email"] = json!(format!("other{}@example.com", &unique[20..]));
    let (status, problem) = parts(signup(&signup_state, request("POST /identity/signup", other, None)).await);
    assert_eq!((status, problem["detail"].as_str()), (409, Some("username is already taken")));
    let (status, problem) = parts(signup(&signup_state, request("POST /identity/signup", json!({"email": "x"}), None)).await);
    assert_eq!(status, 422);
    assert!(problem["errors"].as_array().unwrap().len() >= 4);

    let messages = sqs.receive_message().queue_url(&queue_url).max_number_of_messages(10).send().await.unwrap();
    let token = messages.messages().iter().filter_map(|m| serde_json::from_str::<Notification>(m.body()?).ok())
        .find(|n| n.data["username"] == json!(username)).expect("confirmation queued").data["token"].as_str().unwrap().to_string();

    let credentials = json!({"email": email, "password": "pass-word-1"});
    let (status, problem) = parts(login(&login_state, request("POST /identity/login", credentials.clone(), None)).await);
    assert_eq!((status, problem["detail"].as_str()), (403, Some("Account is not active yet")));
    for _ in 0..2 {
        let (status, verified) = parts(verify(&verify_state, request("POST /identity/verify", json!({"token": token}), None)).await);
        assert_eq!((status, &verified["account"]["verified"]), (200, &json!(true)));
    }
    let (status, problem) = parts(verify(&verify_state, request("POST /identity/verify", json!({"token": "garbage"}), None)).await);
    assert_eq!((status, problem["detail"].as_str()), (400, Some("Invalid token")));
    let (status, _) = parts(login(&login_state, request("POST /identity/login", json!({"email": email, "password": "wrong-pass"}), None)).await);
    assert_eq!(status, 401);
    let (status, _) = parts(login(&login_state, request("POST /identity/login", json!({"email": "nobody@example.com", "password": "x"}), None)).await);
    assert_eq!(status, 401);
    let (status, session) = parts(login(&login_state, request("POST /identity/login", credentials, None)).await);
    assert_eq!((status, session["token_type"].as_str()), (200, Some("Bearer")));
    let id = session["account"]["id"].as_str().unwrap();

    let (status, me) = parts(get_me(&store, request("GET /identity/me", Value::Null, Some(id))).await);
    assert_eq!((status, me["email"].as_str()), (200, Some(email.to_lowercase().as_str())));
    let (status, _) = parts(get_me(&store, request("GET /identity/me", Value::Null, None)).await);
    assert_eq!(status, 401);
    let patch = json!({"name": "Renamed", "phone": "+573001234567"});
    let (status, me) = parts(update_me(&store, request("PATCH /identity/me", patch, Some(id))).await);
    assert_eq!((status, me["name"].as_str(), me["phone"].as_str()), (200, Some("Renamed"), Some("+573001234567")));
    let wrong = json!({"password": "new-pass-1", "current_password": "nope-nope"});
    let (status, problem) = parts(update_me(&store, request("PATCH /identity/me", wrong, Some(id))).await);
    assert_eq!((status, problem["errors"][0]["field"].as_str()), (422, Some("current_password")));
    let change = json!({"password": "new-pass-1", "current_password": "pass-word-1"});
    assert_eq!(parts(update_me(&store, request("PATCH /identity/me", change, Some(id))).await).0, 200);
    let (status, _) = parts(login(&login_state, request("POST /identity/login", json!({"email": email, "password": "new-pass-1"}), None)).await);
    assert_eq!(status, 200);
}

/// 20 concurrent signups with one email create exactly one account (needs a race-safe backend).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore]
async fn concurrent_signups_create_one_account() {
    let sdk = aws::sdk_config().await;
    let sqs = aws::sqs(&sdk);
    let queue_url = sqs.create_queue().queue_name("identity-smoke").send().await.unwrap().queue_url.unwrap();
    let state = std::sync::Arc::new(SignupState {
        store: Store::new(aws::dynamodb(&sdk), std::env::var("IDENTITY_TABLE").unwrap()),
        sqs,
        queue_url,
        secret: JwtSecret::new(SECRET).unwrap(),
    });
    let unique = uuid::Uuid::now_v7().simple().to_string();
    let email = format!("race{}@example.com", &unique[20..]);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let state = state.clone();
            let body = json!({"email": email, "username": format!("r{}{i}", &unique[22..]), "password": "pass-word-1",
                "password_confirmation": "pass-word-1", "name": "Race"});
            tokio::spawn(async move { parts(signup(&state, request("POST /identity/signup", body, None)).await).0 })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
}
