//! Settings, read from the environment once per cold start.

use andes_shared::aws;
use andes_shared::config::{parsed_or, required, ConfigError};
use andes_shared::dynamo::{self, string, Item};
use andes_shared::http::ApiError;
use aws_sdk_dynamodb::types::AttributeValue;
use identity::account::Account;

use crate::store::Store;

pub fn table_name() -> Result<String, ConfigError> {
    required("RIDES_TABLE")
}

pub fn identity_table_name() -> Result<String, ConfigError> {
    required("IDENTITY_TABLE")
}

pub fn exports_bucket() -> Result<String, ConfigError> {
    required("RIDES_EXPORTS_BUCKET")
}

pub fn imports_bucket() -> Result<String, ConfigError> {
    required("RIDES_IMPORTS_BUCKET")
}

/// Lifetime of export download links.
pub fn export_url_ttl_seconds() -> Result<u64, ConfigError> {
    parsed_or("EXPORT_URL_TTL_SECONDS", 3600)
}

/// Read access to identity's accounts: by id, and username → account id.
#[derive(Clone)]
pub struct Identity {
    store: identity::store::Store,
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl Identity {
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self {
            store: identity::store::Store::new(client.clone(), table.clone()),
            client,
            table,
        }
    }

    pub async fn account(&self, id: &str) -> Result<Option<Account>, ApiError> {
        self.store.get_account(id).await
    }

    /// The account id behind a username, through identity's `USERNAME#` guard item.
    pub async fn account_id_of(&self, username: &str) -> Result<Option<String>, ApiError> {
        let key = Item::from([
            ("pk".to_string(), string(identity::store::username_pk(username))),
            ("sk".to_string(), string("USERNAME")),
        ]);
        let item = dynamo::get_consistent(&self.client, &self.table, key).await?;
        Ok(item.and_then(|mut item| match item.remove("account_id") {
            Some(AttributeValue::S(id)) => Some(id),
            _ => None,
        }))
    }
}

/// The rides store and identity access, from the environment.
pub async fn stores() -> Result<(Store, Identity), ConfigError> {
    let table = table_name()?;
    let identity_table = identity_table_name()?;
    let client = aws::dynamodb(&aws::sdk_config().await);
    Ok((Store::new(client.clone(), table), Identity::new(client, identity_table)))
}
