//! The account: what is stored, and the public view every endpoint answers with.

use andes_shared::notify::Recipient;
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
    /// Bumped by every change that ends the account's sessions (roles, password): access
    /// tokens carry the value they were issued with, and the authorizer refuses older ones.
    #[serde(default)]
    pub session_version: u64,
}

impl Account {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Adds `role` unless present; returns whether it changed anything. A change ends every
    /// session opened before it: their tokens carry the old roles.
    pub fn grant(&mut self, role: &str) -> bool {
        if self.has_role(role) {
            return false;
        }
        self.roles.push(role.to_string());
        self.session_version += 1;
        true
    }

    pub fn revoke(&mut self, role: &str) -> bool {
        let before = self.roles.len();
        self.roles.retain(|r| r != role);
        let changed = before != self.roles.len();
        if changed {
            self.session_version += 1;
        }
        changed
    }

    /// Where notifications to this account go (its name only when it has one).
    pub fn recipient(&self) -> Recipient {
        let name = self.name.trim();
        Recipient {
            email: self.email.clone(),
            name: (!name.is_empty()).then(|| name.to_string()),
        }
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
            .field("session_version", &self.session_version)
            .finish_non_exhaustive()
    }
}

/// The account as clients see it (never the password hash or the version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: String,
    pub email: String,
    pub username: String,
    pub name: String,
    #[schema(required = true)]
    pub phone: Option<String>,
    pub roles: Vec<String>,
    pub verified: bool,
    pub created: String,
    pub updated: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> Account {
        Account {
            id: "acc-1".into(),
            email: "ana@example.com".into(),
            username: "ana_99".into(),
            name: "Ana".into(),
            phone: None,
            roles: vec![ROLE_USER.into()],
            verified: true,
            password_hash: "$argon2id$...".into(),
            created: "2026-01-01T00:00:00.000Z".into(),
            updated: "2026-01-01T00:00:00.000Z".into(),
            version: 1,
            session_version: 0,
        }
    }

    #[test]
    fn role_changes_end_earlier_sessions_and_no_ops_do_not() {
        let mut account = account();
        assert!(account.grant(ROLE_ADMIN));
        assert_eq!(account.session_version, 1);
        assert!(!account.grant(ROLE_ADMIN));
        assert_eq!(account.session_version, 1);
        assert!(account.revoke(ROLE_ADMIN));
        assert_eq!(account.session_version, 2);
        assert!(!account.revoke(ROLE_ADMIN));
        assert_eq!(account.session_version, 2);
    }

    #[test]
    fn notifications_reach_the_email_with_the_name_when_there_is_one() {
        let mut account = account();
        assert_eq!(account.recipient().email, "ana@example.com");
        assert_eq!(account.recipient().name.as_deref(), Some("Ana"));
        account.name = " ".into();
        assert_eq!(account.recipient().name, None);
    }

    #[test]
    fn accounts_stored_before_sessions_had_versions_read_as_version_zero() {
        let mut item = serde_json::to_value(account()).unwrap();
        item.as_object_mut().unwrap().remove("session_version");
        let read: Account = serde_json::from_value(item).unwrap();
        assert_eq!(read.session_version, 0);
    }
}
