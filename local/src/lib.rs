//! The Andes local platform: runs `template.yaml` on one machine without Docker.
//!
//! `template` reads the SAM template into a [`template::Stack`]; `backend` starts the local
//! AWS backend (a front door before the embedded dynoxide for DynamoDB and moto for S3 and SQS)
//! and builds its clients; `resources` creates every table, bucket, queue and notification of
//! the stack; `runtime` runs each
//! function as its real binary behind the Lambda Runtime API; `gateway` serves the HTTP APIs
//! (and `/_local`); `triggers` delivers SQS, S3, DynamoDB-stream and schedule events; `up`
//! wires them together.

pub mod backend;
pub mod control;
pub mod gateway;
pub mod measure;
pub mod net;
pub mod resources;
pub mod runtime;
pub mod template;
pub mod triggers;
pub mod up;
