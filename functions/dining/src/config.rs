//! Dining settings, read from the environment once per cold start, and the state every dining
//! function shares.

use andes_shared::aws;
use andes_shared::config::{required, ConfigError};
use andes_shared::dynamo::Table;

use crate::store::Store;

/// Dining's settings. Every function gets `DINING_TABLE` (template.yaml's `Globals`).
#[derive(Debug, Clone)]
pub struct Config {
    pub table: String,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            table: required("DINING_TABLE")?,
        })
    }
}

/// What every dining function shares, built once per cold start (building the clients makes no
/// network call).
pub struct State {
    pub config: Config,
    pub store: Store,
}

impl State {
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let sdk = aws::sdk_config().await;
        Ok(Self {
            store: Store::new(Table::new(aws::dynamodb(&sdk), config.table.clone())),
            config,
        })
    }
}
