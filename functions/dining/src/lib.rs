//! dining: restaurant reservations (seed 004, Chefcito). Diners (`client`) book tables at venues
//! run by `restaurant` accounts, within the venue's slots, capacity, lead time and vacations, in
//! the venue's own time zone; venues accept, mark assisted or no-show; diners leave one opinion
//! per assisted reservation; points, levels and stats follow every closed reservation. The
//! contract is `spec/dining.md`; the layout and the decisions where it is silent are in
//! `README.md`.
//!
//! This first slice is the domain layer only: plain types and functions, no AWS.

pub mod domain;
