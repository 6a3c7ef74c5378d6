//! Schedule (every 5 minutes): waiting orders whose departure has come are compensated; those a
//! run has appeared for are assigned.
use andes_shared::{event, telemetry};
use deliveries::{config::State, jobs};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    event::run(|event| Box::pin(jobs::expire_waiting(&state, event))).await
}
