//! Dining settings, read from the environment once per cold start, and the state every dining
//! function shares.

use andes_shared::aws;
use andes_shared::config::{required, ConfigError};
use andes_shared::dynamo::Table;
use identity::directory::Directory;

use crate::store::Store;

/// Dining's settings. Every function gets `DINING_TABLE` and `IDENTITY_TABLE` (template.yaml's
/// `Globals`).
#[derive(Debug, Clone)]
pub struct Config {
    pub table: String,
    /// Identity's table, read through [`Directory`] only (diners' and owners' names and phones).
    pub identity_table: String,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            table: required("DINING_TABLE")?,
            identity_table: required("IDENTITY_TABLE")?,
        })
    }
}

/// What every dining function shares, built once per cold start (building the clients makes no
/// network call).
pub struct State {
    pub config: Config,
    pub store: Store,
    /// Identity's accounts.
    pub directory: Directory,
}

impl State {
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let sdk = aws::sdk_config().await;
        let dynamodb = aws::dynamodb(&sdk);
        Ok(Self {
            store: Store::new(Table::new(dynamodb.clone(), config.table.clone())),
            directory: Directory::new(dynamodb, config.identity_table.clone()),
            config,
        })
    }
}
