//! POST /rides/circles/{slug}/rides/{id}/finish
use andes_shared::{http, telemetry};
use rides::{config::State, handlers};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    http::run(|request| handlers::rides::finish(&state, request)).await
}
