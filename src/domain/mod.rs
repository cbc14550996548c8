//! The domain: validated values, the execution, and the two operations' rules. It knows
//! nothing of HTTP, DynamoDB or the AWS SDK.

pub mod cancel;
pub mod execution;
pub mod get;
pub mod ids;
pub mod list;
pub mod number;

pub use cancel::{CancelPlan, CancelRequest, CorruptExecution, Outcome, Refusal, TokenRecord};
pub use execution::{Execution, ExecutionStatus, StatusChange, StoredStatus};
pub use get::GetRequest;
pub use ids::{AccountId, ClientToken, ImageBuilderArn, LifecycleExecutionId, RuleViolation};

/// The most characters of one value (a stored status, a request's member) a log line quotes.
pub const QUOTED_MAX_CHARS: usize = 256;

/// `text` whole when it has at most `max_chars` characters, else its first `max_chars` and
/// its full length (`… (300000 characters)`): no data can make a log line large.
pub fn bounded(text: &str, max_chars: usize) -> std::borrow::Cow<'_, str> {
    match cut(text, max_chars) {
        (whole, None) => whole.into(),
        (head, Some(length)) => format!("{head}… ({length} characters)").into(),
    }
}

/// One value quoted for a log line, at most [`QUOTED_MAX_CHARS`] characters of it.
pub fn quoted(value: &str) -> String {
    match cut(value, QUOTED_MAX_CHARS) {
        (whole, None) => format!("{whole:?}"),
        (head, Some(length)) => format!("{head:?}… ({length} characters)"),
    }
}

/// The first `max_chars` characters of `text`, and its length in characters if it had more.
fn cut(text: &str, max_chars: usize) -> (&str, Option<usize>) {
    match text.char_indices().nth(max_chars) {
        None => (text, None),
        Some((at, _)) => (&text[..at], Some(text.chars().count())),
    }
}

/// The operations this service answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    CancelLifecycleExecution,
    GetLifecycleExecution,
    ListLifecycleExecutions,
}

impl Operation {
    pub const ALL: [Self; 3] = [
        Self::CancelLifecycleExecution,
        Self::GetLifecycleExecution,
        Self::ListLifecycleExecutions,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Self::CancelLifecycleExecution => "CancelLifecycleExecution",
            Self::GetLifecycleExecution => "GetLifecycleExecution",
            Self::ListLifecycleExecutions => "ListLifecycleExecutions",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_value_is_quoted_whole_and_a_long_one_cut_with_its_length() {
        assert_eq!(quoted("PAUSED"), r#""PAUSED""#);
        let long = "é".repeat(300);
        let shown = quoted(&long);
        assert_eq!(
            shown,
            format!("{:?}… (300 characters)", "é".repeat(QUOTED_MAX_CHARS))
        );
        assert_eq!(
            quoted(&"x".repeat(QUOTED_MAX_CHARS)).len(),
            QUOTED_MAX_CHARS + 2
        );
    }

    #[test]
    fn bounded_text_keeps_at_most_its_characters_and_says_the_length() {
        assert_eq!(bounded("abc", 3), "abc");
        assert_eq!(bounded("abcd", 3), "abc… (4 characters)");
        assert_eq!(bounded("ééé€", 2), "éé… (4 characters)");
    }
}
