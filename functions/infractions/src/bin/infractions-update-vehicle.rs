//! PATCH /infractions/admin/vehicles/{plate}
use andes_shared::{http, telemetry};
use infractions::{config::State, handlers};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    http::run(|request| handlers::vehicles::update(&state, request)).await
}
