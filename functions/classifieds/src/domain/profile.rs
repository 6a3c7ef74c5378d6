//! A seller's profile: where they are and whether buyers see their phone.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub account_id: String,
    pub state_id: Option<u32>,
    pub city_id: Option<u32>,
    pub phone: Option<String>,
    pub show_phone: bool,
    pub updated: String,
}

impl Profile {
    /// The profile of an account that has not written one.
    pub fn empty(account_id: &str) -> Self {
        Self {
            account_id: account_id.to_string(),
            state_id: None,
            city_id: None,
            phone: None,
            show_phone: false,
            updated: String::new(),
        }
    }
}
