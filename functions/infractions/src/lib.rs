//! infractions: the traffic infraction registry (seed 001). Officers record infractions with
//! their API key, anyone reads a person's report, admins manage persons, vehicles and
//! officers. Binaries in `src/bin` are thin shells over this library; the table layout is
//! documented in `README.md`.

pub mod admin;
pub mod config;
pub mod domain;
pub mod handlers;
pub mod keys;
pub mod openapi;
pub mod store;
