//! Publication queue: publish ads (copy photos to the permanent bucket) and remove deleted ones.
use andes_shared::sqs::{self, Received};
use andes_shared::telemetry;
use classifieds::messages::Job;
use classifieds::{config::State, jobs};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    sqs::run(|message: Received<Job>| Box::pin(jobs::publisher(&state, message))).await
}
