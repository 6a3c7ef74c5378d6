//! Deliveries settings, read from the environment once per cold start, and the state every
//! deliveries function shares.

use andes_shared::aws;
use andes_shared::config::{needed, optional, required, ConfigError};
use andes_shared::dynamo::Table;
use andes_shared::http::ApiError;

use crate::store::Store;

/// Deliveries' settings. Every function gets `DELIVERIES_TABLE` (template.yaml's `Globals`);
/// the queues only the functions that send to them.
#[derive(Debug, Clone)]
pub struct Config {
    pub table: String,
    /// `DELIVERIES_SAGA_QUEUE_URL` (the saga's stream router).
    pub saga_queue_url: Option<String>,
    /// `NOTIFICATIONS_QUEUE_URL` (the projector: identity's notifier sends the messages).
    pub notifications_queue_url: Option<String>,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            table: required("DELIVERIES_TABLE")?,
            saga_queue_url: optional("DELIVERIES_SAGA_QUEUE_URL"),
            notifications_queue_url: optional("NOTIFICATIONS_QUEUE_URL"),
        })
    }

    pub fn saga_queue_url(&self) -> Result<&str, ApiError> {
        needed(self.saga_queue_url.as_deref(), "DELIVERIES_SAGA_QUEUE_URL")
    }

    pub fn notifications_queue_url(&self) -> Result<&str, ApiError> {
        needed(self.notifications_queue_url.as_deref(), "NOTIFICATIONS_QUEUE_URL")
    }
}

/// What every deliveries function shares, built once per cold start (building the clients
/// makes no network call).
pub struct State {
    pub config: Config,
    pub store: Store,
    pub sqs: aws_sdk_sqs::Client,
}

impl State {
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let sdk = aws::sdk_config().await;
        Ok(Self {
            store: Store::new(Table::new(aws::dynamodb(&sdk), config.table.clone())),
            sqs: aws::sqs(&sdk),
            config,
        })
    }
}
