//! Notifications queue worker: addresses each message (account-addressed ones from the identity
//! table), renders it and writes it to the outbox bucket.
use andes_shared::{sqs, telemetry};
use identity::{config::State, jobs};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    sqs::run(|message| jobs::notify(&state, message)).await
}
