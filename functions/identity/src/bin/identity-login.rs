//! POST /identity/login
use andes_shared::{aws, http, telemetry};
use identity::config::{self, JwtSecret};
use identity::handlers::{login, LoginState};
use identity::store::Store;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let (table, secret, access_token_ttl_seconds) = (
        config::table_name()?,
        JwtSecret::from_env()?,
        config::access_token_ttl_seconds()?,
    );
    let sdk = aws::sdk_config().await;
    let state = LoginState {
        store: Store::new(aws::dynamodb(&sdk), table),
        secret,
        access_token_ttl_seconds,
    };
    http::run(|request| login(&state, request)).await
}
