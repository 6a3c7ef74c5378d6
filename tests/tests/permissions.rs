//! Every route of template.yaml against data/permissions.yaml: each route has an entry, its
//! authorizer (Required / Optional) agrees with the entry, and the gateway enforces it:
//! no credentials → 401, wrong role or bad credential → 403, allowed role → the handler.
//!
//! The first two tests read files only; the last drives the running platform.

use std::collections::{BTreeMap, BTreeSet};

use andes_tests::support::{access_claims, json, now_secs, sign_jwt, unique_tag, ApiKey, Ctx, Value, FORGED_SECRET};
use andes_tests::template::{load_permissions, HttpRoute, Template};

const ANONYMOUS: &str = "anonymous";
/// A role no permission entry names (role names are `[a-z0-9_]`).
const NOBODY_ROLE: &str = "nobody_role";

fn routes() -> Vec<HttpRoute> {
    let routes = Template::load().http_routes();
    assert!(!routes.is_empty(), "template.yaml declares no HttpApi routes");
    routes
}

fn is_anonymous(roles: &[String]) -> bool {
    roles.iter().any(|r| r == ANONYMOUS)
}

#[test]
fn every_route_has_a_permissions_entry() {
    let permissions = load_permissions();
    let missing: Vec<String> = routes()
        .iter()
        .map(HttpRoute::key)
        .filter(|key| !permissions.contains_key(key))
        .collect();
    assert!(
        missing.is_empty(),
        "routes of template.yaml without an entry in data/permissions.yaml: {missing:?}"
    );

    let declared: BTreeSet<String> = routes().iter().map(HttpRoute::key).collect();
    let stale: Vec<&String> = permissions.keys().filter(|key| !declared.contains(*key)).collect();
    assert!(
        stale.is_empty(),
        "entries of data/permissions.yaml for routes template.yaml does not declare: {stale:?}"
    );

    let empty: Vec<&String> = permissions
        .iter()
        .filter(|(_, roles)| roles.is_empty())
        .map(|(k, _)| k)
        .collect();
    assert!(empty.is_empty(), "permission entries that allow nobody: {empty:?}");
    assert!(
        !permissions.values().flatten().any(|role| role == NOBODY_ROLE),
        "{NOBODY_ROLE} is reserved for the tests"
    );
}

#[test]
fn route_authorizer_matches_its_permissions() {
    let permissions = load_permissions();
    let mut wrong = Vec::new();
    for route in routes() {
        let Some(roles) = permissions.get(&route.key()) else {
            continue;
        };
        let expected = if is_anonymous(roles) { "Optional" } else { "Required" };
        if route.authorizer.as_deref() != Some(expected) {
            wrong.push(format!(
                "{} (function {}): authorizer {:?}, expected {expected} for roles {roles:?}",
                route.key(),
                route.function,
                route.authorizer
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "routes whose Auth does not match data/permissions.yaml:\n{}",
        wrong.join("\n")
    );
}

/// What a request must meet.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// API Gateway's own answer: this status and `{"message": ...}`.
    Gateway(u16, &'static str),
    /// Past the authorizer: the function answers (anything but a gateway 401/403/404 or a 5xx).
    ReachesHandler,
}

/// Sends one request to a route; `Some(failure)` when the answer is not the expected one.
/// The method that reaches `route`: its own, or for `ANY` one that no sibling route on the
/// same path declares (API Gateway prefers a declared method over `ANY`).
fn request_method<'a>(route: &'a HttpRoute, all: &[HttpRoute]) -> &'a str {
    if route.method != "ANY" {
        return &route.method;
    }
    let taken = |method: &str| {
        all.iter()
            .any(|other| other.path == route.path && other.method == method)
    };
    ["PUT", "PATCH", "DELETE", "GET", "POST"]
        .into_iter()
        .find(|m| !taken(m))
        .unwrap_or("PUT")
}

async fn probe(
    ctx: &Ctx,
    route: &HttpRoute,
    method: &str,
    who: &str,
    bearer: Option<&str>,
    expect: Expect,
) -> Option<String> {
    let body = (!matches!(method, "GET" | "HEAD" | "DELETE" | "OPTIONS")).then(|| json!({}));
    let reply = ctx.call(method, &route.concrete_path(), bearer, body.as_ref()).await;
    let gateway_body =
        |message: &str| serde_json::from_str::<Value>(&reply.text).ok() == Some(json!({ "message": message }));
    let ok = match expect {
        Expect::Gateway(status, message) => reply.status == status && gateway_body(message),
        Expect::ReachesHandler => {
            let gateway_not_found = reply.status == 404 && gateway_body("Not Found");
            !reply.is_gateway_denial() && !gateway_not_found && reply.status < 500
        }
    };
    (!ok).then(|| {
        format!(
            "{} as {who}: expected {expect:?}, got {} {}",
            route.key(),
            reply.status,
            reply.text
        )
    })
}

#[tokio::test]
async fn gateway_enforces_every_routes_permissions() {
    let ctx = Ctx::new().await;
    let permissions = load_permissions();
    let now = now_secs();
    let principal = format!("permissions-test-{}", unique_tag());

    let mut issued: Vec<ApiKey> = Vec::new();
    let nobody = ctx.issue_api_key(&principal, NOBODY_ROLE).await;
    issued.push(nobody.clone());
    // One key per role that some protected route allows first: it must pass the authorizer.
    let mut role_keys: BTreeMap<String, ApiKey> = BTreeMap::new();
    for roles in permissions.values().filter(|roles| !is_anonymous(roles)) {
        if let Some(role) = roles.first() {
            if !role_keys.contains_key(role) {
                let key = ctx.issue_api_key(&principal, role).await;
                issued.push(key.clone());
                role_keys.insert(role.clone(), key);
            }
        }
    }

    let mut failures = Vec::new();
    let all_routes = routes();
    for route in all_routes.iter() {
        let method = request_method(route, &all_routes);
        let Some(roles) = permissions.get(&route.key()) else {
            failures.push(format!("{}: no permissions entry", route.key()));
            continue;
        };
        // A token claiming every role the route allows, signed with the wrong key.
        let claimed: Vec<&str> = roles.iter().map(String::as_str).chain(["user", "admin"]).collect();
        let forged = sign_jwt(FORGED_SECRET, &access_claims(&principal, &claimed, now, now + 3600));

        if is_anonymous(roles) {
            failures.extend(probe(&ctx, route, method, "anonymous caller", None, Expect::ReachesHandler).await);
            failures.extend(
                probe(
                    &ctx,
                    route,
                    method,
                    "forged bearer token",
                    Some(&forged),
                    Expect::Gateway(403, "Forbidden"),
                )
                .await,
            );
        } else {
            failures.extend(
                probe(
                    &ctx,
                    route,
                    method,
                    "anonymous caller",
                    None,
                    Expect::Gateway(401, "Unauthorized"),
                )
                .await,
            );
            let who = format!("API key with role {NOBODY_ROLE}");
            failures.extend(
                probe(
                    &ctx,
                    route,
                    method,
                    &who,
                    Some(&nobody.key),
                    Expect::Gateway(403, "Forbidden"),
                )
                .await,
            );
            failures.extend(
                probe(
                    &ctx,
                    route,
                    method,
                    "forged bearer token",
                    Some(&forged),
                    Expect::Gateway(403, "Forbidden"),
                )
                .await,
            );
            if let Some((role, key)) = roles.first().and_then(|role| Some((role, role_keys.get(role)?))) {
                let who = format!("API key with allowed role {role}");
                failures.extend(probe(&ctx, route, method, &who, Some(&key.key), Expect::ReachesHandler).await);
            }
        }
    }

    for key in &issued {
        ctx.revoke_api_key(key).await;
    }
    assert!(failures.is_empty(), "permission failures:\n{}", failures.join("\n"));
}
