//! Each DynamoDB request the SDK transmits, as its request's own: counted into that request's
//! line (SDK retries included), and carrying that request's trace header or none.

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};

use crate::telemetry::request_scope;

/// The X-Ray trace header of an AWS request (SigV4 does not sign it, so it may be set last).
const TRACE_HEADER: &str = "x-amzn-trace-id";

/// Counts the request and sets its trace header from the running request's scope, on every
/// attempt: the SDK's recursion detection takes the header from the process environment,
/// which under Lambda's concurrent mode belongs to no invocation (or to another one).
#[derive(Debug, Clone, Copy, Default)]
pub struct FromRequestScope;

impl Intercept for FromRequestScope {
    fn name(&self) -> &'static str {
        "FromRequestScope"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        request_scope::count_one();
        let headers = context.request_mut().headers_mut();
        headers.remove(TRACE_HEADER);
        if let Some(trace) = request_scope::trace_header() {
            // A header value Lambda would never send is left out rather than fail the call.
            let _ = headers.try_insert(TRACE_HEADER, trace);
        }
        Ok(())
    }
}
