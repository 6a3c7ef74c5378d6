//! The committed documents are what the code generates, and they describe exactly the routes of
//! `template.yaml`: none missing, none that API Gateway would not route.

use std::collections::BTreeSet;

use andes_openapi::complete::METHODS;
use andes_openapi::routes::Routes;
use andes_openapi::{document_path, generate, project_dir, APIS};
use serde_json::Value;

#[test]
fn committed_documents_are_what_the_code_generates() {
    let root = project_dir();
    for (api, generated) in generate(&root).expect("documents generate") {
        let path = document_path(&root, api);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "{} differs from what the code describes: run `make openapi` and commit it",
            path.display()
        );
    }
}

/// `METHOD /path` of every operation of a document.
fn documented(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().cloned().unwrap_or_default();
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(|method| (method.to_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_template_route_is_documented_and_every_documented_route_is_routed() {
    let root = project_dir();
    let routes = Routes::load(&root).expect("template and permissions load");
    let mut problems = Vec::new();
    for (api, text) in generate(&root).expect("documents generate") {
        let document: Value = serde_json::from_str(&text).expect("a document is JSON");
        let operations = documented(&document);
        for route in routes.of_api(api.logical_id) {
            let covered = if route.method == "ANY" {
                operations.iter().any(|(_, path)| *path == route.path)
            } else {
                operations.contains(&(route.method.clone(), route.path.clone()))
            };
            if !covered {
                problems.push(format!("{}: {} is not documented", api.name, route.key()));
            }
        }
        for (method, path) in &operations {
            if routes.find(api.logical_id, method, path).is_none() {
                problems.push(format!("{}: {method} {path} is documented but not routed", api.name));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Unique operation ids (generators name methods after them), and a success for every operation
/// but the methods of an `ANY` route, which only refuse.
#[test]
fn every_operation_has_a_unique_id_and_a_success() {
    let root = project_dir();
    let routes = Routes::load(&root).expect("template and permissions load");
    let mut ids = BTreeSet::new();
    for (api, text) in generate(&root).expect("documents generate") {
        let document: Value = serde_json::from_str(&text).expect("a document is JSON");
        assert_eq!(document["openapi"], "3.1.0", "{}", api.name);
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            for method in METHODS.iter().filter(|method| item.get(**method).is_some()) {
                let operation = &item[*method];
                let id = operation["operationId"].as_str().unwrap_or_default().to_string();
                assert!(
                    ids.insert(id.clone()),
                    "{method} {path}: operationId {id:?} is not unique"
                );
                let route = routes.find(api.logical_id, &method.to_uppercase(), path);
                if route.is_some_and(|route| route.method == "ANY") {
                    continue;
                }
                let responses = operation["responses"].as_object().expect("responses");
                assert!(
                    responses.keys().any(|status| status.starts_with('2')),
                    "{method} {path} documents no success"
                );
            }
        }
    }
}

#[test]
fn every_http_api_of_the_template_has_a_document() {
    let routes = Routes::load(&project_dir()).expect("template and permissions load");
    let in_template: BTreeSet<&str> = routes.0.iter().map(|route| route.api.as_str()).collect();
    let documented: BTreeSet<&str> = APIS.iter().map(|api| api.logical_id).collect();
    assert_eq!(in_template, documented);
}
