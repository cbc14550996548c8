//! Every log line an invocation writes carries its `function_request_id`, not only its summary
//! line: the summary layer runs each invocation's work in a span named [`SPAN`] holding the id;
//! a layer keeps the id with the span, and the JSON format puts it on each line inside it.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// The span's name and its one field.
pub const SPAN: &str = "invocation";
pub const FIELD: &str = "function_request_id";

/// The invocation's id, kept in its span's extensions.
struct FunctionRequestId(String);

/// Keeps each invocation span's id where the format finds it.
pub struct RecordFunctionRequestId;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for RecordFunctionRequestId {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != SPAN {
            return;
        }
        let mut found = None;
        attrs.record(&mut IdVisitor(&mut found));
        if let (Some(id_value), Some(span)) = (found, ctx.span(id)) {
            span.extensions_mut().insert(FunctionRequestId(id_value));
        }
    }
}

struct IdVisitor<'a>(&'a mut Option<String>);

impl Visit for IdVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == FIELD {
            *self.0 = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == FIELD {
            *self.0 = Some(format!("{value:?}"));
        }
    }
}

/// A JSON line format that adds the enclosing invocation's `function_request_id` to each line
/// that does not already carry it.
pub struct WithFunctionRequestId<F>(pub F);

impl<S, N, F> FormatEvent<S, N> for WithFunctionRequestId<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let id = ctx.event_scope().and_then(|scope| {
            scope.from_root().find_map(|span| {
                span.extensions()
                    .get::<FunctionRequestId>()
                    .map(|id| id.0.clone())
            })
        });
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        let key = format!("\"{FIELD}\":");
        match (id, line.strip_prefix('{')) {
            (Some(id), Some(rest)) if !line.contains(&key) => {
                let value = serde_json::Value::from(id);
                write!(writer, "{{{key}{value},{rest}")
            }
            _ => writer.write_str(&line),
        }
    }
}
