//! GET /infractions/admin/officers/{id}
use andes_shared::{http, telemetry};
use infractions::handlers::{self, State};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let state = State::from_env(false).await?;
    http::run(|request| handlers::get_officer(&state, request)).await
}
