//! AWS clients, built once per cold start.
//!
//! `aws-config` reads region, credentials and `AWS_ENDPOINT_URL` from the environment, so the
//! same binary talks to AWS when deployed and to the local backend when the local platform
//! sets the endpoint. Building the clients makes no network call.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};

use crate::http::ApiError;

/// The roots every AWS service endpoint's certificate chains to. Trusting only these spares
/// each cold start from parsing the system's whole root store (most of a function's init
/// time, measured with `make bench`).
const AMAZON_TRUST_ROOTS: &[u8] = include_bytes!("../certs/amazon-trust-roots.pem");

/// The shared SDK configuration, from the environment.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .load()
        .await
}

/// HTTPS with rustls (aws-lc), trusting the Amazon roots only. Plain HTTP endpoints, such as
/// the local backend, need no trust store at all.
fn https_client() -> SharedHttpClient {
    let trust_store = TrustStore::empty().with_pem_certificate(AMAZON_TRUST_ROOTS);
    let context = TlsContext::builder()
        .with_trust_store(trust_store)
        .build()
        .expect("a trust store without native roots always builds");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https()
}

pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

pub fn sqs(config: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(config)
}

/// S3 needs path-style addressing against a local endpoint (no wildcard DNS on loopback).
pub fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    let local_endpoint = config.endpoint_url().is_some();
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(local_endpoint)
        .build();
    aws_sdk_s3::Client::from_conf(s3_config)
}

/// An AWS SDK failure as an internal error, with its whole cause chain (logged, never sent).
/// `DisplayErrorContext` is the same type in every SDK crate, so this serves them all.
pub fn sdk_error<E: std::error::Error>(error: E) -> ApiError {
    ApiError::internal(DisplayErrorContext(error))
}

#[cfg(test)]
mod tests {
    use rustls_pki_types::{pem::PemObject, CertificateDer};

    #[test]
    fn amazon_roots_parse() {
        let certificates: Vec<_> = CertificateDer::pem_slice_iter(super::AMAZON_TRUST_ROOTS)
            .collect::<Result<_, _>>()
            .expect("the bundled roots are valid PEM");
        assert_eq!(certificates.len(), 5);
    }
}
