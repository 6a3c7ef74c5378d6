//! Chats between a buyer and a seller about an ad, their messages, and the contact details
//! of anonymous buyers and sellers' profiles.

use andes_shared::validation::plain_text;
use serde::{Deserialize, Serialize};

pub const MAX_MESSAGE_CHARS: usize = 2000;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_EMAIL_BYTES: usize = 254;
/// A phone: digits and [`PHONE_SYMBOLS`], at most 25 characters, 8 to 15 of them digits.
pub const MAX_PHONE_CHARS: usize = 25;
pub const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 8..=15;
pub const PHONE_SYMBOLS: &str = " +-()";

/// One conversation of a buyer with the seller of an ad.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chat {
    pub id: String,
    pub ad_id: String,
    pub seller: String,
    /// The buyer's account; `None` for an anonymous buyer (then name and email are set).
    pub buyer: Option<String>,
    pub buyer_name: Option<String>,
    pub buyer_email: Option<String>,
    pub buyer_phone: Option<String>,
    pub created: String,
    pub last_message_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub chat_id: String,
    /// `buyer` or `seller`.
    pub from: String,
    pub text: String,
    pub timestamp: String,
}

/// Validates a chat message's text.
pub fn check_message(text: &str) -> Result<String, String> {
    plain_text(text)?;
    let text = text.trim();
    if text.is_empty() {
        return Err("must not be empty".into());
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(format!("must be at most {MAX_MESSAGE_CHARS} characters"));
    }
    Ok(text.to_string())
}

/// A loose email check for anonymous chat senders.
pub fn check_email(value: &str) -> Result<String, String> {
    plain_text(value)?;
    let email = value.trim().to_lowercase();
    let valid = email.len() <= MAX_EMAIL_BYTES
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !email.contains(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err("must be an email address".into())
    }
}

pub fn check_phone(value: &str) -> Result<String, String> {
    let phone = value.trim().to_string();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if PHONE_DIGITS.contains(&digits)
        && phone.len() <= MAX_PHONE_CHARS
        && phone.chars().all(|c| c.is_ascii_digit() || PHONE_SYMBOLS.contains(c))
    {
        Ok(phone)
    } else {
        Err("must be a phone number (8 to 15 digits)".into())
    }
}

pub fn check_name(value: &str) -> Result<String, String> {
    plain_text(value)?;
    let name = value.trim().to_string();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("must be 1 to {MAX_NAME_CHARS} characters"));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts() {
        assert!(check_email("Ana@Example.com").is_ok());
        assert!(check_email("ana@").is_err());
        assert!(check_phone("+55 (11) 91234-5678").is_ok());
        assert!(check_phone("12").is_err());
        assert!(check_message("  ").is_err());
        assert!(check_message(&"x".repeat(2001)).is_err());
    }

    #[test]
    fn texts_refuse_control_characters() {
        assert!(check_message("olá\u{0}").is_err());
        assert!(check_message("ainda\u{202E}disponível").is_err());
        assert_eq!(check_message(" linha 1\nlinha 2\t ").unwrap(), "linha 1\nlinha 2");
        assert!(check_name("Ana\u{7}").is_err());
        assert!(check_email("ana\u{0}@example.com").is_err());
    }
}
