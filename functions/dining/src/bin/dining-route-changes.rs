//! The dining table's change stream: notices and points/stats events.
use andes_shared::{event, telemetry};
use dining::{config::State, jobs};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    event::run(|batch| Box::pin(jobs::changes::route(&state, batch))).await
}
