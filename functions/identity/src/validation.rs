//! Account field rules (cride's serializers, made explicit) and the signup/update inputs.
//!
//! Every rule reports into a list so that a request learns about all its bad fields at once.

use andes_shared::http::FieldError;
use andes_shared::validation::{plain_text, FieldErrors};
use serde::Deserialize;

pub const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 4..=20;
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=64;
pub const NAME_CHARS: std::ops::RangeInclusive<usize> = 1..=100;
pub const MAX_EMAIL_CHARS: usize = 254;
/// User types a signup may choose; each becomes a role of the same name (Chefcito).
pub const USER_TYPES: [&str; 2] = ["client", "restaurant"];

/// `POST /identity/signup` body. Fields are optional here so that missing ones are reported
/// together with the invalid ones.
#[derive(Debug, Default, Deserialize)]
pub struct SignupInput {
    pub email: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_confirmation: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub user_type: Option<String>,
}

/// A signup that passed every rule, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSignup {
    pub email: String,
    pub username: String,
    pub password: String,
    pub name: String,
    pub phone: Option<String>,
    pub user_type: Option<String>,
}

pub fn validate_signup(input: SignupInput) -> Result<ValidSignup, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    let email = errors.check("email", required(input.email).and_then(|e| normalize_email(&e)));
    let username = errors.check(
        "username",
        required(input.username).and_then(|u| normalize_username(&u)),
    );
    let password = errors.check("password", required(input.password).and_then(check_password));
    match (&password, input.password_confirmation) {
        (_, None) => errors.add("password_confirmation", "is required"),
        (Some(password), Some(confirmation)) if *password != confirmation => {
            errors.add("password_confirmation", "does not match password")
        }
        _ => {}
    }
    let name = errors.check("name", required(input.name).and_then(|n| normalize_name(&n)));
    let phone = errors.check("phone", normalize_phone(input.phone.as_deref()));
    let user_type = errors.check("user_type", check_user_type(input.user_type.as_deref()));
    match (email, username, password, name, phone, user_type) {
        (Some(email), Some(username), Some(password), Some(name), Some(phone), Some(user_type))
            if errors.is_empty() =>
        {
            Ok(ValidSignup {
                email,
                username,
                password,
                name,
                phone,
                user_type,
            })
        }
        _ => Err(errors.0),
    }
}

fn required(value: Option<String>) -> Result<String, String> {
    value.ok_or_else(|| "is required".to_string())
}

/// Trimmed, lowercased, and shaped like `local@domain.tld`.
pub fn normalize_email(raw: &str) -> Result<String, String> {
    let email = raw.trim().to_lowercase();
    let invalid = || Err("is not a valid email address".to_string());
    if email.is_empty() || email.chars().count() > MAX_EMAIL_CHARS {
        return invalid();
    }
    let Some((local, domain)) = email.split_once('@') else {
        return invalid();
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local_ok && domain_ok {
        Ok(email)
    } else {
        invalid()
    }
}

/// Lowercased; 4–20 characters of `[a-z0-9_.-]`.
pub fn normalize_username(raw: &str) -> Result<String, String> {
    let username = raw.trim().to_lowercase();
    if !USERNAME_CHARS.contains(&username.chars().count()) {
        return Err(format!(
            "must be {} to {} characters",
            USERNAME_CHARS.start(),
            USERNAME_CHARS.end()
        ));
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c))
    {
        return Err("may only contain letters, digits, '_', '.' and '-'".into());
    }
    Ok(username)
}

/// 8–64 characters, taken as typed (no trimming: spaces are part of a password).
pub fn check_password(password: String) -> Result<String, String> {
    if PASSWORD_CHARS.contains(&password.chars().count()) {
        Ok(password)
    } else {
        Err(format!(
            "must be {} to {} characters",
            PASSWORD_CHARS.start(),
            PASSWORD_CHARS.end()
        ))
    }
}

/// Trimmed; 1–100 characters of plain text (the shared rule) on one line: a name refuses
/// newline and tab too.
pub fn normalize_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if !NAME_CHARS.contains(&name.chars().count()) {
        return Err(format!(
            "must be {} to {} characters",
            NAME_CHARS.start(),
            NAME_CHARS.end()
        ));
    }
    plain_text(name)?;
    if name.contains(['\n', '\t']) {
        return Err(SINGLE_LINE.into());
    }
    Ok(name.to_string())
}

/// The message of a name holding a newline or a tab (allowed in longer text, not in a name).
pub const SINGLE_LINE: &str = "must be a single line (no newline or tab)";

/// Optional; `^\+?1?\d{9,15}$` (cride). An empty value means no phone.
pub fn normalize_phone(raw: Option<&str>) -> Result<Option<String>, String> {
    let Some(phone) = raw.map(str::trim).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let digits = phone.strip_prefix('+').unwrap_or(phone);
    let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    // `1?\d{9,15}`: 9 to 15 digits, or 16 when the first one is the optional `1`.
    let length_ok = (9..=15).contains(&digits.len()) || (digits.len() == 16 && digits.starts_with('1'));
    if all_digits && length_ok {
        Ok(Some(phone.to_string()))
    } else {
        Err("must be entered in the format +999999999 (9 to 15 digits)".into())
    }
}

pub fn check_user_type(raw: Option<&str>) -> Result<Option<String>, String> {
    match raw {
        None => Ok(None),
        Some(kind) if USER_TYPES.contains(&kind) => Ok(Some(kind.to_string())),
        Some(_) => Err(format!("must be one of: {}", USER_TYPES.join(", "))),
    }
}

/// A role name given to an admin command: lowercase letters, digits and `_`, 1–32 characters.
pub fn check_role(role: &str) -> Result<(), String> {
    let ok = (1..=32).contains(&role.len())
        && role
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!("role {role:?} must be 1 to 32 characters of [a-z0-9_]"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> SignupInput {
        SignupInput {
            email: Some("  Ana@Example.COM ".into()),
            username: Some("Ana_99".into()),
            password: Some("s3cret-pass".into()),
            password_confirmation: Some("s3cret-pass".into()),
            name: Some(" Ana Pérez ".into()),
            phone: Some("+573001234567".into()),
            user_type: Some("client".into()),
        }
    }

    fn fields(result: Result<ValidSignup, Vec<FieldError>>) -> Vec<String> {
        result.unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_good_signup_is_normalised() {
        let valid = validate_signup(good()).unwrap();
        assert_eq!(valid.email, "ana@example.com");
        assert_eq!(valid.username, "ana_99");
        assert_eq!(valid.name, "Ana Pérez");
        assert_eq!(valid.phone.as_deref(), Some("+573001234567"));
        assert_eq!(valid.user_type.as_deref(), Some("client"));
    }

    #[test]
    fn every_missing_field_is_reported_at_once() {
        let result = validate_signup(SignupInput::default());
        assert_eq!(
            fields(result),
            vec!["email", "username", "password", "password_confirmation", "name"]
        );
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let input = SignupInput {
            email: Some("not-an-email".into()),
            username: Some("ab".into()),
            password: Some("short".into()),
            password_confirmation: Some("other".into()),
            name: Some("   ".into()),
            phone: Some("12345".into()),
            user_type: Some("admin".into()),
        };
        let result = validate_signup(input);
        assert_eq!(
            fields(result),
            vec!["email", "username", "password", "name", "phone", "user_type"]
        );
    }

    #[test]
    fn password_confirmation_must_match() {
        let mut input = good();
        input.password_confirmation = Some("different-pass".into());
        assert_eq!(fields(validate_signup(input)), vec!["password_confirmation"]);
    }

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email(" A.B+c@Sub.Example.org ").unwrap(),
            "a.b+c@sub.example.org"
        );
        for bad in [
            "", "a", "a@b", "@b.co", "a@.co", "a b@c.co", "a@b..co", "a@@b.co", ".a@b.co", "a@-b.co",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
        assert!(normalize_email(&format!("{}@b.co", "a".repeat(65))).is_err());
    }

    #[test]
    fn usernames() {
        assert_eq!(normalize_username("John.Doe-1").unwrap(), "john.doe-1");
        assert!(normalize_username("abcd").is_ok());
        assert!(normalize_username(&"a".repeat(20)).is_ok());
        for bad in ["abc", &"a".repeat(21), "john doe", "jöhn", "john@doe"] {
            assert!(normalize_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(check_password("a".repeat(8)).is_ok());
        assert!(check_password("ñ".repeat(64)).is_ok());
        assert!(check_password("a".repeat(7)).is_err());
        assert!(check_password("a".repeat(65)).is_err());
    }

    #[test]
    fn names() {
        assert!(normalize_name("A").is_ok());
        assert!(normalize_name(&"n".repeat(100)).is_ok());
        assert!(normalize_name(&"n".repeat(101)).is_err());
        assert!(normalize_name("").is_err());
        assert!(normalize_name("a\u{0}b").is_err());
        assert_eq!(
            normalize_name("a\u{202E}b").unwrap_err(),
            andes_shared::validation::CONTROL_CHARACTERS
        );
        assert_eq!(
            normalize_name("a\u{85}b").unwrap_err(),
            andes_shared::validation::CONTROL_CHARACTERS
        );
        assert_eq!(normalize_name("Ana\nPérez").unwrap_err(), SINGLE_LINE);
        assert_eq!(normalize_name("Ana\tPérez").unwrap_err(), SINGLE_LINE);
        assert_eq!(normalize_name(" Ana Pérez\n").unwrap(), "Ana Pérez");
    }

    #[test]
    fn phones() {
        assert_eq!(normalize_phone(None).unwrap(), None);
        assert_eq!(normalize_phone(Some("")).unwrap(), None);
        for good in ["123456789", "+123456789", "+1123456789012345", "999999999999999"] {
            assert!(normalize_phone(Some(good)).unwrap().is_some(), "{good}");
        }
        for bad in [
            "12345678",
            "+",
            "+2123456789012345",
            "1234567890123456789",
            "12345678a",
            "++123456789",
        ] {
            assert!(normalize_phone(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn user_types_and_roles() {
        assert_eq!(
            check_user_type(Some("restaurant")).unwrap().as_deref(),
            Some("restaurant")
        );
        assert!(check_user_type(Some("admin")).is_err());
        assert!(check_role("officer").is_ok());
        assert!(check_role("Officer").is_err());
        assert!(check_role("").is_err());
    }
}
