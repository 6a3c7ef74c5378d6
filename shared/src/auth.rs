//! The principal the authorizer passes to every handler in the request context.
//!
//! The authorizer (identity) writes it with [`Principal::to_context`]; handlers read it with
//! [`Principal::from_request`]. Context values are strings because API Gateway's simple
//! authorizer responses only carry scalars.

use std::collections::HashMap;

use lambda_http::{request::RequestContext, Request, RequestExt};
use serde_json::Value;

use crate::http::ApiError;

pub const ANONYMOUS_ROLE: &str = "anonymous";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    Account,
    ApiKey,
    Anonymous,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::ApiKey => "api_key",
            Self::Anonymous => "anonymous",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value {
            "account" => Some(Self::Account),
            "api_key" => Some(Self::ApiKey),
            "anonymous" => Some(Self::Anonymous),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Account id, API key owner id, or empty for anonymous callers.
    pub id: String,
    pub roles: Vec<String>,
    pub kind: PrincipalKind,
}

impl Principal {
    pub fn anonymous() -> Self {
        Self {
            id: String::new(),
            roles: vec![ANONYMOUS_ROLE.to_string()],
            kind: PrincipalKind::Anonymous,
        }
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    pub fn is_anonymous(&self) -> bool {
        self.kind == PrincipalKind::Anonymous
    }

    /// The authorizer context API Gateway forwards to the route's function.
    pub fn to_context(&self) -> HashMap<String, Value> {
        HashMap::from([
            ("principal_id".to_string(), Value::from(self.id.clone())),
            ("roles".to_string(), Value::from(self.roles.join(","))),
            ("kind".to_string(), Value::from(self.kind.as_str())),
        ])
    }

    /// Reads the principal back from an authorizer context; anything malformed is anonymous.
    pub fn from_context(context: &HashMap<String, Value>) -> Self {
        let text = |key: &str| context.get(key).and_then(Value::as_str).unwrap_or_default();
        let Some(kind) = PrincipalKind::parse(text("kind")) else {
            return Self::anonymous();
        };
        let id = text("principal_id").to_string();
        if kind != PrincipalKind::Anonymous && id.is_empty() {
            return Self::anonymous();
        }
        let roles = text("roles")
            .split(',')
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect();
        Self { id, roles, kind }
    }

    /// The principal of an API Gateway v2 request.
    pub fn from_request(request: &Request) -> Self {
        match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(context)) => context
                .authorizer
                .as_ref()
                .map(|authorizer| Self::from_context(&authorizer.fields))
                .unwrap_or_else(Self::anonymous),
            _ => Self::anonymous(),
        }
    }

    /// The calling account, or 401 when the caller is anonymous or not an account.
    pub fn require_account(request: &Request) -> Result<Self, ApiError> {
        let principal = Self::from_request(request);
        match principal.kind {
            PrincipalKind::Account => Ok(principal),
            PrincipalKind::Anonymous => Err(ApiError::Unauthorized("authentication required".into())),
            PrincipalKind::ApiKey => Err(ApiError::Forbidden(
                "this route needs an account, not an API key".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_round_trips() {
        let principal = Principal {
            id: "a1".into(),
            roles: vec!["user".into(), "admin".into()],
            kind: PrincipalKind::Account,
        };
        assert_eq!(Principal::from_context(&principal.to_context()), principal);
    }

    #[test]
    fn missing_or_malformed_context_is_anonymous() {
        assert!(Principal::from_context(&HashMap::new()).is_anonymous());
        let forged = HashMap::from([("kind".to_string(), Value::from("account"))]);
        assert!(Principal::from_context(&forged).is_anonymous());
    }
}
