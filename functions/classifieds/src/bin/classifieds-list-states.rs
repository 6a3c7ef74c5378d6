//! GET /classifieds/catalog/states
use andes_shared::{http, telemetry};
use classifieds::{config::State, handlers};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    http::run(|request| handlers::catalog::list_states(&state, request)).await
}
