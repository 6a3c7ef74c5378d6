//! :daily:GET /deliveries/stats/daily
use andes_shared::{http, telemetry};
use deliveries::{config::State, handlers};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    http::run(|request| handlers::stats::daily(&state, request)).await
}
