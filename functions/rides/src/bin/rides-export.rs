//! Schedule (daily) or fired by hand: today's rides as CSV in the exports bucket; answers the
//! object key and a presigned download URL.
use andes_shared::{event, telemetry};
use rides::{config::State, jobs};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    state.config.exports_bucket()?;
    event::run(|_: Value| Box::pin(jobs::export_rides(&state, chrono::Utc::now()))).await
}
