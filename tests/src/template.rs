//! `template.yaml` (the one source of truth for functions, routes and triggers), read by the
//! local platform's own reader, and `data/permissions.yaml`, so tests can check every declared
//! route and function without listing them a second time.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use andes_local::template::{EventSource, Stack, StackOptions};

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

/// The template as the local platform reads it: the tests use `andes-local`'s reader (the one
/// that runs the stack), so what they check is what the platform serves.
pub struct Template {
    stack: Stack,
}

impl Template {
    pub fn load() -> Template {
        let path = template_path();
        let options = StackOptions {
            stack_name: "andes-tests".into(),
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            endpoint: "http://127.0.0.1:9".into(),
            parameter_overrides: BTreeMap::new(),
        };
        let stack =
            andes_local::template::load(&path, &options).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        Template { stack }
    }

    pub fn functions(&self) -> Vec<Function> {
        let authorizers: BTreeSet<&str> = self
            .stack
            .apis
            .iter()
            .flat_map(|api| api.authorizers.values())
            .map(|a| a.function.as_str())
            .collect();
        self.stack
            .functions
            .iter()
            .map(|function| Function {
                logical_id: function.logical_id.clone(),
                binary: Some(function.binary.clone()).filter(|binary| !binary.is_empty()),
                triggers: function
                    .events
                    .iter()
                    .map(|event| match event {
                        EventSource::HttpApi(route) => Trigger::Http(HttpRoute {
                            function: function.logical_id.clone(),
                            method: route.method.clone(),
                            path: route.path.clone(),
                            authorizer: route.authorizer.clone(),
                        }),
                        EventSource::Sqs(_) => Trigger::Sqs,
                        EventSource::S3(_) => Trigger::S3,
                        EventSource::DynamoDb(_) => Trigger::DynamoDb,
                        EventSource::Schedule(_) => Trigger::Schedule,
                    })
                    .collect(),
                is_authorizer: authorizers.contains(function.logical_id.as_str()),
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
