//! Notifications queue worker: renders each message and writes it to the outbox bucket.
use andes_shared::{aws, sqs, telemetry};
use identity::config;
use identity::notifications::{handle_message, S3Outbox};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let bucket = config::outbox_bucket()?;
    let outbox = S3Outbox {
        client: aws::s3(&aws::sdk_config().await),
        bucket,
    };
    sqs::run(|message| handle_message(&outbox, message)).await
}
