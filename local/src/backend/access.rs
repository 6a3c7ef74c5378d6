//! Who may call the local backend: an access key per function, the platform's own
//! unrestricted key (tests, admin commands, loaders and the platform itself sign with it), and
//! anonymous callers where a bucket policy of the template lets everyone in.

use std::collections::HashMap;

use super::iam::{Call, Denial, Iam};
use super::{ACCESS_KEY_ID, SECRET_ACCESS_KEY};
use crate::template::{SamPolicyTemplates, Stack};

/// Who signed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The platform's own key: everything is allowed.
    Admin,
    /// A function of the stack, by logical id.
    Function(String),
    /// An unsigned request, let in by a bucket policy.
    Anonymous,
}

impl Principal {
    /// The caller as `/_andes/calls` names it.
    pub fn label(&self) -> &str {
        match self {
            Principal::Admin => "platform",
            Principal::Function(id) => id,
            Principal::Anonymous => "anonymous",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
}

impl AccessKey {
    /// A temporary key as STS makes them: `ASIA` and 16 characters, a 64-character secret.
    fn random() -> AccessKey {
        AccessKey {
            id: format!(
                "ASIA{}",
                &uuid::Uuid::new_v4().simple().to_string()[..16].to_uppercase()
            ),
            secret: format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple()),
        }
    }
}

/// The keys the backend knows, and what each caller may do.
#[derive(Debug, Clone)]
pub struct Access {
    /// The unrestricted key of the platform, tests, admin commands and loaders.
    platform: AccessKey,
    secrets: HashMap<String, (String, Principal)>,
    functions: HashMap<String, AccessKey>,
    iam: Iam,
}

impl Access {
    /// Only the well-known local key (`test`/`test`), unrestricted: for a backend of the
    /// platform's own tests, which no other process knows of.
    pub fn admin_only() -> Access {
        Access::with_platform_key(AccessKey {
            id: ACCESS_KEY_ID.to_string(),
            secret: SECRET_ACCESS_KEY.to_string(),
        })
    }

    fn with_platform_key(key: AccessKey) -> Access {
        let secrets = HashMap::from([(key.id.clone(), (key.secret.clone(), Principal::Admin))]);
        Access {
            platform: key,
            secrets,
            functions: HashMap::new(),
            iam: Iam::default(),
        }
    }

    /// The platform's key, a fresh random key for each function of `stack`, their execution
    /// roles and the bucket policies, SAM's policy templates expanded with `templates`.
    pub fn for_stack(stack: &Stack, templates: &SamPolicyTemplates) -> Result<Access, String> {
        let iam = Iam::for_stack(stack, templates)?;
        Ok(Access::new(stack.functions.iter().map(|f| f.logical_id.as_str()), iam))
    }

    /// A fresh random key for the platform and for each of `functions` (logical ids), whose
    /// roles `iam` holds. A key known to every copy of the platform would let any local
    /// process, or a web page signing in a browser, do anything to the stack.
    pub fn new<'a>(functions: impl IntoIterator<Item = &'a str>, iam: Iam) -> Access {
        let mut access = Access::with_platform_key(AccessKey::random());
        for function in functions {
            let key = AccessKey::random();
            access.secrets.insert(
                key.id.clone(),
                (key.secret.clone(), Principal::Function(function.to_string())),
            );
            access.functions.insert(function.to_string(), key);
        }
        access.iam = iam;
        access
    }

    /// The platform's own unrestricted key.
    pub fn platform_key(&self) -> &AccessKey {
        &self.platform
    }

    /// The key a function's process signs with.
    pub fn function_key(&self, function: &str) -> Option<&AccessKey> {
        self.functions.get(function)
    }

    /// The secret of `access_key_id` and whose key it is.
    pub fn secret(&self, access_key_id: &str) -> Option<(&str, &Principal)> {
        self.secrets
            .get(access_key_id)
            .map(|(secret, principal)| (secret.as_str(), principal))
    }

    /// Whether a bucket policy lets anyone make this unsigned S3 call.
    pub fn allows_anonymous(&self, call: &Call) -> bool {
        self.iam.allows_anonymous(call)
    }

    /// Whether `principal` may make `call`: the platform anything, a function what its role
    /// allows. An anonymous caller is one [`Access::allows_anonymous`] already let in.
    pub fn authorize(&self, principal: &Principal, call: &Call) -> Result<(), Denial> {
        match principal {
            Principal::Admin | Principal::Anonymous => Ok(()),
            Principal::Function(function) => self.iam.authorize(function, call),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_has_its_own_key_and_the_platform_its_unrestricted_one() {
        let access = Access::new(["A", "B"], Iam::default());
        let (a, b) = (access.function_key("A").unwrap(), access.function_key("B").unwrap());
        assert_ne!(a.id, b.id);
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.id.len(), 20);
        assert_eq!(
            access.secret(&a.id),
            Some((a.secret.as_str(), &Principal::Function("A".into())))
        );
        assert_eq!(access.secret("AKIAUNKNOWN"), None);
        assert!(access.function_key("C").is_none());
        let platform = access.platform_key();
        assert!(platform.id.starts_with("ASIA") && platform.id != a.id && platform.id != b.id);
        assert_eq!(
            access.secret(&platform.id),
            Some((platform.secret.as_str(), &Principal::Admin))
        );
        assert_eq!(
            access.secret(ACCESS_KEY_ID),
            None,
            "the well-known local key opens nothing"
        );
    }
}
