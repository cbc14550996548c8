//! The embedded store's executions from a JSON file (`EMBEDDED_EXECUTIONS_FILE`): each as
//! GetLifecycleExecution shows it, plus `accountId`, so a newcomer can try their own ids
//! without DynamoDB. A malformed file stops the start naming the entry and the field.

use serde_json::{Map, Value};

use super::EmbeddedStore;
use crate::domain::{AccountId, Execution, LifecycleExecutionId, StoredStatus};

/// The members an entry may have; any other is a typo worth stopping for.
const MEMBERS: [&str; 7] = [
    "lifecycleExecutionId",
    "accountId",
    "lifecyclePolicyArn",
    "state",
    "startTime",
    "endTime",
    "resourcesImpactedSummary",
];

impl EmbeddedStore {
    /// A store holding the executions of `text` (the file's content, a JSON array of entries).
    pub fn from_executions_file(text: &str) -> Result<Self, String> {
        store_from(text)
    }
}

fn store_from(text: &str) -> Result<EmbeddedStore, String> {
    let entries: Vec<Value> = serde_json::from_str(text)
        .map_err(|e| format!("is not a JSON array of executions: {e}"))?;
    let store = EmbeddedStore::new();
    for (n, entry) in entries.iter().enumerate() {
        let entry = entry
            .as_object()
            .ok_or_else(|| format!("entry {n}: is not a JSON object"))?;
        let (id, execution) = execution_of(entry).map_err(|problem| {
            let id = entry.get("lifecycleExecutionId").and_then(Value::as_str);
            match id {
                Some(id) => format!("entry {n} ({id}): {problem}"),
                None => format!("entry {n}: {problem}"),
            }
        })?;
        if store.execution(id.as_str()).is_some() {
            return Err(format!(
                "entry {n} ({id}): lifecycleExecutionId is listed twice"
            ));
        }
        store.put_execution(id.as_str(), execution);
    }
    Ok(store)
}

fn execution_of(entry: &Map<String, Value>) -> Result<(LifecycleExecutionId, Execution), String> {
    if let Some(unknown) = entry.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
        return Err(format!("{unknown} is no member of an execution"));
    }
    let text = |name: &str| -> Result<Option<String>, String> {
        match entry.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(format!("{name} must be a string")),
        }
    };
    let required = |name: &str| text(name)?.ok_or_else(|| format!("{name} is required"));
    let id = LifecycleExecutionId::try_from(required("lifecycleExecutionId")?)
        .map_err(|rule| format!("lifecycleExecutionId {rule}"))?;
    let owner =
        AccountId::try_from(required("accountId")?).map_err(|rule| format!("accountId {rule}"))?;
    let time = |name: &str| match entry.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(_) => Err(format!("{name} must be a number (epoch seconds)")),
    };
    let state = match entry.get("state") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(state)) => state.clone(),
        Some(_) => return Err("state must be an object".to_owned()),
    };
    let state_text = |name: &str| match state.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(format!("state.{name} must be a string")),
    };
    let impacted = match entry.get("resourcesImpactedSummary") {
        None | Some(Value::Null) => None,
        Some(summary) => Some(
            summary
                .get("hasImpactedResources")
                .and_then(Value::as_bool)
                .ok_or("resourcesImpactedSummary.hasImpactedResources must be a boolean")?,
        ),
    };
    let execution = Execution {
        owner: Some(owner),
        status: state_text("status")?.map(|s| StoredStatus::from_text(&s)),
        status_reason: state_text("reason")?,
        lifecycle_policy_arn: text("lifecyclePolicyArn")?,
        start_time_epoch_secs: time("startTime")?,
        end_time_epoch_secs: time("endTime")?,
        cancel_requested_at: None,
        has_impacted_resources: impacted,
    };
    Ok((id, execution))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "lce-11111111-2222-4333-8444-555555555555";

    #[test]
    fn executions_as_get_shows_them_plus_their_account_are_loaded() {
        let store = store_from(&format!(
            r#"[{{"lifecycleExecutionId":"{ID}","accountId":"111122223333",
                "lifecyclePolicyArn":"arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/p",
                "state":{{"status":"IN_PROGRESS"}},"startTime":1764460800.5,
                "resourcesImpactedSummary":{{"hasImpactedResources":true}}}}]"#
        ))
        .unwrap();
        let found = store.execution(ID).unwrap();
        assert_eq!(found.owner.unwrap().as_str(), "111122223333");
        assert_eq!(found.status.unwrap().shown(), Some("IN_PROGRESS"));
        assert_eq!(found.start_time_epoch_secs, Some(1_764_460_800.5));
        assert_eq!(found.has_impacted_resources, Some(true));
    }

    #[test]
    fn a_malformed_file_names_the_entry_and_the_field() {
        let good = format!(r#"{{"lifecycleExecutionId":"{ID}","accountId":"111122223333"}}"#);
        for (file, named) in [
            ("{}".to_owned(), "is not a JSON array"),
            ("[1]".to_owned(), "entry 0: is not a JSON object"),
            (format!("[{good},{{\"accountId\":\"111122223333\"}}]"), "entry 1: lifecycleExecutionId is required"),
            (format!("[{good},{good}]"), "entry 1 (lce-11111111-2222-4333-8444-555555555555): lifecycleExecutionId is listed twice"),
            (format!(r#"[{{"lifecycleExecutionId":"{ID}","accountId":"1"}}]"#), "entry 0 (lce-11111111-2222-4333-8444-555555555555): accountId must be 12 decimal digits"),
            (format!(r#"[{{"lifecycleExecutionId":"{ID}","accountId":"111122223333","startTime":"soon"}}]"#), "startTime must be a number"),
            (format!(r#"[{{"lifecycleExecutionId":"{ID}","accountId":"111122223333","state":{{"status":3}}}}]"#), "state.status must be a string"),
            (format!(r#"[{{"lifecycleExecutionId":"{ID}","accountId":"111122223333","statu":"x"}}]"#), "statu is no member"),
            (r#"[{"lifecycleExecutionId":"lce-1","accountId":"111122223333"}]"#.to_owned(), "entry 0 (lce-1): lifecycleExecutionId must match"),
        ] {
            let error = store_from(&file).err().unwrap_or_default();
            assert!(error.contains(named), "{file}: {error}");
        }
    }
}
