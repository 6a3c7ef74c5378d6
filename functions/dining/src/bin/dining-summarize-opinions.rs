//! Schedule (daily): venues with more than 4 opinions in 45 days get a summary, remade every 14 days.
use andes_shared::{event, telemetry};
use dining::{config::State, jobs};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    event::run(|event| Box::pin(jobs::summaries::run(&state, event))).await
}
