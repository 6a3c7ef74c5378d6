//! Tracing set-up: JSON lines when Lambda's `LoggingConfig` says `LogFormat: JSON`
//! (`AWS_LAMBDA_LOG_FORMAT`), plain text otherwise; level from `AWS_LAMBDA_LOG_LEVEL` or
//! `RUST_LOG`.

pub fn init() {
    lambda_runtime::tracing::init_default_subscriber();
}
