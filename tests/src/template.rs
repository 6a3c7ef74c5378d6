//! Reads `template.yaml` (the one source of truth for functions, routes and triggers) and
//! `data/permissions.yaml`, so tests can check every declared route and function without
//! listing them a second time.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_yaml::Value;

use crate::support::project_dir;

pub fn template_path() -> PathBuf {
    project_dir().join("template.yaml")
}

pub fn permissions_path() -> PathBuf {
    project_dir().join("data").join("permissions.yaml")
}

/// One `HttpApi` event of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    /// Logical id of the function.
    pub function: String,
    /// Upper-cased method (`ANY` included).
    pub method: String,
    pub path: String,
    /// The authorizer in effect: the event's `Auth.Authorizer`, else the API's
    /// `DefaultAuthorizer`; `None` when neither names one.
    pub authorizer: Option<String>,
}

impl HttpRoute {
    /// The API Gateway route key, `POST /identity/signup`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The path with every `{param}` filled with a dummy value (`{proxy+}` with two segments).
    pub fn concrete_path(&self) -> String {
        concrete_path(&self.path)
    }
}

pub fn concrete_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with("+}") {
                "dummy/segment".to_string()
            } else if segment.starts_with('{') && segment.ends_with('}') {
                "dummy".to_string()
            } else {
                segment.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a concrete path (`/a/b`) matches a route path pattern (`/a/{id}`).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    for (index, segment) in pattern.iter().enumerate() {
        if segment.starts_with('{') && segment.ends_with("+}") {
            return path.len() > index && path[index..].iter().all(|s| !s.is_empty());
        }
        match path.get(index) {
            Some(actual) if segment.starts_with('{') && segment.ends_with('}') => {
                if actual.is_empty() {
                    return false;
                }
            }
            Some(actual) if actual == segment => {}
            _ => return false,
        }
    }
    pattern.len() == path.len()
}

/// What starts a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    Http(HttpRoute),
    Sqs,
    S3,
    DynamoDb,
    Schedule,
    Other(String),
}

/// One `AWS::Serverless::Function`.
#[derive(Debug, Clone)]
pub struct Function {
    pub logical_id: String,
    /// `Metadata.BuildProperties.Binary` (the cargo binary name).
    pub binary: Option<String>,
    pub triggers: Vec<Trigger>,
    /// Named by an HTTP API's Lambda authorizer.
    pub is_authorizer: bool,
}

impl Function {
    pub fn routes(&self) -> Vec<&HttpRoute> {
        self.triggers
            .iter()
            .filter_map(|t| match t {
                Trigger::Http(route) => Some(route),
                _ => None,
            })
            .collect()
    }
}

/// The parsed template.
pub struct Template {
    doc: Value,
}

impl Template {
    pub fn load() -> Template {
        let path = template_path();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let doc = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()));
        Template { doc }
    }

    fn resources(&self) -> Vec<(String, &Value)> {
        self.doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .map(|resources| {
                resources
                    .iter()
                    .filter_map(|(id, resource)| Some((id.as_str()?.to_string(), resource)))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn resource(&self, logical_id: &str) -> Option<&Value> {
        self.doc.get("Resources")?.get(logical_id)
    }

    fn of_type(&self, kind: &str) -> Vec<(String, &Value)> {
        self.resources()
            .into_iter()
            .filter(|(_, resource)| resource.get("Type").and_then(Value::as_str) == Some(kind))
            .collect()
    }

    /// Logical ids of the functions that HTTP APIs use as Lambda authorizers.
    fn authorizer_functions(&self) -> BTreeSet<String> {
        let mut ids = BTreeSet::new();
        for (_, api) in self.of_type("AWS::Serverless::HttpApi") {
            let Some(authorizers) = path(api, &["Properties", "Auth", "Authorizers"]).and_then(Value::as_mapping)
            else {
                continue;
            };
            for (_, authorizer) in authorizers {
                if let Some(id) = authorizer.get("FunctionArn").and_then(get_att_target) {
                    ids.insert(id);
                }
            }
        }
        ids
    }

    /// The default authorizer of the API an event names in `ApiId`.
    fn default_authorizer(&self, api_id: Option<&Value>) -> Option<String> {
        let api = self.resource(&api_id.and_then(ref_target)?)?;
        path(api, &["Properties", "Auth", "DefaultAuthorizer"])
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    pub fn functions(&self) -> Vec<Function> {
        let authorizers = self.authorizer_functions();
        self.of_type("AWS::Serverless::Function")
            .into_iter()
            .map(|(logical_id, resource)| {
                let binary = path(resource, &["Metadata", "BuildProperties", "Binary"])
                    .and_then(Value::as_str)
                    .map(str::to_string);
                let mut triggers = Vec::new();
                if let Some(events) = path(resource, &["Properties", "Events"]).and_then(Value::as_mapping) {
                    for (_, event) in events {
                        let kind = event.get("Type").and_then(Value::as_str).unwrap_or_default();
                        let properties = event.get("Properties");
                        let prop = |name: &str| properties.and_then(|p| p.get(name));
                        triggers.push(match kind {
                            "HttpApi" => {
                                let method = prop("Method").and_then(Value::as_str).unwrap_or("ANY").to_uppercase();
                                let route_path =
                                    prop("Path").and_then(Value::as_str).unwrap_or("/$default").to_string();
                                let authorizer = prop("Auth")
                                    .and_then(|auth| auth.get("Authorizer"))
                                    .and_then(Value::as_str)
                                    .map(str::to_string)
                                    .or_else(|| self.default_authorizer(prop("ApiId")));
                                Trigger::Http(HttpRoute {
                                    function: logical_id.clone(),
                                    method,
                                    path: route_path,
                                    authorizer,
                                })
                            }
                            "SQS" => Trigger::Sqs,
                            "S3" => Trigger::S3,
                            "DynamoDB" => Trigger::DynamoDb,
                            "Schedule" | "ScheduleV2" => Trigger::Schedule,
                            other => Trigger::Other(other.to_string()),
                        });
                    }
                }
                let is_authorizer = authorizers.contains(&logical_id);
                Function {
                    logical_id,
                    binary,
                    triggers,
                    is_authorizer,
                }
            })
            .collect()
    }

    pub fn http_routes(&self) -> Vec<HttpRoute> {
        self.functions()
            .into_iter()
            .flat_map(|f| f.routes().into_iter().cloned().collect::<Vec<_>>())
            .collect()
    }
}

/// `routes:` of `data/permissions.yaml`: route key → roles allowed.
pub fn load_permissions() -> BTreeMap<String, Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Permissions {
        routes: BTreeMap<String, Vec<String>>,
    }
    let path = permissions_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let permissions: Permissions = serde_yaml::from_str(&text)
        .unwrap_or_else(|e| panic!("parse {} (routes: map of route key → roles): {e}", path.display()));
    permissions.routes
}

fn path<'a>(value: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(value, |value, key| value.get(*key))
}

/// `!Ref X` / `{Ref: X}` → `X`.
fn ref_target(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str().map(str::to_string),
        Value::Mapping(_) => value.get("Ref").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// `!GetAtt X.Arn` / `!GetAtt [X, Arn]` / `{Fn::GetAtt: ...}` → `X`.
fn get_att_target(value: &Value) -> Option<String> {
    let target = match value {
        Value::Tagged(tagged) if tagged.tag == "GetAtt" => &tagged.value,
        Value::Mapping(_) => value.get("Fn::GetAtt")?,
        _ => return None,
    };
    match target {
        Value::String(text) => text.split('.').next().map(str::to_string),
        Value::Sequence(parts) => parts.first().and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_patterns() {
        assert!(path_matches("/identity/me", "/identity/me"));
        assert!(!path_matches("/identity/me", "/identity/me/x"));
        assert!(path_matches("/rides/{id}/join", "/rides/42/join"));
        assert!(!path_matches("/rides/{id}/join", "/rides//join"));
        assert!(path_matches("/files/{proxy+}", "/files/a/b"));
        assert!(!path_matches("/files/{proxy+}", "/files"));
        assert_eq!(
            concrete_path("/rides/{id}/members/{member}"),
            "/rides/dummy/members/dummy"
        );
        assert!(path_matches("/files/{proxy+}", &concrete_path("/files/{proxy+}")));
    }

    #[test]
    fn template_declares_identity_routes() {
        let template = Template::load();
        let routes: Vec<String> = template.http_routes().iter().map(HttpRoute::key).collect();
        for key in [
            "POST /identity/signup",
            "POST /identity/login",
            "POST /identity/verify",
            "GET /identity/me",
            "PATCH /identity/me",
        ] {
            assert!(
                routes.contains(&key.to_string()),
                "{key} missing from template routes {routes:?}"
            );
        }
        let functions = template.functions();
        let authorizer = functions
            .iter()
            .find(|f| f.is_authorizer)
            .expect("an authorizer function");
        assert_eq!(authorizer.binary.as_deref(), Some("identity-authorizer"));
        let get_me = template
            .http_routes()
            .into_iter()
            .find(|r| r.key() == "GET /identity/me")
            .unwrap();
        assert_eq!(
            get_me.authorizer.as_deref(),
            Some("Required"),
            "default authorizer applies"
        );
    }
}
