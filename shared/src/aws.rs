//! AWS clients, built once per cold start.
//!
//! `aws-config` reads region, credentials and `AWS_ENDPOINT_URL` from the environment, so the
//! same binary talks to AWS when deployed and to the local backend when the local platform
//! sets the endpoint. Building the clients makes no network call.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::error::DisplayErrorContext;

use crate::http::ApiError;

/// The shared SDK configuration, from the environment.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

pub fn sqs(config: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(config)
}

/// S3 needs path-style addressing against a local endpoint (no wildcard DNS on loopback).
pub fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    let local_endpoint = config.endpoint_url().is_some();
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(local_endpoint)
        .build();
    aws_sdk_s3::Client::from_conf(s3_config)
}

/// An AWS SDK failure as an internal error, with its whole cause chain (logged, never sent).
/// `DisplayErrorContext` is the same type in every SDK crate, so this serves them all.
pub fn sdk_error<E: std::error::Error>(error: E) -> ApiError {
    ApiError::internal(DisplayErrorContext(error))
}
