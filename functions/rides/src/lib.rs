//! rides: ride-sharing circles (seed 000, Comparte Ride). Users join circles with a member's
//! invitation code, offer rides inside them, join and rate others' rides. Binaries in
//! `src/bin` are thin shells over this library; the table layout is in `README.md`.

pub mod admin;
pub mod config;
pub mod domain;
pub mod handlers;
pub mod invitations;
pub mod jobs;
pub mod openapi;
pub mod store;
