//! The README's Rust SDK snippet (examples/imagebuilder_execute_api.rs), run against the local
//! server: it must sign for `execute-api`, and the call must succeed.

#[path = "../../examples/imagebuilder_execute_api.rs"]
#[allow(dead_code)]
mod snippet;

use std::sync::{Arc, Mutex};

use crate::helpers::{new_id, spawn_app, ACCOUNT};
use aws_sdk_imagebuilder::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_imagebuilder::config::{ConfigBag, Intercept, RuntimeComponents};
use cancel_lifecycle_execution::store::EmbeddedStore;

/// Keeps the Authorization header of every request the SDK sends.
#[derive(Debug, Clone, Default)]
struct Authorizations(Arc<Mutex<Vec<String>>>);

impl Intercept for Authorizations {
    fn name(&self) -> &'static str {
        "Authorizations"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_imagebuilder::error::BoxError> {
        let header = context
            .request()
            .headers()
            .get("authorization")
            .unwrap_or_default()
            .to_owned();
        self.0.lock().expect("not poisoned").push(header);
        Ok(())
    }
}

#[tokio::test]
async fn the_rust_sdk_snippet_signs_for_execute_api_and_the_call_succeeds() {
    let store = EmbeddedStore::new();
    let id = new_id();
    crate::helpers::put_raw(&store, &id, ACCOUNT, "PENDING");
    let url = spawn_app(store).await;
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(
            aws_sdk_imagebuilder::config::SharedCredentialsProvider::new(
                aws_sdk_imagebuilder::config::Credentials::new(
                    "AKIDEXAMPLE",
                    "secret",
                    None,
                    None,
                    "test",
                ),
            ),
        )
        .build();
    let seen = Authorizations::default();
    let client = snippet::imagebuilder_for_api_gateway(&config, &url);
    let client = aws_sdk_imagebuilder::Client::from_conf(
        client
            .config()
            .to_builder()
            .interceptor(seen.clone())
            .build(),
    );

    let cancelled = client
        .cancel_lifecycle_execution()
        .lifecycle_execution_id(&id)
        .send()
        .await
        .expect("the cancel succeeds");

    assert_eq!(cancelled.lifecycle_execution_id(), Some(id.as_str()));
    let headers = seen.0.lock().unwrap().clone();
    assert_eq!(headers.len(), 1);
    assert!(
        headers[0].contains("/eu-west-1/execute-api/aws4_request"),
        "{}",
        headers[0]
    );
}
