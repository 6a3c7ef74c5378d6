//! The dining events queue: points and stats, each event once.
use andes_shared::{sqs, telemetry};
use dining::{config::State, jobs};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    sqs::run(|received| jobs::events::apply(&state, received)).await
}
