//! Schedule (every 20 minutes): active rides arriving within the next 20 minutes become inactive.
use andes_shared::telemetry;
use lambda_runtime::{service_fn, LambdaEvent};
use rides::{config, jobs};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let (store, _) = config::stores().await?;
    let store = &store;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| async move {
        Box::pin(jobs::deactivate_finished_rides(store, chrono::Utc::now()))
            .await
            .map_err(|e| lambda_runtime::Error::from(e.to_string()))
    }))
    .await
}
