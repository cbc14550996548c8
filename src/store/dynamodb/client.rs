//! The SDK client every DynamoDB call of this service goes through: timeouts, retries, and
//! the call counter of the request log line.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;

use super::scope_interceptor::FromRequestScope;

/// SDK timeouts: a DynamoDB that never answers costs at most `OPERATION`, not Lambda's timeout.
pub mod timeouts {
    use std::time::Duration;
    pub const CONNECT: Duration = Duration::from_secs(1);
    pub const ATTEMPT: Duration = Duration::from_secs(2);
    pub const OPERATION: Duration = Duration::from_secs(5);
}

/// The most one request may spend on DynamoDB, all attempts included: well inside API
/// Gateway's 29 s.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(8);

/// The SDK timeouts of every DynamoDB client of this service.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(timeouts::CONNECT)
        .operation_attempt_timeout(timeouts::ATTEMPT)
        .operation_timeout(timeouts::OPERATION)
        .build()
}

/// Standard retries (throttling and transient errors), three attempts within `OPERATION`.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(3)
}

/// The SDK configuration: the endpoint, region and credentials come from the environment
/// (`AWS_ENDPOINT_URL_DYNAMODB` for a local server). `None` when neither the environment nor
/// the AWS config file names a region: the SDK's own chain would then ask EC2's instance
/// metadata (Lambda always sets `AWS_REGION`), and on a laptop print screens of WARN lines
/// before the one that helps.
pub async fn load_sdk_config() -> Option<aws_config::SdkConfig> {
    use aws_config::environment::EnvironmentVariableRegionProvider;
    use aws_config::meta::region::RegionProviderChain;
    use aws_config::profile::ProfileFileRegionProvider;

    let region = RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(ProfileFileRegionProvider::new())
        .region()
        .await?;
    Some(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(region)
            .timeout_config(timeout_config())
            .retry_config(retry_config())
            .load()
            .await,
    )
}

/// The service's DynamoDB client: [`load_sdk_config`] through [`client_from`].
pub fn client(config: &aws_config::SdkConfig) -> Client {
    client_from(aws_sdk_dynamodb::config::Builder::from(config))
}

/// The one place a DynamoDB client of this service is made, for the service, the tests and the
/// bench alike: any endpoint, region and credentials, with the service's timeouts, retries and
/// call counter on top.
pub fn client_from(builder: aws_sdk_dynamodb::config::Builder) -> Client {
    Client::from_conf(
        builder
            .timeout_config(timeout_config())
            .retry_config(retry_config())
            .interceptor(FromRequestScope)
            .build(),
    )
}
