//! POST /identity/verify
use andes_shared::{aws, http, telemetry};
use identity::config::{self, JwtSecret};
use identity::handlers::{verify, VerifyState};
use identity::store::Store;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let (table, secret) = (config::table_name()?, JwtSecret::from_env()?);
    let sdk = aws::sdk_config().await;
    let state = VerifyState {
        store: Store::new(aws::dynamodb(&sdk), table),
        secret,
    };
    http::run(|request| verify(&state, request)).await
}
