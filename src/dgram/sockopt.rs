//! The socket options of [`Socket`]: broadcast, TTLs, multicast,
//! memberships, buffer sizes, the send queue, `ref()`/`unref()`.
//!
//! # Node compatibility
//!
//! Node guards only some of these with `healthCheck`: after `close()`,
//! `setMulticastInterface()` and the memberships fail with
//! `ERR_SOCKET_DGRAM_NOT_RUNNING`, while `setBroadcast()`, `setTTL()`,
//! `setMulticastTTL()`, `setMulticastLoopback()`, the buffer sizes and the
//! send queue fail with the `TypeError` of Node's own code reading a
//! property of the `null` handle ([`Error::null_handle`]).

use super::handle::Handle;
use super::socket::Socket;
use crate::error::Error;

impl Socket {
    /// Runs a handle operation the way Node's socket-option setters do:
    /// with no `healthCheck`, so after `close()` the `TypeError` of reading
    /// `property` of `null`; a failure is `<syscall> <CODE>`.
    fn set_option(
        &self,
        property: &str,
        f: impl FnOnce(&mut Handle) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        let mut st = self.state();
        if !st.open {
            return Err(Error::null_handle(property));
        }
        f(&mut st.handle).map_err(|e| Error::system(e, property, None, None, false))
    }

    /// Like [`Socket::set_option`], for the methods Node guards with
    /// `healthCheck` (`ERR_SOCKET_DGRAM_NOT_RUNNING` after `close()`).
    fn set_checked_option(
        &self,
        syscall: &str,
        f: impl FnOnce(&mut Handle) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        if !self.state().open {
            return Err(Error::dgram_not_running());
        }
        self.set_option(syscall, f)
    }

    /// `socket.setBroadcast(flag)` (`SO_BROADCAST`).
    ///
    /// # Errors
    ///
    /// `setBroadcast EBADF` before the socket has a system socket; after
    /// `close()`, Node's `TypeError` (this method has no `healthCheck`).
    pub fn set_broadcast(&self, flag: bool) -> Result<(), Error> {
        self.set_option("setBroadcast", |h| h.set_broadcast(flag))
    }

    /// `socket.setTTL(ttl)`; returns `ttl`, as Node does.
    ///
    /// # Errors
    ///
    /// `setTTL EINVAL` outside 1 to 255 (checked first), `setTTL EBADF`
    /// before a system socket; after `close()`, Node's `TypeError`.
    ///
    /// # Checks the caller owns
    ///
    /// A number that is not one (`ERR_INVALID_ARG_TYPE`); Node converts
    /// the number to an `int32`.
    pub fn set_ttl(&self, ttl: i32) -> Result<i32, Error> {
        self.set_option("setTTL", |h| h.set_ttl(ttl)).map(|()| ttl)
    }

    /// `socket.setMulticastTTL(ttl)`, 0 to 255; returns `ttl`. Errors as
    /// [`Socket::set_ttl`], with syscall `setMulticastTTL`.
    pub fn set_multicast_ttl(&self, ttl: i32) -> Result<i32, Error> {
        self.set_option("setMulticastTTL", |h| h.set_multicast_ttl(ttl))
            .map(|()| ttl)
    }

    /// `socket.setMulticastLoopback(flag)`; returns `flag`. Errors as
    /// [`Socket::set_broadcast`], with syscall `setMulticastLoopback`.
    pub fn set_multicast_loopback(&self, flag: bool) -> Result<bool, Error> {
        self.set_option("setMulticastLoopback", |h| h.set_multicast_loop(flag))
            .map(|()| flag)
    }

    /// `socket.setMulticastInterface(interface)`: an IPv4 address, or an
    /// IPv6 zone such as `::%eth0`.
    ///
    /// # Errors
    ///
    /// `ERR_SOCKET_DGRAM_NOT_RUNNING` after `close()`; `EINVAL` for text
    /// that is no address (checked first), `EBADF` before a system socket,
    /// `ENOPROTOOPT` for an IPv6 zone on a `udp4` socket; syscall
    /// `setMulticastInterface`.
    ///
    /// # Checks the caller owns
    ///
    /// That the interface is a string (`ERR_INVALID_ARG_TYPE`), which Node
    /// checks after `ERR_SOCKET_DGRAM_NOT_RUNNING`: see [`Socket::closed`].
    pub fn set_multicast_interface(&self, interface: &str) -> Result<(), Error> {
        self.set_checked_option("setMulticastInterface", |h| {
            h.set_multicast_interface(interface)
        })
    }

    /// `socket.addMembership(multicastAddress[, multicastInterface])`.
    ///
    /// # Node compatibility
    ///
    /// On a socket with no system socket yet, libuv first binds one to the
    /// wildcard address on a random port (with `SO_REUSEADDR`): the socket
    /// is then bound for the system but not for Node, and a later `bind()`
    /// emits `'error'` with `bind EINVAL`. Call it after `'listening'`.
    ///
    /// # Errors
    ///
    /// `ERR_SOCKET_DGRAM_NOT_RUNNING` after `close()`, `ERR_MISSING_ARGS`
    /// for an empty address, `addMembership EINVAL` for a bad address or
    /// interface, and what the system says (`EADDRNOTAVAIL`…).
    ///
    /// # Checks the caller owns
    ///
    /// None: Node passes any truthy value on as text (`123` is `EINVAL`
    /// here too), and a falsy one is `ERR_MISSING_ARGS`, which is what
    /// `""` gives.
    pub fn add_membership(&self, group: &str, interface: Option<&str>) -> Result<(), Error> {
        self.membership("addMembership", group, interface, true)
    }

    /// `socket.dropMembership(multicastAddress[, multicastInterface])`:
    /// as [`Socket::add_membership`]; leaving a group that was not joined
    /// is `dropMembership EADDRNOTAVAIL`.
    pub fn drop_membership(&self, group: &str, interface: Option<&str>) -> Result<(), Error> {
        self.membership("dropMembership", group, interface, false)
    }

    fn membership(
        &self,
        syscall: &str,
        group: &str,
        interface: Option<&str>,
        join: bool,
    ) -> Result<(), Error> {
        if !self.state().open {
            return Err(Error::dgram_not_running());
        }
        if group.is_empty() {
            return Err(Error::type_error(
                "ERR_MISSING_ARGS",
                "The \"multicastAddress\" argument must be specified",
            ));
        }
        self.set_option(syscall, |h| h.set_membership(group, interface, join))
    }

    /// Node's `bufferSize`.
    pub(super) fn buffer_size(&self, size: usize, recv: bool) -> Result<usize, Error> {
        if size > u32::MAX as usize {
            return Err(Error::socket_bad_buffer_size());
        }
        let st = self.state();
        if !st.open {
            return Err(Error::null_handle("bufferSize"));
        }
        let syscall = if recv {
            "uv_recv_buffer_size"
        } else {
            "uv_send_buffer_size"
        };
        st.handle
            .buffer_size(size, recv)
            .map_err(|e| Error::socket_buffer_size(e, syscall))
    }

    /// `socket.getRecvBufferSize()`: `SO_RCVBUF` as the kernel reports it
    /// (Linux doubles the size it was given).
    ///
    /// # Errors
    ///
    /// `ERR_SOCKET_BUFFER_SIZE` (a `SystemError` whose
    /// [`Error::info`] says `EBADF`) before a system socket; after
    /// `close()`, Node's `TypeError` (`reading 'bufferSize'`).
    pub fn get_recv_buffer_size(&self) -> Result<usize, Error> {
        self.buffer_size(0, true)
    }

    /// `socket.setRecvBufferSize(size)`. A size of 0 only reads, as in
    /// Node.
    ///
    /// # Errors
    ///
    /// `ERR_SOCKET_BAD_BUFFER_SIZE` above `u32::MAX`;
    /// `ERR_SOCKET_BUFFER_SIZE` with `EINVAL` above `i32::MAX` and with
    /// `EBADF` before a system socket; Node's `TypeError` after `close()`.
    pub fn set_recv_buffer_size(&self, size: usize) -> Result<(), Error> {
        self.buffer_size(size, true).map(drop)
    }

    /// `socket.getSendBufferSize()`: as [`Socket::get_recv_buffer_size`].
    pub fn get_send_buffer_size(&self) -> Result<usize, Error> {
        self.buffer_size(0, false)
    }

    /// `socket.setSendBufferSize(size)`: as [`Socket::set_recv_buffer_size`].
    pub fn set_send_buffer_size(&self, size: usize) -> Result<(), Error> {
        self.buffer_size(size, false).map(drop)
    }

    /// `socket.getSendQueueSize()`: bytes of sends waiting for the kernel
    /// (libuv's `send_queue_size`; 0 unless the kernel refused one at
    /// once). After `close()`, Node's `TypeError`.
    pub fn get_send_queue_size(&self) -> Result<usize, Error> {
        let st = self.state();
        if !st.open {
            return Err(Error::null_handle("getSendQueueSize"));
        }
        Ok(st.send_queue.iter().map(|s| s.data.len()).sum())
    }

    /// `socket.getSendQueueCount()`: how many sends wait for the kernel.
    /// After `close()`, Node's `TypeError`.
    pub fn get_send_queue_count(&self) -> Result<usize, Error> {
        let st = self.state();
        if !st.open {
            return Err(Error::null_handle("getSendQueueCount"));
        }
        Ok(st.send_queue.len())
    }

    /// `socket.ref()`: nothing keeps a Rust process alive, so this only
    /// records the flag (a no-op after `close()`, as in Node).
    pub fn ref_(&self) -> &Socket {
        let mut st = self.state();
        if st.open {
            st.refed = true;
        }
        drop(st);
        self
    }

    /// `socket.unref()`.
    pub fn unref(&self) -> &Socket {
        let mut st = self.state();
        if st.open {
            st.refed = false;
        }
        drop(st);
        self
    }

    /// Whether the socket is ref'ed (`ref()`/`unref()`).
    pub fn has_ref(&self) -> bool {
        self.state().refed
    }
}
