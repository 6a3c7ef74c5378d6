//! What the backend tests share: a free port, the local backend started on it (moto from the
//! venv), and a stream-enabled table keyed by `pk`. Each test binary uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;

use andes_local::backend::access::Access;
use andes_local::backend::Backend;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, StreamSpecification,
    StreamViewType,
};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The backend on `port` with `access` (`Access::admin_only()`: the well-known local key
/// only), moto filing under `account`; `None`, said on stderr, when the venv is missing.
pub async fn backend(port: u16, account: Option<&str>, access: Access) -> Option<Backend> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("../.venv/bin/python");
    if !python.exists() {
        eprintln!(
            "SKIPPED: {} is missing (run `make venv` to install moto)",
            python.display()
        );
        return None;
    }
    let script = root.join("python/moto_server.py");
    let backend = Backend::start_with_account(&python, &script, port, account, access)
        .await
        .expect("backend starts");
    Some(backend)
}

/// A table keyed by the string `pk`, its stream with old and new images.
pub async fn create_streamed_table(ddb: &aws_sdk_dynamodb::Client, table: &str) {
    ddb.create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}
