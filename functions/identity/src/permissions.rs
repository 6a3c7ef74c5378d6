//! The permissions table: route key (`METHOD /base/path/{param}`) → roles allowed.
//!
//! Default deny: a route without an entry is refused to everyone. An entry listing
//! `anonymous` is open to every caller whose credentials (if any) are valid; otherwise the
//! caller needs one of the listed roles. No role (not even `admin`) has implicit rights.

use std::collections::BTreeMap;

use andes_shared::auth::{Principal, ANONYMOUS_ROLE};
use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions {
    routes: BTreeMap<String, Vec<String>>,
}

/// `data/permissions.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PermissionsFile {
    routes: BTreeMap<String, Vec<String>>,
}

const METHODS: [&str; 8] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"];

impl Permissions {
    pub fn new(routes: BTreeMap<String, Vec<String>>) -> Self {
        Self { routes }
    }

    pub fn routes(&self) -> &BTreeMap<String, Vec<String>> {
        &self.routes
    }

    /// Parses and checks the YAML file: route keys must be `METHOD /path`, roles non-empty.
    pub fn from_yaml(text: &str) -> Result<Self, String> {
        let file: PermissionsFile = serde_yaml::from_str(text).map_err(|e| format!("invalid permissions file: {e}"))?;
        for (route, roles) in &file.routes {
            check_route_key(route)?;
            for role in roles {
                crate::validation::check_role(role).map_err(|e| format!("{route}: {e}"))?;
            }
        }
        Ok(Self::new(file.routes))
    }

    pub fn is_allowed(&self, route_key: &str, principal: &Principal) -> bool {
        match self.routes.get(route_key) {
            None => false,
            Some(roles) => roles
                .iter()
                .any(|role| role == ANONYMOUS_ROLE || principal.has_role(role)),
        }
    }

    /// What loading `desired` over `self` adds, changes and removes.
    pub fn diff(&self, desired: &Permissions) -> PermissionsDiff {
        let mut diff = PermissionsDiff::default();
        for (route, roles) in &desired.routes {
            match self.routes.get(route) {
                None => diff.added.push(route.clone()),
                Some(current) if sorted(current) != sorted(roles) => diff.changed.push(route.clone()),
                Some(_) => {}
            }
        }
        diff.removed = self
            .routes
            .keys()
            .filter(|route| !desired.routes.contains_key(*route))
            .cloned()
            .collect();
        diff
    }
}

fn sorted(roles: &[String]) -> Vec<&String> {
    let mut roles: Vec<&String> = roles.iter().collect();
    roles.sort();
    roles.dedup();
    roles
}

fn check_route_key(route: &str) -> Result<(), String> {
    let ok = route
        .split_once(' ')
        .is_some_and(|(method, path)| METHODS.contains(&method) && path.starts_with('/') && !path.contains(' '));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "route key {route:?} must look like \"GET /base/path/{{param}}\""
        ))
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct PermissionsDiff {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

impl PermissionsDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use andes_shared::auth::PrincipalKind;

    fn table() -> Permissions {
        Permissions::from_yaml(
            r#"
routes:
  "POST /identity/signup": [anonymous]
  "GET /identity/me": [user]
  "DELETE /dining/venues/{id}": [restaurant, admin]
  "GET /nobody": []
"#,
        )
        .unwrap()
    }

    fn account(roles: &[&str]) -> Principal {
        Principal {
            id: "a1".into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            kind: PrincipalKind::Account,
        }
    }

    #[test]
    fn decision_table() {
        let t = table();
        let anonymous = Principal::anonymous();
        let user = account(&["user"]);
        let admin = account(&["user", "admin"]);
        let restaurant = account(&["user", "restaurant"]);
        let cases: &[(&str, &Principal, bool)] = &[
            ("POST /identity/signup", &anonymous, true),
            ("POST /identity/signup", &user, true),
            ("GET /identity/me", &anonymous, false),
            ("GET /identity/me", &user, true),
            ("DELETE /dining/venues/{id}", &user, false),
            ("DELETE /dining/venues/{id}", &restaurant, true),
            ("DELETE /dining/venues/{id}", &admin, true),
            ("GET /nobody", &admin, false),
            ("GET /not/listed", &anonymous, false),
            ("GET /not/listed", &admin, false),
            ("", &admin, false),
        ];
        for (route, principal, expected) in cases {
            assert_eq!(
                t.is_allowed(route, principal),
                *expected,
                "{route} {:?}",
                principal.roles
            );
        }
    }

    #[test]
    fn admin_has_no_implicit_rights() {
        let t = table();
        assert!(!t.is_allowed("GET /identity/me", &account(&["admin"])));
    }

    #[test]
    fn malformed_files_are_refused() {
        assert!(Permissions::from_yaml("routes:\n  \"FETCH /x\": [user]\n").is_err());
        assert!(Permissions::from_yaml("routes:\n  \"GET x\": [user]\n").is_err());
        assert!(Permissions::from_yaml("routes:\n  \"GET /x\": [\"Bad Role\"]\n").is_err());
        assert!(Permissions::from_yaml("rutas: {}\n").is_err());
    }

    #[test]
    fn diff_lists_added_changed_and_removed_routes() {
        let current = table();
        let desired = Permissions::from_yaml(
            r#"
routes:
  "POST /identity/signup": [anonymous]
  "GET /identity/me": [user, client]
  "GET /nobody": []
  "POST /identity/login": [anonymous]
"#,
        )
        .unwrap();
        let diff = current.diff(&desired);
        assert_eq!(diff.added, vec!["POST /identity/login"]);
        assert_eq!(diff.changed, vec!["GET /identity/me"]);
        assert_eq!(diff.removed, vec!["DELETE /dining/venues/{id}"]);
        assert!(desired.diff(&desired).is_empty());
    }

    /// The project's file passes the rules `load-permissions` applies. That every route of
    /// template.yaml has an entry (and no entry is stale) is checked once, with the other
    /// template checks, in `tests/tests/permissions.rs`.
    #[test]
    fn the_project_permissions_file_loads() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/permissions.yaml");
        let permissions = Permissions::from_yaml(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert!(permissions.routes().contains_key("GET /identity/me"));
    }
}
