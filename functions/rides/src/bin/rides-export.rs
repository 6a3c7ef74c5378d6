//! Schedule (daily) or fired by hand: today's rides as CSV in the exports bucket; answers the
//! object key and a presigned download URL.
use std::time::Duration;

use andes_shared::{aws, telemetry};
use lambda_runtime::{service_fn, LambdaEvent};
use rides::{config, jobs};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let (store, _) = config::stores().await?;
    let s3 = aws::s3(&aws::sdk_config().await);
    let bucket = config::exports_bucket()?;
    let ttl = Duration::from_secs(config::export_url_ttl_seconds()?);
    let (store, s3, bucket) = (&store, &s3, bucket.as_str());
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| async move {
        Box::pin(jobs::export_rides(store, s3, bucket, chrono::Utc::now(), ttl))
            .await
            .map_err(|e| lambda_runtime::Error::from(e.to_string()))
    }))
    .await
}
