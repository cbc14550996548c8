//! The start-up check: both tables exist and are keyed as the schema says, within a bound.
//! It also opens the connection that the first request then uses.

use std::time::Duration;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::Client;

use super::schema::{expected, expected_key, index_problem, key_of};
use crate::config::TableNames;

/// How long the start waits for DynamoDB's answers: at 128 MB the TLS handshake alone takes
/// about half a second (BENCHMARKS.md).
pub const STARTUP_CHECK_BOUND: Duration = Duration::from_secs(1);

/// What the check found, when it did not find both tables as they should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableCheck {
    /// An answer said a table is missing, keyed otherwise or not accessible: the message names
    /// the table, what is wrong and the fix.
    Wrong(String),
    /// No answer (or none that says anything of the tables) within the bound.
    NoAnswer(String),
    /// Both tables are as they should be, but the executions table's index is still being
    /// built: ListLifecycleExecutions answers `ServiceUnavailableException` until it is active.
    IndexBuilding(String),
}

/// Describes both tables, bounded by [`STARTUP_CHECK_BOUND`].
pub async fn check_tables(
    client: &Client,
    tables: &TableNames,
    endpoint: &str,
) -> Result<(), TableCheck> {
    let checks = async {
        let mut building = None;
        for (name, setting, key, indexed) in expected(tables) {
            let index_active = check_table(client, name, setting, key, indexed, endpoint).await?;
            if !index_active {
                building = Some(TableCheck::IndexBuilding(format!(
                    "the index {} of table {name} ({setting}) is still being built",
                    super::item::INDEX
                )));
            }
        }
        building.map_or(Ok(()), Err)
    };
    tokio::time::timeout(STARTUP_CHECK_BOUND, checks)
        .await
        .unwrap_or_else(|_| {
            Err(TableCheck::NoAnswer(format!(
                "DynamoDB at {endpoint} did not answer within {STARTUP_CHECK_BOUND:?}"
            )))
        })
}

/// One table as the schema says (and, for the executions table, its index); `Ok(false)` when
/// that index is still being built.
async fn check_table(
    client: &Client,
    name: &str,
    setting: &str,
    key: &str,
    indexed: bool,
    endpoint: &str,
) -> Result<bool, TableCheck> {
    match client.describe_table().table_name(name).send().await {
        Ok(described) => {
            let found = key_of(described.table());
            if found == expected_key(key) {
                if !indexed {
                    return Ok(true);
                }
                return index_problem(described.table()).map_err(|problem| {
                    TableCheck::Wrong(format!(
                        "table {name} ({setting}) {problem}: run `cancel-lifecycle-execution \
                         create-tables`, which adds the index (DynamoDB backfills it), or add \
                         it as docs/OPERATIONS.md says"
                    ))
                });
            }
            Err(TableCheck::Wrong(format!(
                "table {name} ({setting}) is keyed on {}, not {}: point {setting} at a table \
                 with that key, or run `cancel-lifecycle-execution create-tables` for a new name",
                found.join(", "),
                expected_key(key).join(", ")
            )))
        }
        Err(SdkError::ServiceError(e)) => {
            let code = e.err().code().unwrap_or("no error code");
            let message = e.err().message().unwrap_or("no message");
            match code {
                "ResourceNotFoundException" => Err(TableCheck::Wrong(format!(
                    "table {name} ({setting}) does not exist at {endpoint}: create it with \
                     `cancel-lifecycle-execution create-tables` (or deploy template.yaml)"
                ))),
                "AccessDeniedException" | "UnrecognizedClientException" => {
                    Err(TableCheck::Wrong(format!(
                        "table {name} ({setting}) is not accessible: {code}: {message}: allow \
                         dynamodb:DescribeTable on it to this role"
                    )))
                }
                _ => Err(TableCheck::NoAnswer(format!(
                    "DescribeTable on {name} answered {code}: {message}"
                ))),
            }
        }
        Err(other) => Err(TableCheck::NoAnswer(format!(
            "no answer from DynamoDB at {endpoint}: {}",
            aws_sdk_dynamodb::error::DisplayErrorContext(&other)
        ))),
    }
}
