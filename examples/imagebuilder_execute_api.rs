//! Calls the deployed CancelLifecycleExecution with the AWS SDK for Rust, signed for API Gateway.
//!
//! `cargo run --example imagebuilder_execute_api -- https://abc123.execute-api.us-east-1.amazonaws.com/v1 lce-...`

use std::collections::HashMap;

use aws_sdk_imagebuilder::config::endpoint::{Endpoint, EndpointFuture, Params, ResolveEndpoint};
use aws_smithy_types::Document;

/// Sends every call to `url` and signs it for `execute-api` (API Gateway's IAM auth) in
/// `region`, instead of for `imagebuilder`.
#[derive(Debug)]
pub struct ApiGatewayEndpoint {
    pub url: String,
    pub region: String,
}

impl ResolveEndpoint for ApiGatewayEndpoint {
    fn resolve_endpoint<'a>(&'a self, _params: &'a Params) -> EndpointFuture<'a> {
        let sigv4 = Document::Object(HashMap::from([
            ("name".to_owned(), Document::from("sigv4")),
            ("signingName".to_owned(), Document::from("execute-api")),
            (
                "signingRegion".to_owned(),
                Document::from(self.region.as_str()),
            ),
        ]));
        let endpoint = Endpoint::builder()
            .url(self.url.clone())
            .property("authSchemes", vec![sigv4])
            .build();
        EndpointFuture::ready(Ok(endpoint))
    }
}

/// An Image Builder client for this service's API Gateway endpoint `url`.
pub fn imagebuilder_for_api_gateway(
    config: &aws_config::SdkConfig,
    url: &str,
) -> aws_sdk_imagebuilder::Client {
    let region = config
        .region()
        .map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
    let conf = aws_sdk_imagebuilder::config::Builder::from(config)
        .endpoint_resolver(ApiGatewayEndpoint {
            url: url.to_owned(),
            region,
        })
        .build();
    aws_sdk_imagebuilder::Client::from_conf(conf)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(id)) = (args.next(), args.next()) else {
        eprintln!("usage: imagebuilder_execute_api <api-url> <lifecycle-execution-id>");
        std::process::exit(2);
    };
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = imagebuilder_for_api_gateway(&config, &url);
    let cancelled = client
        .cancel_lifecycle_execution()
        .lifecycle_execution_id(id)
        .send()
        .await?;
    println!("{}", cancelled.lifecycle_execution_id().unwrap_or_default());
    Ok(())
}
