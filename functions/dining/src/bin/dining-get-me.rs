//! GET /dining/me
use andes_shared::{http, telemetry};
use dining::{config::State, handlers};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    http::run(|request| handlers::profile::me(&state, request)).await
}
