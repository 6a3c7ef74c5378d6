//! HTTP handlers of the infractions API, by resource. Each binary in `src/bin` runs one of them.

pub mod infractions;
pub mod officers;
pub mod persons;
pub mod vehicles;

use andes_shared::dynamo::page_limit;
use andes_shared::http::{self, ok, ApiError};
use lambda_http::{Body, Request, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::State;

/// Admin bodies are small.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

/// What a client that sent a stale `version` is told (409).
const MODIFIED: &str = "modified by another request; read it again and retry";

pub type HttpResult = Result<Response<Body>, ApiError>;

/// An admin request body: a JSON object of at most [`MAX_BODY_BYTES`].
fn admin_body(request: &Request) -> Result<Map<String, Value>, ApiError> {
    http::json_body(request, MAX_BODY_BYTES)
}

/// One page of an admin list (`?limit=`, `?cursor=`).
async fn list<T: DeserializeOwned + Serialize>(state: &State, request: &Request, list: &str) -> HttpResult {
    let limit = page_limit(http::query(request, "limit").as_deref())?;
    let cursor = http::query(request, "cursor");
    ok(&state.store.list::<T>(list, limit, cursor.as_deref()).await?)
}

#[cfg(test)]
pub(crate) mod tests {
    use lambda_http::http::Method;
    use lambda_http::{Body, Request};

    use crate::config::{Config, State};

    /// A state whose table is never reached (the requests fail before any read).
    pub fn state() -> State {
        let client = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .build();
        let config = Config {
            table: "t".into(),
            identity_table: "i".into(),
        };
        State::new(config, aws_sdk_dynamodb::Client::from_conf(client))
    }

    pub fn request(method: Method, body: &str) -> Request {
        let mut request = Request::new(Body::Text(body.to_string()));
        *request.method_mut() = method;
        request
    }
}
