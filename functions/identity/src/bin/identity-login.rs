//! POST /identity/login
use andes_shared::{http, telemetry};
use identity::{config::State, handlers};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    http::run(|request| handlers::login::login(&state, request)).await
}
