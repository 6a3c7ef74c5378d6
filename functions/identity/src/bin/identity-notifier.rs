//! Notifications queue worker: renders each message and writes it to the outbox bucket.
use andes_shared::{sqs, telemetry};
use identity::{config::State, jobs};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    sqs::run(|message| jobs::notify(&state, message)).await
}
