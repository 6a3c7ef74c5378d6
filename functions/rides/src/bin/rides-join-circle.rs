//! POST /rides/circles/{slug}/members
use andes_shared::{http, telemetry};
use rides::handlers::{self, State};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    http::run(|request| handlers::join_circle(&state, request)).await
}
