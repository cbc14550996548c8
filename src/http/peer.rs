//! Whether the local server's caller reset its connection while its request was worked on:
//! hyper reads nothing while a request is in flight, so the summary line asks the socket.

use std::mem::MaybeUninit;
use std::sync::Arc;

/// A duplicate of the connection's socket, only ever peeked at (nothing is consumed).
#[derive(Clone, Debug)]
pub struct PeerProbe(Arc<socket2::Socket>);

impl PeerProbe {
    /// A probe of `stream`; `None` if the socket cannot be duplicated.
    pub fn of(stream: &tokio::net::TcpStream) -> Option<Self> {
        socket2::SockRef::from(stream)
            .try_clone()
            .ok()
            .map(|socket| Self(Arc::new(socket)))
    }

    /// The caller reset the connection (it is gone, not just done sending: a half-close still
    /// waits for its answer and reads as alive here).
    pub fn is_reset(&self) -> bool {
        let mut byte = [MaybeUninit::<u8>::uninit(); 1];
        matches!(
            self.0.peek(&mut byte),
            Err(error) if matches!(
                error.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            )
        )
    }
}
