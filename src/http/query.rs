//! The query string of GetLifecycleExecution.

use crate::domain::LifecycleExecutionId;
use crate::error::ApiError;

/// `lifecycleExecutionId` from the query string, required once and matching its pattern.
pub fn execution_id(query: Option<&str>) -> Result<LifecycleExecutionId, ApiError> {
    const NAME: &str = "lifecycleExecutionId";
    let mut values = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(name, _)| name == NAME)
        .map(|(_, value)| value.into_owned());
    let value = values
        .next()
        .ok_or_else(|| ApiError::client(format!("{NAME} is required.")))?;
    if values.next().is_some() {
        return Err(ApiError::invalid_request(format!(
            "The query parameter {NAME} appears more than once."
        )));
    }
    LifecycleExecutionId::try_from(value)
        .map_err(|rule| ApiError::client(format!("{NAME} {rule}.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "lce-0123abcd-4567-89ab-cdef-0123456789ab";

    #[test]
    fn the_id_is_read_and_percent_decoded() {
        let query = format!("other=1&lifecycleExecutionId={}", ID.replace('-', "%2D"));
        assert_eq!(execution_id(Some(&query)).unwrap().as_str(), ID);
    }

    #[test]
    fn a_missing_id_is_a_client_error() {
        for query in [None, Some(""), Some("lifecycleexecutionid=x")] {
            assert_eq!(
                execution_id(query).unwrap_err(),
                ApiError::client("lifecycleExecutionId is required.")
            );
        }
    }

    #[test]
    fn a_repeated_or_malformed_id_is_refused() {
        let twice = format!("lifecycleExecutionId={ID}&lifecycleExecutionId={ID}");
        assert_eq!(
            execution_id(Some(&twice)).unwrap_err().name(),
            "InvalidRequestException"
        );
        let newline = format!("lifecycleExecutionId={ID}%0A");
        assert_eq!(
            execution_id(Some(&newline)).unwrap_err().name(),
            "ClientException"
        );
    }
}
