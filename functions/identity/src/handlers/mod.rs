//! HTTP handlers of the identity API. Each binary in `src/bin` runs one of them.

pub mod login;
pub mod me;
pub mod signup;
pub mod verify;

use andes_shared::http::ApiError;

/// Request bodies of these endpoints are small; anything bigger is refused before parsing
/// (and before any password reaches Argon2).
pub const MAX_BODY_BYTES: usize = 4 * 1024;

/// Runs CPU-heavy work (Argon2) off the async executor.
async fn blocking<T, F>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work).await.map_err(ApiError::internal)
}
