//! Settings of the local server: what one client may hold of it.

use std::time::Duration;

use super::Settings;

/// What one client may hold of the local server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalLimits {
    /// From the connection (or the previous response) to the end of the next request's
    /// headers: it bounds the first request's headers and every idle keep-alive wait alike.
    pub header_timeout: Duration,
    /// From the end of the headers to the end of the body.
    pub body_timeout: Duration,
    /// How long a response may wait on a client that reads nothing, before the connection ends.
    pub write_timeout: Duration,
    /// Connections open at once; at the cap the server stops accepting.
    pub max_connections: usize,
    /// After SIGTERM, how long requests in flight may take before the process exits.
    pub shutdown_deadline: Duration,
}

/// The declared defaults ([`Settings::defaults`]).
impl Default for LocalLimits {
    fn default() -> Self {
        Self::from(&Settings::defaults())
    }
}

impl From<&Settings> for LocalLimits {
    fn from(settings: &Settings) -> Self {
        Self {
            header_timeout: Duration::from_millis(settings.local_header_timeout_ms),
            body_timeout: Duration::from_millis(settings.local_body_timeout_ms),
            write_timeout: Duration::from_millis(settings.local_write_timeout_ms),
            max_connections: usize::try_from(settings.local_max_connections).unwrap_or(usize::MAX),
            shutdown_deadline: Duration::from_millis(settings.local_shutdown_deadline_ms),
        }
    }
}
