//! Invitation codes: a member's codes let others join the circle.

use rand::Rng;
use serde::{Deserialize, Serialize};

pub const INVALID_INVITATION: &str = "Invalid invitation code.";
pub const CODE_LENGTH: usize = 10;
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invitation {
    pub code: String,
    pub circle: String,
    pub issued_by: String,
    pub used: bool,
    #[serde(default)]
    pub used_by: Option<String>,
    #[serde(default)]
    pub used_at: Option<String>,
    pub created: String,
}

/// A fresh random invitation code (10 characters of `A-Z0-9.-`, as the seed's manager).
pub fn random_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LENGTH)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

pub fn validate_code(raw: &str) -> Result<String, String> {
    let code = raw.trim();
    if code.len() != CODE_LENGTH || !code.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        return Err(INVALID_INVITATION.into());
    }
    Ok(code.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_the_seed_alphabet() {
        for _ in 0..50 {
            let code = random_code();
            assert_eq!(code.len(), 10);
            assert!(validate_code(&code).is_ok());
        }
        assert!(validate_code("short").is_err());
        assert!(validate_code("abcdefghij").is_err());
    }
}
