//! The domain: validated values, the execution, and the two operations' rules. It knows
//! nothing of HTTP, DynamoDB or the AWS SDK.

pub mod cancel;
pub mod execution;
pub mod get;
pub mod ids;

pub use cancel::{CancelPlan, CancelRequest, CorruptExecution, Outcome, Refusal, TokenRecord};
pub use execution::{Execution, ExecutionStatus, StatusChange, StoredStatus};
pub use get::GetRequest;
pub use ids::{AccountId, ClientToken, LifecycleExecutionId, RuleViolation};

/// The operations this service answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    CancelLifecycleExecution,
    GetLifecycleExecution,
}

impl Operation {
    pub const ALL: [Self; 2] = [Self::CancelLifecycleExecution, Self::GetLifecycleExecution];

    pub const fn name(self) -> &'static str {
        match self {
            Self::CancelLifecycleExecution => "CancelLifecycleExecution",
            Self::GetLifecycleExecution => "GetLifecycleExecution",
        }
    }
}
