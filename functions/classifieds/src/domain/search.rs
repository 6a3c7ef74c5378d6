//! The public list's sort orders and filters.

/// Sort orders of the public list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Newest,
    TopOffer,
}

/// Filters of the public list; each set one narrows it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Filters {
    pub brand: Option<u32>,
    pub model: Option<u32>,
    pub state: Option<u32>,
    pub city: Option<u32>,
    pub price_min_cents: Option<i64>,
    pub price_max_cents: Option<i64>,
    pub year_min: Option<i32>,
    pub year_max: Option<i32>,
    pub brake_system: Option<String>,
    pub ignition: Option<String>,
    pub color: Option<String>,
    pub is_new: Option<bool>,
    pub doc_ok: Option<bool>,
    pub accept_exchange: Option<bool>,
    pub accept_new_offer: Option<bool>,
}
