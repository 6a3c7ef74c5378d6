//! The Lambda authorizer of every HTTP API (payload 2.0, simple responses).
use andes_shared::{event, telemetry};
use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use identity::config::State;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let state = State::from_env().await?;
    let authorizer = state.authorizer()?;
    // Boxed: the authorizer's future (token checks, key and permission reads) is deep enough that
    // laying it out inline in `main` overflows rustc's query depth in non-incremental builds.
    event::run(|request: ApiGatewayV2CustomAuthorizerV2Request| Box::pin(authorizer.handle(request))).await
}
