//! dining: restaurant reservations (seed 004, Chefcito). Diners (`client`) book tables at venues
//! run by `restaurant` accounts, within the venue's slots, capacity, lead time and vacations, in
//! the venue's own time zone; venues accept, mark assisted or no-show; diners leave one opinion
//! per assisted reservation; points, levels and stats follow every closed reservation. The
//! contract is `spec/dining.md`; the layout, the table's access patterns and the decisions where
//! the contract is silent are in `README.md`.
//!
//! Built so far: the domain layer (plain types and functions, no AWS) and the venues slice on
//! it — the table's keys and venue access patterns (`store`), the venue and `me/venue` handlers,
//! one binary per route in `src/bin`.

pub mod config;
pub mod domain;
pub mod handlers;
pub mod jobs;
pub mod messages;
pub mod store;
