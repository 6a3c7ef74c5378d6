//! S3 ObjectCreated on the temporary uploads bucket: check and record, or delete.
use andes_shared::telemetry;
use aws_lambda_events::event::s3::S3Event;
use classifieds::{config::State, workers};
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    let state = &state;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<S3Event>| async move {
        Box::pin(workers::image_uploaded(state, event.payload))
            .await
            .map_err(|e| lambda_runtime::Error::from(e.to_string()))
    }))
    .await
}
