//! EC2 Image Builder's CancelLifecycleExecution as a library: the binary only wires it up.

pub mod cancel;
pub mod config;
pub mod error;
pub mod get;
pub mod http;
pub mod local;
pub mod model;
pub mod store;
pub mod telemetry;
