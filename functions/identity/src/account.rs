//! The account: what is stored, and the public view every endpoint answers with.

use serde::{Deserialize, Serialize};

pub const ROLE_USER: &str = "user";
pub const ROLE_ADMIN: &str = "admin";

/// An account as stored in the identity table (besides its `pk`/`sk`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    /// Trimmed and lowercased; unique through the `EMAIL#` guard item.
    pub email: String,
    /// Lowercase; unique through the `USERNAME#` guard item.
    pub username: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub roles: Vec<String>,
    pub verified: bool,
    /// Argon2id PHC string; never leaves the service.
    pub password_hash: String,
    pub created: String,
    pub updated: String,
    /// Bumped by every write; updates are conditional on it (optimistic concurrency).
    pub version: u64,
}

impl Account {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Adds `role` unless present; returns whether it changed anything.
    pub fn grant(&mut self, role: &str) -> bool {
        if self.has_role(role) {
            return false;
        }
        self.roles.push(role.to_string());
        true
    }

    pub fn revoke(&mut self, role: &str) -> bool {
        let before = self.roles.len();
        self.roles.retain(|r| r != role);
        before != self.roles.len()
    }

    pub fn view(&self) -> AccountView {
        AccountView {
            id: self.id.clone(),
            email: self.email.clone(),
            username: self.username.clone(),
            name: self.name.clone(),
            phone: self.phone.clone(),
            roles: self.roles.clone(),
            verified: self.verified,
            created: self.created.clone(),
            updated: self.updated.clone(),
        }
    }
}

// Hand-written so that the password hash never reaches a log line.
impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("roles", &self.roles)
            .field("verified", &self.verified)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// The account as clients see it (never the password hash or the version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub id: String,
    pub email: String,
    pub username: String,
    pub name: String,
    pub phone: Option<String>,
    pub roles: Vec<String>,
    pub verified: bool,
    pub created: String,
    pub updated: String,
}
