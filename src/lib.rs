//! EC2 Image Builder's CancelLifecycleExecution as a library: the binary only wires it up.
//! docs/ARCHITECTURE.md shows how the modules fit together.

pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod lambda;
pub mod local;
pub mod store;
pub mod telemetry;
