//! Shared test helpers, split by job: moto, the two store backends, HTTP clients, events, the
//! fault endpoint and in-process servers.

#[macro_use]
mod contract;
pub mod backends;
pub mod events;
pub mod fault;
pub mod http_client;
pub mod logs;
pub mod moto;
pub mod process;
pub mod server;

pub use backends::*;
pub use events::*;
pub use http_client::*;
pub use moto::*;

use cancel_lifecycle_execution::domain::{
    AccountId, CancelRequest, ClientToken, LifecycleExecutionId,
};
use cancel_lifecycle_execution::http::App;
use cancel_lifecycle_execution::store::CancelStore;

pub const ACCOUNT: &str = "111122223333";
pub const OTHER_ACCOUNT: &str = "444455556666";
pub const TTL_SECS: i64 = 86_400;
pub const NOW: i64 = 1_800_000_000;

/// The service on `store`, as `cargo run` makes it: callers without an identity act as
/// [`ACCOUNT`].
pub fn app_with<S: CancelStore>(store: S) -> App<S> {
    App::new(store, Some(account(ACCOUNT)))
}

/// [`app_with`] on a free loopback port for the rest of the test; returns its base URL.
pub async fn spawn_app<S: CancelStore>(store: S) -> String {
    server::serve(app_with(store)).await
}

pub fn id(value: &str) -> LifecycleExecutionId {
    LifecycleExecutionId::try_from(value.to_owned()).expect("test ids are valid")
}

pub fn account(value: &str) -> AccountId {
    AccountId::try_from(value.to_owned()).expect("test accounts are valid")
}

/// A fresh valid execution id.
pub fn new_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "lce-{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

pub fn request(account_id: &str, token: &str, execution_id: &str) -> CancelRequest {
    CancelRequest {
        account_id: account(account_id),
        client_token: ClientToken::try_from(token.to_owned()).expect("test tokens are valid"),
        lifecycle_execution_id: id(execution_id),
    }
}

pub fn cancel_body(token: &str, id: &str) -> String {
    serde_json::json!({ "clientToken": token, "lifecycleExecutionId": id }).to_string()
}
