//! PATCH /rides/circles/{slug}/rides/{id}
use andes_shared::{http, telemetry};
use rides::{config::State, handlers};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    http::run(|request| handlers::rides::update(&state, request)).await
}
