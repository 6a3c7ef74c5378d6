//! GET /identity/me
use andes_shared::{aws, http, telemetry};
use identity::{config, handlers::get_me, store::Store};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let table = config::table_name()?;
    let store = Store::new(aws::dynamodb(&aws::sdk_config().await), table);
    http::run(|request| get_me(&store, request)).await
}
