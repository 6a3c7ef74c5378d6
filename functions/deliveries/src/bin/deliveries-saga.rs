//! The saga: the table's stream routed to steps on the saga queue, and the steps themselves.
use andes_shared::{event, telemetry};
use deliveries::{config::State, jobs};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    state.config.saga_queue_url()?;
    event::run(|payload| jobs::saga(&state, payload)).await
}
