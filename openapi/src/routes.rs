//! The routes of `template.yaml` (read by the local platform's own reader) and the roles
//! `data/permissions.yaml` gives them.

use std::collections::BTreeMap;
use std::path::Path;

use andes_local::template::{self, EventSource, StackOptions};

use crate::Error;

/// One API Gateway route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Logical id of the `HttpApi`.
    pub api: String,
    /// Upper-case method or `ANY`.
    pub method: String,
    pub path: String,
    /// Logical id of the function behind it.
    pub function: String,
    /// `Required` (the gateway answers 401 without credentials), `Optional`, or none.
    pub authorizer: Option<String>,
    /// The roles of `data/permissions.yaml` (`anonymous` opens it to everyone).
    pub roles: Vec<String>,
    /// Whether the function's policies grant any DynamoDB action (only then can it answer the
    /// shared table layer's 503).
    pub uses_tables: bool,
}

impl Route {
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    pub fn is_anonymous(&self) -> bool {
        self.roles.iter().any(|role| role == "anonymous")
    }
}

pub struct Routes(pub Vec<Route>);

impl Routes {
    pub fn load(root: &Path) -> Result<Routes, Error> {
        let template_path = root.join("template.yaml");
        let options = StackOptions {
            stack_name: "andes".into(),
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            endpoint: "http://127.0.0.1:1".into(),
            parameter_overrides: BTreeMap::new(),
        };
        let stack = template::load(&template_path, &options).map_err(|error| Error::Read {
            path: template_path.display().to_string(),
            message: error.to_string(),
        })?;
        let permissions = load_permissions(&root.join("data").join("permissions.yaml"))?;
        let policies = function_policies(&template_path)?;
        let mut routes = Vec::new();
        for function in &stack.functions {
            for event in &function.events {
                if let EventSource::HttpApi(route) = event {
                    let key = route.route_key();
                    let Some(roles) = permissions.get(&key) else {
                        return Err(Error::Read {
                            path: "data/permissions.yaml".into(),
                            message: format!("{key} has no entry (every route needs one: default deny)"),
                        });
                    };
                    routes.push(Route {
                        api: route.api.clone(),
                        method: route.method.clone(),
                        path: route.path.clone(),
                        function: function.logical_id.clone(),
                        authorizer: route.authorizer.clone(),
                        roles: roles.clone(),
                        uses_tables: policies
                            .get(&function.logical_id)
                            .is_some_and(|text| text.contains("DynamoDB") || text.contains("dynamodb:")),
                    });
                }
            }
        }
        Ok(Routes(routes))
    }

    pub fn of_api<'a>(&'a self, api: &'a str) -> impl Iterator<Item = &'a Route> {
        self.0.iter().filter(move |route| route.api == api)
    }

    /// The route a request `method path` of `api` reaches: its own, else the path's `ANY`.
    pub fn find(&self, api: &str, method: &str, path: &str) -> Option<&Route> {
        let on_path = |wanted: &str| {
            self.0
                .iter()
                .find(|route| route.api == api && route.path == path && route.method == wanted)
        };
        on_path(method).or_else(|| on_path("ANY"))
    }
}

fn load_permissions(path: &Path) -> Result<BTreeMap<String, Vec<String>>, Error> {
    #[derive(serde::Deserialize)]
    struct Permissions {
        routes: BTreeMap<String, Vec<String>>,
    }
    let failed = |message: String| Error::Read {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|error| failed(error.to_string()))?;
    let permissions: Permissions = serde_yaml::from_str(&text).map_err(|error| failed(error.to_string()))?;
    Ok(permissions.routes)
}

/// Each function's `Policies`, as YAML text (SAM policy templates are named `DynamoDB...`,
/// statements name `dynamodb:` actions).
fn function_policies(template_path: &Path) -> Result<BTreeMap<String, String>, Error> {
    let failed = |message: String| Error::Read {
        path: template_path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(template_path).map_err(|error| failed(error.to_string()))?;
    let template: serde_yaml::Value = serde_yaml::from_str(&text).map_err(|error| failed(error.to_string()))?;
    let resources = template.get("Resources").and_then(serde_yaml::Value::as_mapping);
    Ok(resources
        .into_iter()
        .flatten()
        .filter_map(|(id, resource)| {
            let policies = resource.get("Properties")?.get("Policies")?;
            Some((id.as_str()?.to_string(), serde_yaml::to_string(policies).ok()?))
        })
        .collect())
}
