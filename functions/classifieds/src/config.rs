//! Settings, read from the environment once per cold start, and the state every function
//! shares (clients are built once; building them makes no network call).

use andes_shared::aws;
use andes_shared::config::{parsed_or, required, ConfigError};
use andes_shared::dynamo::Table;
use andes_shared::limits::Limit;
use identity::directory::Directory;

use crate::catalog::Catalog;
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct Config {
    pub table: String,
    pub catalog_table: String,
    /// Identity's table, for the admin commands that create and remove demo accounts.
    pub identity_table: String,
    pub uploads_bucket: String,
    pub images_bucket: String,
    pub queue_url: String,
    /// Base of the public URLs of published images (no trailing slash).
    pub public_base_url: String,
    /// Deliveries of a publication message before it goes to the dead-letter queue.
    pub max_receive_count: u32,
    /// `ANONYMOUS_MESSAGES_PER_IP_PER_HOUR` (message an ad), default 20.
    pub anonymous_messages_per_ip_per_hour: u64,
    /// `ANONYMOUS_MESSAGES_PER_SENDER_PER_HOUR` (message an ad: per sender email and ad), default 5.
    pub anonymous_messages_per_sender_per_hour: u64,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let images_bucket = required("CLASSIFIEDS_IMAGES_BUCKET")?;
        // Against a local backend the images are served by it, path-style; on AWS by the
        // bucket's regional URL (IMAGES_PUBLIC_URL, set by template.yaml).
        let public_base_url = match std::env::var("AWS_ENDPOINT_URL") {
            Ok(endpoint) if !endpoint.trim().is_empty() => {
                format!("{}/{images_bucket}", endpoint.trim_end_matches('/'))
            }
            _ => required("IMAGES_PUBLIC_URL")?.trim_end_matches('/').to_string(),
        };
        Ok(Self {
            table: required("CLASSIFIEDS_TABLE")?,
            catalog_table: required("CLASSIFIEDS_CATALOG_TABLE")?,
            identity_table: required("IDENTITY_TABLE")?,
            uploads_bucket: required("CLASSIFIEDS_UPLOADS_BUCKET")?,
            images_bucket,
            queue_url: required("CLASSIFIEDS_PUBLICATION_QUEUE_URL")?,
            public_base_url,
            max_receive_count: parsed_or("MAX_RECEIVE_COUNT", 3)?,
            anonymous_messages_per_ip_per_hour: parsed_or("ANONYMOUS_MESSAGES_PER_IP_PER_HOUR", 20)?,
            anonymous_messages_per_sender_per_hour: parsed_or("ANONYMOUS_MESSAGES_PER_SENDER_PER_HOUR", 5)?,
        })
    }

    /// Anonymous first messages to one ad with one sender email (each opens a new chat in the
    /// seller's inbox).
    pub fn anonymous_messages_per_sender(&self) -> Limit {
        Limit {
            name: "anonymous-message-sender",
            max: self.anonymous_messages_per_sender_per_hour,
            window_seconds: 3600,
            message: "Too many messages to this ad from this email; try again later, or log in to keep one chat",
        }
    }

    /// Anonymous messages from one address, to any ad.
    pub fn anonymous_messages_per_ip(&self) -> Limit {
        Limit {
            name: "anonymous-message-ip",
            max: self.anonymous_messages_per_ip_per_hour,
            window_seconds: 3600,
            message: "Too many messages without an account from this address; try again later, or log in",
        }
    }

    pub fn public_url(&self, key: &str) -> String {
        format!("{}/{key}", self.public_base_url)
    }
}

/// What every function of the service needs.
pub struct State {
    pub config: Config,
    pub store: Store,
    pub catalog: Catalog,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    /// Identity's accounts (the admin commands' demo accounts).
    pub identity: Directory,
}

impl State {
    pub async fn from_env() -> Result<Self, ConfigError> {
        let config = Config::from_env()?;
        let sdk = aws::sdk_config().await;
        let dynamodb = aws::dynamodb(&sdk);
        Ok(Self {
            store: Store::new(Table::new(dynamodb.clone(), &config.table)),
            catalog: Catalog::new(Table::new(dynamodb.clone(), &config.catalog_table)),
            identity: Directory::new(dynamodb, &config.identity_table),
            s3: aws::s3(&sdk),
            sqs: aws::sqs(&sdk),
            config,
        })
    }
}
