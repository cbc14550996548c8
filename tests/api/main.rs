//! Every integration test, as one test binary (one link step). Tests that need DynamoDB use
//! moto's server, which `make test` starts (MOTO_ENDPOINT); the rest need nothing.

#[macro_use]
mod helpers;

mod alarm_metrics;
mod aws_events;
mod callers_leaving;
mod dynamodb;
mod events;
mod faults;
mod host_check;
mod hostile_input;
mod http_api;
mod invocations;
mod list_api;
mod list_contract;
mod load;
mod local_limits;
mod local_server;
mod mocked_dynamodb;
mod rust_sdk_signing;
mod sdk_clients;
mod store_contract;
mod telemetry;
