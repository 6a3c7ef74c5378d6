//! Settings, read from the environment once per cold start, and the state every infractions
//! function shares.

use andes_shared::aws;
use andes_shared::config::{required, ConfigError};
use andes_shared::dynamo::Table;
use identity::directory::Directory;

use crate::store::Store;

/// Infractions' settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// `INFRACTIONS_TABLE`.
    pub table: String,
    /// `IDENTITY_TABLE`: the functions that issue or revoke officer keys (create and delete
    /// officer, the admin commands) use it.
    pub identity_table: String,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            table: required("INFRACTIONS_TABLE")?,
            identity_table: required("IDENTITY_TABLE")?,
        })
    }
}

/// What every infractions function shares, built once per cold start (building the clients
/// makes no network call).
pub struct State {
    pub config: Config,
    pub store: Store,
    /// Identity's accounts and keys (officer keys).
    pub directory: Directory,
}

impl State {
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let client = aws::dynamodb(&aws::sdk_config().await);
        Ok(Self::new(config, client))
    }

    pub fn new(config: Config, client: aws_sdk_dynamodb::Client) -> Self {
        Self {
            store: Store::new(Table::new(client.clone(), config.table.clone())),
            directory: Directory::new(client, config.identity_table.clone()),
            config,
        }
    }
}
