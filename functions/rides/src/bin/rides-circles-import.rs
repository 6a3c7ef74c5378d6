//! S3 event (imports bucket, `imports/circles/*.csv`): imports the circles of each uploaded CSV.
use andes_shared::{event, telemetry};
use aws_lambda_events::event::s3::S3Event;
use rides::{config::State, jobs};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    event::run(|event: S3Event| Box::pin(jobs::handle_s3_event(&state, event))).await
}
