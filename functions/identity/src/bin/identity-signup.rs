//! POST /identity/signup
use andes_shared::{aws, http, telemetry};
use identity::config::{self, JwtSecret};
use identity::handlers::{signup, SignupState};
use identity::store::Store;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let (table, queue_url, secret) = (
        config::table_name()?,
        config::notifications_queue_url()?,
        JwtSecret::from_env()?,
    );
    let sdk = aws::sdk_config().await;
    let state = SignupState {
        store: Store::new(aws::dynamodb(&sdk), table),
        sqs: aws::sqs(&sdk),
        queue_url,
        secret,
    };
    http::run(|request| signup(&state, request)).await
}
