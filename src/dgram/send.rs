//! `send()`, and `connect()`/`disconnect()`, which decide where `send()`
//! goes: methods of [`Socket`] that follow `lib/dgram.js`'s `send`,
//! `doSend`, `connect`, `_connect` and `doConnect`.

use std::sync::{Arc, Mutex};

use super::handle::sockaddr;
use super::options::{ConnectCallback, Datagram, SendCallback, SocketEvent, SocketEventKind};
use super::socket::{ConnectState, Once, Queued, Socket, take};
use super::task::{self, Command};
use crate::error::Error;
use crate::events::{Emits, ListenerId};

impl Socket {
    /// `socket.send(msg, port, address, callback)`: sends one datagram.
    ///
    /// On a connected socket, `port` and `address` must be `None` (or
    /// Node's falsy `0` and `""`); otherwise `port` is required and a
    /// missing `address` is the loopback address (`127.0.0.1` or `::1`).
    /// An unbound socket is bound first (`'listening'` comes before the
    /// callback).
    ///
    /// See <https://nodejs.org/api/dgram.html#socketsendmsg-offset-length-port-address-callback>.
    ///
    /// # Errors
    ///
    /// In Node's order: `ERR_SOCKET_DGRAM_IS_CONNECTED` for an address on
    /// a connected socket, `ERR_SOCKET_BAD_PORT` for no port (or `0`) on
    /// an unconnected one, `ERR_SOCKET_DGRAM_NOT_RUNNING` after `close()`.
    /// Later failures go to the callback only: a system error such as
    /// `send EMSGSIZE 127.0.0.1:41234` (with no callback it is dropped, as
    /// in Node), or the lookup error of a host name (with no callback that
    /// one is an `'error'` event).
    ///
    /// # Checks the caller owns
    ///
    /// Node's argument shuffling (`send(msg, port)` on a connected socket
    /// takes `port` as the callback), `offset`/`length` slicing
    /// (`ERR_BUFFER_OUT_OF_BOUNDS`) and the types of `msg` and `address`
    /// (`ERR_INVALID_ARG_TYPE`); ports above 65535.
    pub fn send(
        &self,
        msg: impl Into<Datagram>,
        port: Option<u16>,
        address: Option<&str>,
        callback: Option<SendCallback>,
    ) -> Result<(), Error> {
        // Before any state changes: an event this call causes is the
        // caller's to `next()` (see `Emitter::acted`).
        crate::events::Emits::emitter(self).acted();
        self.send_inner(msg.into(), port, address, callback)
    }

    pub(super) fn send_inner(
        &self,
        msg: Datagram,
        port: Option<u16>,
        address: Option<&str>,
        callback: Option<SendCallback>,
    ) -> Result<(), Error> {
        let (open, connected) = {
            let st = self.state();
            (st.open, st.connect_state == ConnectState::Connected)
        };
        // Node tests `port || address`: 0 and "" are no port and address.
        let given_port = port;
        let port = port.filter(|p| *p != 0);
        let address = address.filter(|a| !a.is_empty());
        if connected && (port.is_some() || address.is_some()) {
            return Err(Error::dgram_is_connected());
        }
        if !connected && port.is_none() {
            return Err(Error::socket_bad_port(given_port));
        }
        if !open {
            return Err(Error::dgram_not_running());
        }
        self.bind_implicitly()?;
        let msg = if msg.0.is_empty() {
            Datagram(vec![Vec::new()])
        } else {
            msg
        };
        let queued = self.enqueue(Queued::Send(
            msg,
            port,
            address.map(str::to_string),
            callback,
        ));
        let Err(Queued::Send(msg, port, address, callback)) = queued else {
            return Ok(()); // it waits for 'listening'
        };
        if connected {
            self.send_now(Ok(None), msg, address, port, callback);
        } else {
            self.lookup(address.clone().unwrap_or_default(), move |this, ip| {
                this.send_now(ip.map(Some), msg, address, port, callback)
            });
        }
        Ok(())
    }

    /// Node's `doSend`, after the lookup (at once on a connected socket).
    fn send_now(
        &self,
        ip: Result<Option<String>, Error>,
        msg: Datagram,
        address: Option<String>,
        port: Option<u16>,
        callback: Option<SendCallback>,
    ) {
        let ip = match ip {
            Ok(ip) => ip,
            Err(err) => {
                match callback {
                    Some(cb) => self.tick(move |_| cb(Some(&err), None)),
                    None => self.tick(move |this| {
                        this.emit(SocketEvent::Error(err));
                    }),
                }
                return;
            }
        };
        let data = msg.concat();
        let sent = {
            let mut st = self.state();
            if !st.open {
                return; // closed in the meantime: dropped
            }
            let to = match (port, ip) {
                (Some(port), Some(ip)) => sockaddr(self.kind(), &ip, port).map(Some),
                _ => Ok(None),
            };
            let queued = !st.send_queue.is_empty();
            let sent = match to {
                Ok(to) => st.handle.try_send(&data, to, queued).map_err(|e| (e, to)),
                Err(e) => Err((e, None)),
            };
            match sent {
                Err((e, to)) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    st.send_queue.push_back(task::PendingSend {
                        data,
                        to,
                        address,
                        port,
                        callback,
                    });
                    drop(st);
                    task::schedule(self, Command::Wake);
                    return;
                }
                Err((e, _)) => Err(task::send_error(e, address.as_deref(), port)),
                Ok(n) => Ok(n),
            }
        };
        if let Some(cb) = callback {
            match sent {
                Ok(n) => self.tick(move |_| cb(None, Some(n))),
                Err(err) => self.tick(move |_| cb(Some(&err), None)),
            }
        }
    }

    // --- connect ---------------------------------------------------------

    /// `socket.connect(port, address, callback)`: only datagrams from that
    /// peer are received, and `send()` takes no address. `'connect'` (or,
    /// without a callback, `'error'`) follows. A missing address is the
    /// loopback address; an unbound socket is bound first.
    ///
    /// See <https://nodejs.org/api/dgram.html#socketconnectport-address-callback>.
    ///
    /// # Node compatibility
    ///
    /// The callback becomes a once `'connect'` listener when the connect
    /// starts: after `'listening'` for an unbound socket, so after the
    /// `'connect'` listeners added meanwhile. On failure it is removed and
    /// called with the error, and nothing is emitted.
    ///
    /// # Errors
    ///
    /// `ERR_SOCKET_BAD_PORT` for port 0; `ERR_SOCKET_DGRAM_IS_CONNECTED`
    /// while connected or connecting; `ERR_SOCKET_DGRAM_NOT_RUNNING` on a
    /// closed socket that was never bound; on a closed socket that was
    /// bound, the `TypeError` Node's code throws (`Cannot read properties
    /// of null (reading 'lookup')`). Either way the socket is left
    /// "connecting", as in Node.
    pub fn connect(
        &self,
        port: u16,
        address: Option<&str>,
        callback: Option<ConnectCallback>,
    ) -> Result<(), Error> {
        // Before any state changes: an event this call causes is the
        // caller's to `next()` (see `Emitter::acted`).
        crate::events::Emits::emitter(self).acted();
        if port == 0 {
            return Err(Error::socket_bad_port(Some(0)));
        }
        let address = address.unwrap_or_default().to_string();
        {
            let mut st = self.state();
            if st.connect_state != ConnectState::Disconnected {
                return Err(Error::dgram_is_connected());
            }
            st.connect_state = ConnectState::Connecting;
        }
        self.bind_implicitly()?;
        let queued = self.enqueue(Queued::Connect(port, address, callback));
        let Err(Queued::Connect(port, address, callback)) = queued else {
            return Ok(()); // it waits for 'listening'
        };
        self.connect_now(port, address, callback)
    }

    /// Node's `_connect`: the callback becomes a `'connect'` listener, and
    /// the address is looked up.
    pub(super) fn connect_now(
        &self,
        port: u16,
        address: String,
        callback: Option<ConnectCallback>,
    ) -> Result<(), Error> {
        let callback = callback.map(|cb| {
            let cb: Once<ConnectCallback> = Arc::new(Mutex::new(Some(cb)));
            let listener = cb.clone();
            let id = self.once(SocketEventKind::Connect, move |this, _| {
                if let Some(cb) = take(&listener) {
                    cb(this, None)
                }
            });
            (id, cb)
        });
        if !self.state().open {
            return Err(Error::null_handle("lookup"));
        }
        self.lookup(address.clone(), move |this, ip| {
            this.connect_resolved(ip, address, port, callback)
        });
        Ok(())
    }

    /// Node's `doConnect`.
    fn connect_resolved(
        &self,
        ip: Result<String, Error>,
        address: String,
        port: u16,
        callback: Option<(ListenerId, Once<ConnectCallback>)>,
    ) {
        let failure = {
            let mut st = self.state();
            if !st.open {
                return;
            }
            let connected = ip.and_then(|ip| {
                sockaddr(self.kind(), &ip, port)
                    .and_then(|addr| st.handle.connect(addr))
                    .map_err(|e| {
                        Error::system(e, "connect", Some(&address), Some(port.into()), false)
                    })
            });
            st.connect_state = match connected {
                Ok(()) => ConnectState::Connected,
                Err(_) => ConnectState::Disconnected,
            };
            connected.err()
        };
        match (failure, callback) {
            (None, _) => self.tick(|this| {
                this.emit(SocketEvent::Connect);
            }),
            (Some(err), Some((id, cb))) => self.tick(move |this| {
                this.off(id);
                if let Some(cb) = take(&cb) {
                    cb(this, Some(&err));
                }
            }),
            (Some(err), None) => self.tick(move |this| {
                this.emit(SocketEvent::Error(err));
            }),
        }
    }

    /// `socket.disconnect()`: synchronous.
    ///
    /// # Errors
    ///
    /// `ERR_SOCKET_DGRAM_NOT_CONNECTED` unless connected (a connect in
    /// progress does not count); after `close()` of a connected socket,
    /// Node's `TypeError` (`Cannot read properties of null (reading
    /// 'disconnect')`).
    pub fn disconnect(&self) -> Result<(), Error> {
        // Before any state changes: an event this call causes is the
        // caller's to `next()` (see `Emitter::acted`).
        crate::events::Emits::emitter(self).acted();
        let mut st = self.state();
        if st.connect_state != ConnectState::Connected {
            return Err(Error::dgram_not_connected());
        }
        if !st.open {
            return Err(Error::null_handle("disconnect"));
        }
        st.handle
            .disconnect()
            .map_err(|e| Error::system(e, "connect", None, None, false))?;
        st.connect_state = ConnectState::Disconnected;
        Ok(())
    }
}
