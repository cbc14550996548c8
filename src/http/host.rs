//! The local server's Host check: it answers only requests addressed to a loopback name or
//! address, its own listen host, or a host the operator allowed, so that a web page reached
//! through DNS rebinding cannot act as `DEFAULT_ACCOUNT_ID`. Not used under Lambda, where every
//! event carries API Gateway's own Host.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorKind};

/// The hosts a local server answers besides loopback: compared without the port, in lower case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts(Vec<String>);

impl AllowedHosts {
    /// The listen host and the operator's list (`LOCAL_ALLOWED_HOSTS`); an entry that is no
    /// host (see [`host_of`]) can match no request.
    pub fn new(hosts: impl IntoIterator<Item = String>) -> Self {
        Self(hosts.into_iter().filter_map(|h| host_of(&h)).collect())
    }

    /// Whether a request for `authority` (a Host header or an absolute-form target's) is served.
    pub fn admits(&self, authority: &str) -> bool {
        host_of(authority).is_some_and(|host| {
            host == "localhost"
                || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
                || self.0.contains(&host)
        })
    }
}

/// The host of an authority, without the port or IPv6 brackets, in lower case; `None` unless
/// the authority is exactly a name, an IPv4 address or a bracketed IPv6 address, optionally
/// followed by `:port` (`[::1]evil.example` is none of them).
fn host_of(authority: &str) -> Option<String> {
    let authority = authority.trim().to_ascii_lowercase();
    let digits = |port: &str| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (address, after) = bracketed.split_once(']')?;
            let port_ok = after.is_empty() || after.strip_prefix(':').is_some_and(digits);
            (port_ok && address.parse::<std::net::Ipv6Addr>().is_ok()).then_some(address)?
        }
        None => {
            let host = match authority.rsplit_once(':') {
                Some((host, port)) if digits(port) => host,
                _ => authority.as_str(),
            };
            let name = |b: u8| b.is_ascii_alphanumeric() || b"-._".contains(&b);
            (!host.is_empty() && host.bytes().all(name)).then_some(host)?
        }
    };
    Some(host.trim_end_matches('.').to_owned())
}

/// Refuses a request whose authority is not served, before any handler: no change is made.
pub async fn check_host(
    State(allowed): State<Arc<AllowedHosts>>,
    request: Request,
    next: Next,
) -> Response {
    let authority = request
        .uri()
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| {
            request
                .headers()
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        });
    match authority {
        Some(authority) if allowed.admits(&authority) => next.run(request).await,
        Some(_) => ApiError::new(
            ErrorKind::Forbidden,
            "This local server does not answer requests for that host: call it as localhost or \
             127.0.0.1, or add the host to LOCAL_ALLOWED_HOSTS.",
        )
        .into_response(),
        None => ApiError::new(
            ErrorKind::Forbidden,
            "The request names no host: send a Host header.",
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_and_addresses_are_served_whatever_the_port_or_case() {
        let allowed = AllowedHosts::default();
        for host in [
            "localhost",
            "LOCALHOST:3000",
            "127.0.0.1:3000",
            "127.0.0.2",
            "127.255.0.9:80",
            "[::1]:3000",
            "[::1]",
            "localhost.",
        ] {
            assert!(allowed.admits(host), "{host}");
        }
    }

    #[test]
    fn other_hosts_are_refused_unless_allowed() {
        let allowed = AllowedHosts::new(["Dev.Example:8080".to_owned(), "10.0.0.5".to_owned()]);
        for host in [
            "evil.example",
            "localhost.evil.example",
            "128.0.0.1",
            "[::2]",
            "0.0.0.0",
            "",
            "[::1]evil.example",
            "[::1]:3000evil",
            "[::1]:",
            "localhost:",
            "[localhost]",
            "localhost/evil",
            "localhost:3000:80",
            "::1",
            "local host",
        ] {
            assert!(!allowed.admits(host), "{host}");
        }
        assert!(allowed.admits("dev.example"));
        assert!(allowed.admits("10.0.0.5:3000"));
    }
}
