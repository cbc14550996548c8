//! The cancel protocol, checked exhaustively within bounds (docs/TESTING.md, "The model
//! checker"): the service's steps call the crate's own plan and decision, DynamoDB's side
//! evaluates the transaction's conditions as predicates and commits when they hold, and
//! stateright walks every interleaving of clients, service, engine, TTL and clock.

pub mod dynamodb;
pub mod service;
pub mod system;

pub use dynamodb::TokenCondition;
pub use service::Design;
pub use system::{Bounds, System};
