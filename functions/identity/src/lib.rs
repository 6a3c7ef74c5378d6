//! identity: accounts, login, email verification, API keys and route permissions for every
//! Andes service, plus the platform's notifier. Binaries in `src/bin` are thin shells over
//! this library; the table layout is documented in `README.md`.

pub mod account;
pub mod admin;
pub mod api_keys;
pub mod authorizer;
pub mod config;
pub mod directory;
pub mod handlers;
pub mod jobs;
pub mod lockout;
pub mod messages;
pub mod notifications;
pub mod openapi;
pub mod password;
pub mod permissions;
mod store;
pub mod tokens;
pub mod validation;

pub use tokens::{issue_access_token, issue_verification_token, VERIFICATION_TOKEN_VALIDITY_SECONDS};
