//! S3 ObjectCreated on the temporary uploads bucket: check and record, or delete.
use andes_shared::{event, telemetry};
use aws_lambda_events::event::s3::S3Event;
use classifieds::{config::State, jobs};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    event::run(|event: S3Event| Box::pin(jobs::image_uploaded(&state, event))).await
}
