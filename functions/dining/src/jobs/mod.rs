//! The background functions of dining: the table's change stream, the events queue's worker and
//! the three schedules (§5), whose "now" is always the scheduled event's `time`.

pub mod changes;
pub mod decay;
pub mod events;
pub mod expire;
pub mod summaries;
