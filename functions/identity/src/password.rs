//! Password hashing with Argon2id (the crate's defaults: m=19456 KiB, t=2, p=1, the OWASP
//! recommendation). The parameters are recorded in each PHC string, so verifying keeps
//! working if the defaults change later.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::distr::{Alphanumeric, SampleString};

/// A hash of a random password nobody knows, with the same parameters as real hashes.
/// Logins for unknown emails verify against it, so they take as long as real ones and
/// response time does not reveal which emails have accounts.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$0H7P6NdAQ3SQrz5Cy5G2PA$4jzEaYGsJvmmTtKs8XlBw7Pvxs+nEiXxseBBIoOTU60";

/// The Argon2id PHC string of `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Whether `password` matches `phc`; a malformed stored hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Spends the time of one verification and returns false (see [`DUMMY_HASH`]).
pub fn verify_dummy(password: &str) -> bool {
    verify_password(password, DUMMY_HASH);
    false
}

/// A random password of `len` ASCII letters and digits (for `create-admin`).
pub fn generate_password(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_recorded_parameters_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert_ne!(hash, hash_password("correct horse").unwrap(), "salts are random");
    }

    #[test]
    fn malformed_hashes_never_match() {
        assert!(!verify_password("anything", ""));
        assert!(!verify_password("anything", "plain-text"));
    }

    #[test]
    fn dummy_hash_has_the_parameters_of_real_hashes() {
        let real = hash_password("x").unwrap();
        let params = |phc: &str| phc.split('$').take(4).collect::<Vec<_>>().join("$");
        assert_eq!(params(DUMMY_HASH), params(&real));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify_dummy("anything"));
    }

    #[test]
    fn generated_passwords_are_alphanumeric() {
        let password = generate_password(20);
        assert_eq!(password.len(), 20);
        assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
