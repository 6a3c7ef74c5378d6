//! S3 event (imports bucket, `imports/circles/*.csv`): imports the circles of each uploaded CSV.
use andes_shared::{aws, telemetry};
use aws_lambda_events::event::s3::S3Event;
use lambda_runtime::{service_fn, LambdaEvent};
use rides::{config, jobs};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let (store, _) = config::stores().await?;
    let s3 = aws::s3(&aws::sdk_config().await);
    let (store, s3) = (&store, &s3);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<S3Event>| async move {
        Box::pin(jobs::handle_s3_event(store, s3, event.payload))
            .await
            .map_err(|e| lambda_runtime::Error::from(e.to_string()))
    }))
    .await
}
