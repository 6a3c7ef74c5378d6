//! Publication queue: publish ads (copy photos to the permanent bucket) and remove deleted ones.
use andes_shared::{sqs, telemetry};
use classifieds::{config::State, workers};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    sqs::run(|message| Box::pin(workers::publisher(&state, message))).await
}
