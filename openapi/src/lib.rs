//! The OpenAPI 3.1 documents of Andes' HTTP APIs, one per `AWS::Serverless::HttpApi` of
//! `template.yaml`. Each service describes its routes and types in its own `openapi.rs`;
//! [`complete`] adds what every route shares, taken from the files the platform itself runs
//! on (the template's routes and authorizers, `data/permissions.yaml`), so none of it is
//! written twice. `andes-openapi write` saves them to `docs/openapi/<api>.json`.

pub mod complete;
pub mod routes;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// One HTTP API: its document's file name, the template's logical id and the service's own
/// description of it.
pub struct Api {
    pub name: &'static str,
    pub logical_id: &'static str,
    pub describe: fn() -> utoipa::openapi::OpenApi,
}

pub const APIS: [Api; 6] = [
    Api {
        name: "identity",
        logical_id: "IdentityApi",
        describe: identity::openapi::document,
    },
    Api {
        name: "infractions",
        logical_id: "InfractionsApi",
        describe: infractions::openapi::document,
    },
    Api {
        name: "classifieds",
        logical_id: "ClassifiedsApi",
        describe: classifieds::openapi::document,
    },
    Api {
        name: "rides",
        logical_id: "RidesApi",
        describe: rides::openapi::document,
    },
    Api {
        name: "deliveries",
        logical_id: "DeliveriesApi",
        describe: deliveries::openapi::document,
    },
    Api {
        name: "dining",
        logical_id: "DiningApi",
        describe: dining::openapi::document,
    },
];

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Read { path: String, message: String },
}

/// The repository's root (this crate sits one level below it).
pub fn project_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate has a parent directory")
        .to_path_buf()
}

/// Where `api`'s document is committed.
pub fn document_path(root: &Path, api: &Api) -> PathBuf {
    root.join("docs").join("openapi").join(format!("{}.json", api.name))
}

/// Every API's completed document, as it is written to its file.
pub fn generate(root: &Path) -> Result<Vec<(&'static Api, String)>, Error> {
    let routes = routes::Routes::load(root)?;
    APIS.iter()
        .map(|api| {
            let mut document = serde_json::to_value((api.describe)()).expect("a document serialises");
            complete::complete(&mut document, api, &routes);
            Ok((api, text_of(&document)))
        })
        .collect()
}

fn text_of(document: &Value) -> String {
    let mut text = serde_json::to_string_pretty(document).expect("a document serialises");
    text.push('\n');
    text
}
