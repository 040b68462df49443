//! What modules built on net do with a socket (TLS): a layer over the
//! connection it makes, its connection handed to another socket, a value
//! kept with it, and Node's `_hadError`, which the socket's users share.

use std::sync::Arc;

use super::task::Command;
use super::{Socket, SocketEvent};
use crate::net::transport::{BoxTransport, Layer};

impl Socket {
    /// Hands this socket's connection, with what it read and nobody
    /// consumed, to `take` (a TLS socket wrapping it: `new
    /// tls.TLSSocket(socket)`); this socket then only closes, with
    /// [`Socket::close_taken_over`].
    pub(crate) fn surrender(&self, take: Box<dyn FnOnce(BoxTransport, Vec<u8>) + Send>) {
        self.send(Command::Surrender(take));
    }

    /// Puts `layer` over the connection this socket makes next (TLS over
    /// TCP): applied when it connects, before `'connect'`.
    pub(crate) fn set_layer(&self, layer: Layer) {
        self.state().layer = Some(layer);
    }

    /// Node's `socket._hadError`: an error was reported for this socket
    /// already (its users report no second one: a TLS client's
    /// `onConnectEnd`, then http's `socketOnEnd`).
    pub(crate) fn set_had_error(&self) {
        self.state().had_error_reported = true;
    }

    /// See [`Socket::set_had_error`].
    pub(crate) fn had_error(&self) -> bool {
        self.state().had_error_reported
    }

    /// Keeps a value of a module built on net with this socket.
    pub(crate) fn set_extension(&self, value: Arc<dyn std::any::Any + Send + Sync>) {
        self.state().extension = Some(value);
    }

    /// The value kept with [`Socket::set_extension`].
    pub(crate) fn extension(&self) -> Option<Arc<dyn std::any::Any + Send + Sync>> {
        self.state().extension.clone()
    }

    /// Marks the socket closed and emits `'close'` (`hadError` false)
    /// from the caller's turn, for a socket with no connection of its own
    /// whose handle another socket took over (the TCP socket under a
    /// server's TLS socket).
    pub(crate) fn close_taken_over(&self) {
        let on_destroy = {
            let mut st = self.state();
            if st.close_emitted {
                return;
            }
            st.close_emitted = true;
            st.has_handle = false;
            st.readable.destroy(None);
            st.writable.destroy(None);
            st.on_destroy.take()
        };
        // The connection it had is gone: a server counts it no more.
        if let Some(f) = on_destroy {
            f();
        }
        self.emit(SocketEvent::Close {
            had_error: Some(false),
        });
    }
}
