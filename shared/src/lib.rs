//! The Andes platform crate: what every function of every service stands on.
//!
//! Only platform concerns live here (configuration, AWS clients, HTTP answers and
//! errors, the authorizer's principal, DynamoDB/SQS/S3 helpers, tracing). Service
//! rules live in each service's own library under `functions/`.

pub mod admin;
pub mod auth;
pub mod aws;
pub mod config;
pub mod dynamo;
pub mod event;
pub mod http;
pub mod ids;
pub mod limits;
pub mod notify;
pub mod openapi;
pub mod s3;
pub mod sqs;
pub mod telemetry;
pub mod validation;

pub use auth::{Principal, PrincipalKind};
pub use http::{ApiError, FieldError};
