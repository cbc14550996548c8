//! One lifecycle execution as the engine stores it, damaged or not, and how a cancel moves it.

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::ids::AccountId;

/// A status the service knows (docs/API.md, "Schema").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecutionStatus {
    Pending,
    InProgress,
    Cancelling,
    Cancelled,
    Success,
    Failed,
}

impl ExecutionStatus {
    /// Every known status, in the engine's order.
    pub const ALL: [Self; 6] = [
        Self::Pending,
        Self::InProgress,
        Self::Cancelling,
        Self::Cancelled,
        Self::Success,
        Self::Failed,
    ];

    /// The statuses a cancel may move to `CANCELLING`: the one list both stores use.
    pub const CANCELLABLE: [Self; 2] = [Self::Pending, Self::InProgress];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::InProgress => "IN_PROGRESS",
            Self::Cancelling => "CANCELLING",
            Self::Cancelled => "CANCELLED",
            Self::Success => "SUCCESS",
            Self::Failed => "FAILED",
        }
    }

    /// Whether the execution has finished for good.
    pub const fn is_terminal(self) -> bool {
        matches!(self, Self::Cancelled | Self::Success | Self::Failed)
    }

    /// The known status with this exact name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == name)
    }
}

impl fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `status` attribute as found: a known status, a string the service does not know, or a
/// value of another type (a number, say) that no engine should have written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredStatus {
    Known(ExecutionStatus),
    Unknown(String),
    NotAString,
}

impl StoredStatus {
    /// A string status: known if the service knows its name.
    pub fn from_text(text: &str) -> Self {
        ExecutionStatus::from_name(text).map_or_else(|| Self::Unknown(text.to_owned()), Self::Known)
    }

    /// What GetLifecycleExecution shows: any string as stored, nothing for another type.
    pub fn shown(&self) -> Option<&str> {
        match self {
            Self::Known(status) => Some(status.as_str()),
            Self::Unknown(text) => Some(text),
            Self::NotAString => None,
        }
    }
}

impl fmt::Display for StoredStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Known(status) => write!(f, "status {status}"),
            Self::Unknown(text) => write!(f, "unknown status {}", super::quoted(text)),
            Self::NotAString => f.write_str("a status that is not a string"),
        }
    }
}

/// An execution item: everything the service reads, each attribute as found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Execution {
    /// The owning account; `None` when the attribute is missing or not an account id, so
    /// that the item belongs to no caller.
    pub owner: Option<AccountId>,
    /// `None` when the item has no `status` at all.
    pub status: Option<StoredStatus>,
    pub status_reason: Option<String>,
    pub lifecycle_policy_arn: Option<String>,
    pub start_time_epoch_secs: Option<f64>,
    pub end_time_epoch_secs: Option<f64>,
    pub cancel_requested_at: Option<String>,
    /// `hasImpactedResources` when the item holds it as a boolean.
    pub has_impacted_resources: Option<bool>,
}

impl Execution {
    /// An execution of `owner` in a known status, with nothing else set.
    pub fn new(owner: AccountId, status: ExecutionStatus) -> Self {
        Self {
            owner: Some(owner),
            status: Some(StoredStatus::Known(status)),
            ..Self::default()
        }
    }

    pub fn is_owned_by(&self, account: &AccountId) -> bool {
        self.owner.as_ref() == Some(account)
    }

    /// Applies a planned status change. The decision has checked every condition already.
    pub fn apply(&mut self, change: &StatusChange) {
        self.status = Some(StoredStatus::Known(change.to));
        self.status_reason = Some(change.reason.to_owned());
        self.cancel_requested_at = Some(change.requested_at.clone());
    }
}

/// The status change a cancel makes, with the conditions it needs: the execution belongs to
/// `owner` and is in one of `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub owner: AccountId,
    pub from: [ExecutionStatus; 2],
    pub to: ExecutionStatus,
    pub reason: &'static str,
    /// RFC 3339 UTC, whole seconds.
    pub requested_at: String,
}

/// 9999-12-31T23:59:59Z: the last instant every AWS SDK's timestamp parser accepts. A stored
/// time past it (a shown `startTime`, a token's `expiresAt`) is damaged data.
pub const LAST_PLAUSIBLE_EPOCH_SECS: i64 = 253_402_300_799;

/// `epoch_secs` as RFC 3339 in UTC, whole seconds (`2023-11-14T22:13:20Z`), held to
/// 1970..=9999 (no clock of ours leaves it).
pub fn rfc3339_utc(epoch_secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(epoch_secs.clamp(0, LAST_PLAUSIBLE_EPOCH_SECS))
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// A timestamp attribute the engine wrote: epoch seconds, or an RFC 3339 string.
pub fn parse_timestamp(epoch_or_rfc3339: &str) -> Option<f64> {
    epoch_or_rfc3339
        .parse::<f64>()
        .ok()
        .filter(|secs| secs.is_finite())
        .or_else(|| {
            OffsetDateTime::parse(epoch_or_rfc3339, &Rfc3339)
                .ok()
                .map(|t| t.unix_timestamp_nanos() as f64 / 1e9)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_name() {
        for status in ExecutionStatus::ALL {
            assert_eq!(ExecutionStatus::from_name(status.as_str()), Some(status));
        }
        assert_eq!(ExecutionStatus::from_name("pending"), None);
    }

    #[test]
    fn only_pending_and_in_progress_are_cancellable() {
        for (name, cancellable) in [
            ("PENDING", true),
            ("IN_PROGRESS", true),
            ("CANCELLING", false),
            ("CANCELLED", false),
            ("SUCCESS", false),
            ("FAILED", false),
        ] {
            let status = ExecutionStatus::from_name(name).unwrap();
            assert_eq!(
                ExecutionStatus::CANCELLABLE.contains(&status),
                cancellable,
                "{name}"
            );
        }
    }

    #[test]
    fn a_stored_status_shows_any_string_and_hides_other_types() {
        assert_eq!(StoredStatus::from_text("PENDING").shown(), Some("PENDING"));
        assert_eq!(
            StoredStatus::from_text("PAUSED"),
            StoredStatus::Unknown("PAUSED".to_owned())
        );
        assert_eq!(StoredStatus::from_text("PAUSED").shown(), Some("PAUSED"));
        assert_eq!(StoredStatus::NotAString.shown(), None);
    }

    #[test]
    fn timestamps_are_rfc3339_utc_in_whole_seconds() {
        assert_eq!(rfc3339_utc(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn timestamps_are_read_from_epoch_seconds_or_rfc3339() {
        assert_eq!(parse_timestamp("1700000000"), Some(1_700_000_000.0));
        assert_eq!(parse_timestamp("1700000000.25"), Some(1_700_000_000.25));
        assert_eq!(
            parse_timestamp("2023-11-14T22:13:20Z"),
            Some(1_700_000_000.0)
        );
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp("inf"), None);
    }
}
