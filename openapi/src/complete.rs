//! What every route of every API shares, added to a service's own description: its operation
//! id and tag, its security (from `data/permissions.yaml`), the answers API Gateway gives before
//! the function runs (401 without credentials, 403 from the authorizer, 429 from throttling),
//! the 400/413/422 of a JSON body, the 503 of a busy table (throttled, or a write still
//! contended after the shared layer's retries), and the problem+json body of every handler error.

use serde_json::{json, Map, Value};
use utoipa::PartialSchema;

use crate::routes::{Route, Routes};
use crate::Api;

pub const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

const PROBLEM_JSON: &str = "application/problem+json";
const GATEWAY_JSON: &str = "application/json";

pub fn complete(document: &mut Value, api: &Api, routes: &Routes) {
    document["info"]["version"] = env!("CARGO_PKG_VERSION").into();
    let mut roles = std::collections::BTreeSet::new();
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            for method in METHODS {
                let Some(operation) = item.get_mut(method) else {
                    continue;
                };
                let Some(route) = routes.find(api.logical_id, &method.to_uppercase(), path) else {
                    continue; // the route check reports it
                };
                complete_operation(operation, method, path, route);
                if route.is_anonymous() {
                    if route.authorizer.as_deref() == Some("Optional") {
                        roles.insert("user".to_string());
                    }
                } else {
                    roles.extend(route.roles.iter().cloned());
                }
            }
        }
    }
    let components = document
        .as_object_mut()
        .expect("a document is an object")
        .entry("components")
        .or_insert_with(|| json!({}));
    let schemas = object_entry(components, "schemas");
    for (name, schema) in [
        ("Problem", andes_shared::openapi::Problem::schema()),
        ("FieldError", andes_shared::openapi::FieldError::schema()),
        ("GatewayMessage", andes_shared::openapi::GatewayMessage::schema()),
    ] {
        schemas.insert(name.into(), serde_json::to_value(schema).expect("a schema serialises"));
    }
    let schemes = object_entry(components, "securitySchemes");
    for role in roles {
        schemes.insert(role.clone(), security_scheme(&role));
    }
}

fn complete_operation(operation: &mut Value, method: &str, path: &str, route: &Route) {
    let id = route.function.strip_suffix("Function").unwrap_or(&route.function);
    operation["operationId"] = if route.method == "ANY" {
        format!("{id}{}{}", method[..1].to_uppercase(), &method[1..])
    } else {
        id.to_string()
    }
    .into();
    operation["tags"] = json!([path.split('/').nth(2).unwrap_or("api")]);
    operation["security"] = if route.is_anonymous() && route.authorizer.as_deref() == Some("Optional") {
        // Open to everyone, and a signed-in caller is seen as such (an ad's owner sees the
        // draft); credentials that are sent must be valid.
        json!([{ "user": [] }, {}])
    } else if route.is_anonymous() {
        json!([])
    } else {
        Value::Array(route.roles.iter().map(|role| json!({ role: [] })).collect())
    };
    let has_body = operation.get("requestBody").is_some();
    let responses = object_entry(operation, "responses");
    for (status, response) in responses.iter_mut() {
        let is_error = status.starts_with('4') || status.starts_with('5');
        if is_error && response.get("content").is_none() {
            response["content"] = json!({ PROBLEM_JSON: { "schema": { "$ref": "#/components/schemas/Problem" } } });
        }
    }
    if has_body {
        add_problem(responses, "400", "The body is missing or not a JSON object");
        add_problem(responses, "413", "The body is larger than the route accepts");
        add_problem(responses, "422", "A field is missing or invalid (`errors` names each)");
    }
    if route.uses_tables && route.method != "ANY" {
        // The shared table layer answers 503 when DynamoDB throttles, or a write is still
        // contended after its retries (an `ANY` route's other methods only refuse).
        add_problem(
            responses,
            "503",
            "The table was busy or a write stayed contended; retry",
        );
    }
    if !route.is_anonymous() && route.authorizer.as_deref() == Some("Required") {
        add_gateway(responses, "401", "No `Authorization` header (answered by API Gateway)");
    }
    add_gateway(
        responses,
        "403",
        "The credentials are invalid, expired or revoked, or lack a role the route needs (answered by the authorizer)",
    );
    add_gateway(responses, "429", "Stage throttling (answered by API Gateway)");
}

fn add_problem(responses: &mut Map<String, Value>, status: &str, description: &str) {
    responses.entry(status).or_insert_with(|| {
        json!({
            "description": description,
            "content": { PROBLEM_JSON: { "schema": { "$ref": "#/components/schemas/Problem" } } },
        })
    });
}

/// A gateway answer beside whatever the handler answers with the same status.
fn add_gateway(responses: &mut Map<String, Value>, status: &str, description: &str) {
    let response = responses
        .entry(status)
        .or_insert_with(|| json!({ "description": description, "content": {} }));
    if let Some(handler) = response["description"].as_str().filter(|text| *text != description) {
        response["description"] = format!("{handler}; or: {description}").into();
    }
    let content = object_entry(response, "content");
    content.insert(
        GATEWAY_JSON.into(),
        json!({ "schema": { "$ref": "#/components/schemas/GatewayMessage" } }),
    );
}

fn security_scheme(role: &str) -> Value {
    if role == "officer" {
        json!({
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "API key",
            "description": "An officer's API key (issued by an admin), sent as `Authorization: Bearer <key>`.",
        })
    } else {
        json!({
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": format!("An access token from `POST /identity/login` of an account with the `{role}` role."),
        })
    }
}

fn object_entry<'a>(value: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    let object = value.as_object_mut().expect("an object");
    let entry = object.entry(key).or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    entry.as_object_mut().expect("just made an object")
}
