//! Schedule (every 5 minutes): Accepted reservations 15 minutes past their time expire.
use andes_shared::{event, telemetry};
use dining::{config::State, jobs};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    event::run(|event| Box::pin(jobs::expire::run(&state, event))).await
}
