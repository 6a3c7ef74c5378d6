//! What the local platform reproduces of API Gateway (HTTP API, payload 2.0) in front of the
//! functions: routing, the Required authorizer's 401, body limits, and malformed bodies
//! reaching the handler.

use andes_tests::support::{unique_tag, Ctx};

#[tokio::test]
async fn health_answers() {
    let ctx = Ctx::new().await;
    ctx.call("GET", "/_local/health", None, None).await.expect(200);
}

#[tokio::test]
async fn unknown_routes_are_not_found() {
    let ctx = Ctx::new().await;
    let nowhere = format!("/identity/nowhere-{}", unique_tag());
    for (method, path) in [
        ("GET", nowhere.as_str()),
        ("POST", nowhere.as_str()),
        ("GET", "/no-such-api/resource"),
        ("GET", "/"),
        ("GET", "/identity"),
        ("GET", "/identity/me/extra"),
    ] {
        ctx.call(method, path, None, None)
            .await
            .expect_gateway(404, "Not Found");
    }
}

#[tokio::test]
async fn existing_path_with_another_method_is_not_found() {
    let ctx = Ctx::new().await;
    ctx.call("DELETE", "/identity/me", None, None)
        .await
        .expect_gateway(404, "Not Found");
    ctx.call("PUT", "/identity/me", None, None)
        .await
        .expect_gateway(404, "Not Found");
    ctx.call("GET", "/identity/signup", None, None)
        .await
        .expect_gateway(404, "Not Found");
}

#[tokio::test]
async fn required_route_without_credentials_is_unauthorized() {
    let ctx = Ctx::new().await;
    ctx.me(None).await.expect_gateway(401, "Unauthorized");
    ctx.call_raw("GET", "/identity/me", &[("authorization", "")], Vec::new())
        .await
        .expect_gateway(401, "Unauthorized");
    // The query string does not change the route.
    ctx.call("GET", "/identity/me?verbose=1", None, None)
        .await
        .expect_gateway(401, "Unauthorized");
}

#[tokio::test]
async fn bodies_over_ten_megabytes_are_too_large() {
    let ctx = Ctx::new().await;
    let mut body = b"{\"email\":\"".to_vec();
    body.resize(11 * 1024 * 1024, b'a');
    body.extend_from_slice(b"\"}");
    let reply = ctx
        .call_raw(
            "POST",
            "/identity/signup",
            &[("content-type", "application/json")],
            body,
        )
        .await;
    assert_eq!(
        reply.status, 413,
        "11 MB body: expected 413, got {} {}",
        reply.status, reply.text
    );
}

#[tokio::test]
async fn malformed_json_is_a_bad_request() {
    let ctx = Ctx::new().await;
    for body in ["{\"email\": ", "not json at all", "[1, 2, 3]", ""] {
        ctx.call_raw(
            "POST",
            "/identity/signup",
            &[("content-type", "application/json")],
            body.as_bytes().to_vec(),
        )
        .await
        .expect_problem(400, None);
    }
}

#[tokio::test]
async fn handler_errors_keep_their_status_and_content_type() {
    // A 422 problem from a function goes back to the client as the function answered it.
    let ctx = Ctx::new().await;
    let body = andes_tests::support::json!({ "email": "x@example.com" });
    let problem = ctx.signup_with(&body).await.expect_problem(422, None);
    assert!(
        problem["errors"].is_array(),
        "validation problem lists errors: {problem}"
    );
}
