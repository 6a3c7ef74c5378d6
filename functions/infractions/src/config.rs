//! Settings, read from the environment once per cold start.

use andes_shared::aws;
use andes_shared::config::{required, ConfigError};

use crate::store::Store;

pub fn table_name() -> Result<String, ConfigError> {
    required("INFRACTIONS_TABLE")
}

pub fn identity_table_name() -> Result<String, ConfigError> {
    required("IDENTITY_TABLE")
}

/// The infractions store (and the identity store when `with_identity`), from the environment.
pub async fn stores(with_identity: bool) -> Result<(Store, Option<identity::store::Store>), ConfigError> {
    let table = table_name()?;
    let identity_table = if with_identity {
        Some(identity_table_name()?)
    } else {
        None
    };
    let client = aws::dynamodb(&aws::sdk_config().await);
    let identity = identity_table.map(|t| identity::store::Store::new(client.clone(), t));
    Ok((Store::new(client, table), identity))
}
