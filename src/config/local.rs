//! Settings of the local server: what one client may hold of it.

use std::time::Duration;

use super::{problem, ConfigError};

/// What one client may hold of the local server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalLimits {
    /// From the connection (or the previous response) to the end of the request's headers.
    pub header_timeout: Duration,
    /// From the end of the headers to the end of the body.
    pub body_timeout: Duration,
    /// How long a keep-alive connection may sit idle between requests.
    pub idle_timeout: Duration,
    /// Connections open at once; at the cap the server stops accepting.
    pub max_connections: usize,
    /// After SIGTERM, how long requests in flight may take before the process exits.
    pub shutdown_deadline: Duration,
}

impl Default for LocalLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(10),
            max_connections: 256,
            shutdown_deadline: Duration::from_secs(10),
        }
    }
}

/// The local server's limits; each `LOCAL_*` setting is a positive whole number.
pub(super) fn limits(var: &impl Fn(&str) -> Option<String>) -> Result<LocalLimits, ConfigError> {
    let defaults = LocalLimits::default();
    let number = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
        match var(name) {
            None => Ok(default),
            Some(value) => value
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| problem(name, "must be a positive whole number")),
        }
    };
    let millis = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
        let default_ms = u64::try_from(default.as_millis()).unwrap_or(u64::MAX);
        number(name, default_ms).map(Duration::from_millis)
    };
    Ok(LocalLimits {
        header_timeout: millis("LOCAL_HEADER_TIMEOUT_MS", defaults.header_timeout)?,
        body_timeout: millis("LOCAL_BODY_TIMEOUT_MS", defaults.body_timeout)?,
        idle_timeout: millis("LOCAL_IDLE_TIMEOUT_MS", defaults.idle_timeout)?,
        max_connections: usize::try_from(number(
            "LOCAL_MAX_CONNECTIONS",
            defaults.max_connections as u64,
        )?)
        .unwrap_or(usize::MAX),
        shutdown_deadline: millis("LOCAL_SHUTDOWN_DEADLINE_MS", defaults.shutdown_deadline)?,
    })
}
