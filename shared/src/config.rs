//! Configuration comes only from environment variables (twelve-factor, factor III).

use std::str::FromStr;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} has an invalid value: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// The value of a variable that must be set and non-empty.
pub fn required(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ConfigError::Missing(name)),
    }
}

/// The value of a variable that may be unset (`None`; so is an empty one).
pub fn optional(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.trim().is_empty())
}

/// A setting a function reads at request time that its template entry must give it: a missing
/// one is an internal error naming the variable (logged, never shown to the client).
pub fn needed<'a, T: ?Sized>(value: Option<&'a T>, name: &str) -> Result<&'a T, crate::http::ApiError> {
    value.ok_or_else(|| {
        crate::http::ApiError::internal(format!("environment variable {name} is not set for this function"))
    })
}

/// A variable parsed into `T`, or `default` when unset.
pub fn parsed_or<T>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(raw) if !raw.trim().is_empty() => raw.trim().parse().map_err(|e: T::Err| ConfigError::Invalid {
            name,
            reason: e.to_string(),
        }),
        _ => Ok(default),
    }
}
