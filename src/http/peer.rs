//! Whether the local server's caller reset its connection while its request was worked on:
//! hyper reads nothing while a request is in flight, so the summary line asks the socket.

use std::mem::MaybeUninit;
use std::sync::{Arc, Weak};

/// The connection's own socket, held weakly (no descriptor of its own, none kept open) and only
/// ever peeked at (nothing is consumed).
#[derive(Clone, Debug)]
pub struct PeerProbe(Weak<tokio::net::TcpStream>);

impl PeerProbe {
    pub fn of(stream: &Arc<tokio::net::TcpStream>) -> Self {
        Self(Arc::downgrade(stream))
    }

    /// The caller reset the connection (it is gone, not just done sending: a half-close still
    /// waits for its answer and reads as alive here). A connection already closed says
    /// nothing here: its caller is gone, and the summary line knows it another way.
    pub fn is_reset(&self) -> bool {
        let Some(stream) = self.0.upgrade() else {
            return false;
        };
        let mut byte = [MaybeUninit::<u8>::uninit(); 1];
        matches!(
            socket2::SockRef::from(&*stream).peek(&mut byte),
            Err(error) if matches!(
                error.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            )
        )
    }
}
