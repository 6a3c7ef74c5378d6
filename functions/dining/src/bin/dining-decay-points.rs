//! Schedule (daily): totals inactive for 14 days lose 200 points.
use andes_shared::{event, telemetry};
use dining::{config::State, jobs};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    event::run(|event| Box::pin(jobs::decay::run(&state, event))).await
}
