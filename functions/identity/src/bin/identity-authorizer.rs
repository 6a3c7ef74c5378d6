//! The Lambda authorizer of every HTTP API (payload 2.0, simple responses).
use std::time::Duration;

use andes_shared::{aws, telemetry};
use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use identity::authorizer::Authorizer;
use identity::config::{self, JwtSecret};
use identity::store::Store;
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let (table, secret) = (config::table_name()?, JwtSecret::from_env()?);
    let cache_ttl = Duration::from_secs(config::permissions_cache_seconds()?);
    let store = Store::new(aws::dynamodb(&aws::sdk_config().await), table);
    let authorizer = &Authorizer::new(store, secret, cache_ttl);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>| async move {
            // A store failure must not become an allow: the invocation fails and API Gateway answers 500.
            // Boxed: the authorizer's future (token checks, key and permission reads) is deep enough
            // that laying it out inline in `main` overflows rustc's query depth in non-incremental builds.
            Box::pin(authorizer.handle(&event.payload)).await.map_err(|error| {
                tracing::error!(error = %error, "authorizer failed");
                lambda_runtime::Error::from("authorizer failed")
            })
        },
    ))
    .await
}
