//! Memberships of circles.

use serde::{Deserialize, Serialize};

pub const ALREADY_MEMBER: &str = "User is already member of this circle";
pub const MEMBER_LIMIT_REACHED: &str = "Circle has reached its member limit";
pub const NOT_ACTIVE_MEMBER: &str = "User is not an active member of the circle.";

/// Invitations a circle's creator starts with (seed: `remaining_invitations=10`).
pub const CREATOR_INVITATIONS: i64 = 10;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Membership {
    pub circle: String,
    pub username: String,
    pub is_admin: bool,
    #[serde(default)]
    pub used_invitations: i64,
    #[serde(default)]
    pub remaining_invitations: i64,
    /// Issued codes not used yet; never above `remaining_invitations`.
    #[serde(default)]
    pub unused_codes: i64,
    #[serde(default)]
    pub invited_by: Option<String>,
    #[serde(default)]
    pub rides_taken: i64,
    #[serde(default)]
    pub rides_offered: i64,
    pub is_active: bool,
    pub joined_at: String,
}

impl Membership {
    pub fn new(
        circle: &str,
        username: &str,
        is_admin: bool,
        remaining: i64,
        invited_by: Option<String>,
        now: &str,
    ) -> Self {
        Self {
            circle: circle.to_string(),
            username: username.to_string(),
            is_admin,
            used_invitations: 0,
            remaining_invitations: remaining,
            unused_codes: 0,
            invited_by,
            rides_taken: 0,
            rides_offered: 0,
            is_active: true,
            joined_at: now.to_string(),
        }
    }

    pub fn view(&self) -> MembershipView {
        MembershipView {
            user: MemberUser {
                username: self.username.clone(),
            },
            circle: self.circle.clone(),
            is_admin: self.is_admin,
            is_active: self.is_active,
            used_invitations: self.used_invitations,
            remaining_invitations: self.remaining_invitations,
            invited_by: self.invited_by.clone(),
            rides_taken: self.rides_taken,
            rides_offered: self.rides_offered,
            joined_at: self.joined_at.clone(),
        }
    }
}

/// A membership as clients see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MembershipView {
    pub user: MemberUser,
    /// The circle's slug.
    pub circle: String,
    pub is_admin: bool,
    pub is_active: bool,
    pub used_invitations: i64,
    pub remaining_invitations: i64,
    /// The username whose invitation admitted this member; `null` for the creator.
    #[schema(required = true)]
    pub invited_by: Option<String>,
    pub rides_taken: i64,
    pub rides_offered: i64,
    pub joined_at: String,
}

/// The member (the seed's nested user).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberUser {
    pub username: String,
}
