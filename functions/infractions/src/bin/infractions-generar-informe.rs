//! GET /infractions/generar_informe?email=
use andes_shared::{http, telemetry};
use infractions::handlers::{self, State};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let state = State::from_env(false).await?;
    http::run(|request| handlers::generar_informe(&state, request)).await
}
