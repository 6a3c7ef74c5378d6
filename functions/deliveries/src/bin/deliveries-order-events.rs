//! :events:GET /deliveries/orders/{id}/events (the live feed: long-poll with wait=)
use andes_shared::{http, telemetry};
use deliveries::{config::State, handlers};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    http::run(|request| handlers::orders::events(&state, request)).await
}
