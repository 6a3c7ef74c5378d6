//! The runner of every service's `<service>-admin` command-line tool, so that each one reports
//! failures the same way: `error: …` on stderr and a failing exit status.

use std::fmt::Display;
use std::future::Future;
use std::process::{ExitCode, Termination};

/// Builds the service's state with `state`, then runs `command` on it. A command answers `()`
/// (success) or its own `ExitCode` (e.g. a report that found differences); an error from either
/// step is printed and exits with `failure`, which each tool keeps as it has always documented.
pub async fn run<S, T, E, F, Fut>(
    state: impl Future<Output = Result<S, impl Display>>,
    failure: ExitCode,
    command: F,
) -> ExitCode
where
    F: FnOnce(S) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    T: Termination,
    E: Display,
{
    let state = match state.await {
        Ok(state) => state,
        Err(error) => {
            eprintln!("error: {error}");
            return failure;
        }
    };
    match command(state).await {
        Ok(done) => done.report(),
        Err(error) => {
            eprintln!("error: {error}");
            failure
        }
    }
}
