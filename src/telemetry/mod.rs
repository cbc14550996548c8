//! What the service tells its operators: logs, one summary line per request, EMF metrics.
//! Everything here takes values; nothing reads the environment.

pub mod calls;
pub mod metrics;
pub mod summary;

pub use metrics::{Metrics, MetricsSink};
pub use summary::{token_digest, RequestOutcome, RequestSummary};

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber: JSON on stdout or text on stderr, with colour only when
/// `ansi` (stderr is a terminal). A filter that does not parse falls back to `info`.
pub fn init_tracing(settings: &LogSettings, ansi: bool) {
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = match settings.format {
        LogFormat::Json => {
            tracing::subscriber::set_global_default(json_subscriber(filter, std::io::stdout))
        }
        LogFormat::Text => tracing::subscriber::set_global_default(
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_ansi(ansi)
                .with_writer(std::io::stderr)
                .finish(),
        ),
    };
}

/// The JSON log format of Lambda mode: one object per event, fields at the top level.
pub fn json_subscriber<W>(filter: EnvFilter, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .with_writer(writer)
        .finish()
}
