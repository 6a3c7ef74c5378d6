//! Schedule (every 20 minutes): active rides arriving within the next 20 minutes become inactive.
use andes_shared::{event, telemetry};
use rides::{config::State, jobs};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    event::run(|_: Value| Box::pin(jobs::deactivate_finished_rides(&state.store, chrono::Utc::now()))).await
}
