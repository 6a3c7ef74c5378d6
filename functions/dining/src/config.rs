//! Dining settings, read from the environment once per cold start, and the state every dining
//! function shares.

use andes_shared::aws;
use andes_shared::config::{needed, optional, required, ConfigError};
use andes_shared::dynamo::Table;
use andes_shared::http::ApiError;
use identity::directory::Directory;

use crate::store::Store;

/// Dining's settings. Every function gets `DINING_TABLE` and `IDENTITY_TABLE` (template.yaml's
/// `Globals`); the queues only the functions that send to them.
#[derive(Debug, Clone)]
pub struct Config {
    pub table: String,
    /// Identity's table, read through [`Directory`] only (diners' and owners' names and phones).
    pub identity_table: String,
    /// `DINING_EVENTS_QUEUE_URL` (the change stream's router: points and stats events).
    pub events_queue_url: Option<String>,
    /// `NOTIFICATIONS_QUEUE_URL` (the change stream's router: identity's notifier sends them).
    pub notifications_queue_url: Option<String>,
    /// `DINING_FAILURES_QUEUE_URL` (the change stream's router: records it cannot read).
    pub failures_queue_url: Option<String>,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            table: required("DINING_TABLE")?,
            identity_table: required("IDENTITY_TABLE")?,
            events_queue_url: optional("DINING_EVENTS_QUEUE_URL"),
            notifications_queue_url: optional("NOTIFICATIONS_QUEUE_URL"),
            failures_queue_url: optional("DINING_FAILURES_QUEUE_URL"),
        })
    }

    pub fn events_queue_url(&self) -> Result<&str, ApiError> {
        needed(self.events_queue_url.as_deref(), "DINING_EVENTS_QUEUE_URL")
    }

    pub fn notifications_queue_url(&self) -> Result<&str, ApiError> {
        needed(self.notifications_queue_url.as_deref(), "NOTIFICATIONS_QUEUE_URL")
    }

    pub fn failures_queue_url(&self) -> Result<&str, ApiError> {
        needed(self.failures_queue_url.as_deref(), "DINING_FAILURES_QUEUE_URL")
    }
}

/// What every dining function shares, built once per cold start (building the clients makes no
/// network call).
pub struct State {
    pub config: Config,
    pub store: Store,
    /// Identity's accounts.
    pub directory: Directory,
    pub sqs: aws_sdk_sqs::Client,
}

impl State {
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let sdk = aws::sdk_config().await;
        let dynamodb = aws::dynamodb(&sdk);
        Ok(Self {
            store: Store::new(Table::new(dynamodb.clone(), config.table.clone())),
            directory: Directory::new(dynamodb, config.identity_table.clone()),
            sqs: aws::sqs(&sdk),
            config,
        })
    }
}
