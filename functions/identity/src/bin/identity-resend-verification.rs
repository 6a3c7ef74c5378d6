//! POST /identity/verify/resend
use andes_shared::{http, telemetry};
use identity::{config::State, handlers};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    http::run(|request| handlers::verify::resend(&state, request)).await
}
