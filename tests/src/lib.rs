//! Andes end-to-end tests.
//!
//! `tests/tests/*.rs` drive the local platform (`andes-local`) over HTTP and through real
//! queue and bucket deliveries; they need a running platform and its env file
//! (`ANDES_ENV_FILE`). The unit tests of this library (template, permissions and sample-event
//! checks) need nothing running.

pub mod support;
pub mod template;

#[cfg(test)]
mod events;
