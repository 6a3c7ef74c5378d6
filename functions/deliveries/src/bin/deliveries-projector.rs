//! The table's stream → order views, daily counters and status notifications.
use andes_shared::{event, telemetry};
use deliveries::{config::State, jobs};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    state.config.notifications_queue_url()?;
    event::run(|batch| jobs::project(&state, batch)).await
}
