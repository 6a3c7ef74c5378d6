//! dining: restaurant reservations (seed 004, Chefcito). Diners (`client`) book tables at venues
//! run by `restaurant` accounts, within the venue's slots, capacity, lead time and vacations, in
//! the venue's own time zone; venues accept, mark assisted or no-show; diners leave one opinion
//! per assisted reservation; points, levels and stats follow every closed reservation. The
//! contract is `docs/spec/dining.md` at the repository's root (the `§N` of these docs are its
//! sections); the layout, the table's access patterns and the decisions where the contract is
//! silent are in `README.md`.
//!
//! The domain layer (plain types and functions, no AWS); the table's keys and access patterns
//! (`store`); the route handlers (`handlers`, one binary per route in `src/bin`); the stream,
//! queue and schedule functions (`jobs`) and what they send (`messages`); `dining-admin`
//! (`admin`).

pub mod admin;
pub mod config;
pub mod domain;
pub mod handlers;
pub mod jobs;
pub mod messages;
pub mod openapi;
pub mod store;
