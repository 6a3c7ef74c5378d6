//! Opaque API keys for officers and automation: `andes_{prefix}_{secret}`.
//!
//! The prefix (8 lowercase letters/digits) is public and locates the stored record; the
//! secret is 32 random bytes (base64url), so a key has 256 bits of entropy. Only the SHA-256
//! of the whole key is stored — a fast hash is enough for a random 256-bit secret — and it is
//! compared in constant time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::distr::{Distribution, Uniform};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const KEY_SCHEME: &str = "andes_";
pub const PREFIX_LEN: usize = 8;
pub const SECRET_BYTES: usize = 32;
const PREFIX_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// Longer strings are not keys we issued.
const MAX_KEY_LEN: usize = 200;

/// A freshly generated key: `key` is shown once and then forgotten.
pub struct NewApiKey {
    pub key: String,
    pub prefix: String,
    pub hash: String,
}

/// An API key as stored (besides `pk`/`sk`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    pub prefix: String,
    /// SHA-256 (hex) of the full key.
    pub key_hash: String,
    pub principal_id: String,
    pub role: String,
    pub created: String,
    pub revoked: bool,
}

pub fn generate() -> NewApiKey {
    let mut rng = rand::rng();
    let letters = Uniform::new(0, PREFIX_ALPHABET.len()).expect("alphabet is not empty");
    let prefix: String = (0..PREFIX_LEN)
        .map(|_| PREFIX_ALPHABET[letters.sample(&mut rng)] as char)
        .collect();
    let mut secret = [0u8; SECRET_BYTES];
    rng.fill_bytes(&mut secret);
    let key = format!("{KEY_SCHEME}{prefix}_{}", URL_SAFE_NO_PAD.encode(secret));
    let hash = hash_key(&key);
    NewApiKey { key, prefix, hash }
}

/// Whether a bearer credential is meant as an API key (rather than a JWT).
pub fn looks_like_api_key(credential: &str) -> bool {
    credential.starts_with(KEY_SCHEME)
}

/// The prefix of a well-formed key, `None` for anything else.
pub fn parse_prefix(key: &str) -> Option<&str> {
    if key.len() > MAX_KEY_LEN {
        return None;
    }
    let rest = key.strip_prefix(KEY_SCHEME)?;
    let prefix = rest.get(..PREFIX_LEN)?;
    let secret = rest.get(PREFIX_LEN..)?.strip_prefix('_')?;
    let prefix_ok = prefix.bytes().all(|b| PREFIX_ALPHABET.contains(&b));
    let secret_ok = URL_SAFE_NO_PAD
        .decode(secret)
        .is_ok_and(|bytes| bytes.len() >= SECRET_BYTES);
    (prefix_ok && secret_ok).then_some(prefix)
}

/// A prefix given on its own (admin `revoke-key --key-prefix`), or taken from a full key.
pub fn prefix_of(prefix_or_key: &str) -> Option<&str> {
    if prefix_or_key.len() == PREFIX_LEN && prefix_or_key.bytes().all(|b| PREFIX_ALPHABET.contains(&b)) {
        return Some(prefix_or_key);
    }
    parse_prefix(prefix_or_key)
}

pub fn hash_key(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Constant-time comparison of the key's hash with the stored one.
pub fn matches(key: &str, stored_hash: &str) -> bool {
    hash_key(key).as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_documented_format() {
        let new = generate();
        assert!(new.key.starts_with(&format!("andes_{}_", new.prefix)));
        assert_eq!(new.prefix.len(), 8);
        assert!(new.prefix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        let secret = &new.key[KEY_SCHEME.len() + PREFIX_LEN + 1..];
        assert_eq!(URL_SAFE_NO_PAD.decode(secret).unwrap().len(), 32);
        assert_eq!(parse_prefix(&new.key), Some(new.prefix.as_str()));
        assert_ne!(generate().key, new.key);
    }

    #[test]
    fn only_the_hash_is_kept_and_it_matches() {
        let new = generate();
        assert_eq!(new.hash.len(), 64);
        assert!(!new.hash.contains(&new.key));
        assert!(matches(&new.key, &new.hash));
        assert!(!matches(&format!("{}x", new.key), &new.hash));
        assert!(!matches(&new.key, ""));
        assert!(!matches(&new.key, &generate().hash));
    }

    #[test]
    fn malformed_keys_have_no_prefix() {
        let secret = URL_SAFE_NO_PAD.encode([7u8; 32]);
        assert!(parse_prefix(&format!("andes_abcd1234_{secret}")).is_some());
        for bad in [
            "andes_".to_string(),
            "andes_abcd1234".to_string(),
            format!("andes_ABCD1234_{secret}"),
            format!("andes_abcd123_{secret}"),
            "andes_abcd1234_short".to_string(),
            format!("andes_abcd1234_{secret}!"),
            format!("andes_abcd1234_{}", "A".repeat(300)),
            format!("andes_ab€d1234_{secret}"),
        ] {
            assert_eq!(parse_prefix(&bad), None, "{bad}");
        }
    }

    #[test]
    fn prefixes_are_accepted_alone_or_inside_a_key() {
        let new = generate();
        assert_eq!(prefix_of(&new.prefix), Some(new.prefix.as_str()));
        assert_eq!(prefix_of(&new.key), Some(new.prefix.as_str()));
        assert_eq!(prefix_of("nope"), None);
    }
}
