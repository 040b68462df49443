//! [`Error`]: every error the reference can throw or emit, in any module,
//! with Node's `name`, `code` and system-error properties as data.

use std::any::Any;
use std::fmt;
use std::io;
use std::sync::Arc;

/// An error as Node reports it: a JavaScript class name (`Error`,
/// `TypeError`, `RangeError`), a `code` such as `"ECONNREFUSED"` or
/// `"ERR_SOCKET_BAD_PORT"`, a message, and for system errors `errno`,
/// `syscall`, `address` and `port`.
///
/// The `Display` text is Node's `message`; match on [`Error::code`], not
/// on the text. Cheap to clone (the underlying `io::Error` is shared), so
/// one error can be handed to every listener.
///
/// See <https://nodejs.org/api/errors.html#class-systemerror> and
/// <https://nodejs.org/api/errors.html#nodejs-error-codes>.
#[derive(Debug, Clone)]
pub struct Error(Box<Repr>);

#[derive(Clone)]
struct Repr {
    name: &'static str,
    code: String,
    message: String,
    errno: Option<i32>,
    syscall: Option<String>,
    address: Option<String>,
    port: Option<i32>,
    hostname: Option<String>,
    info: Option<SystemErrorInfo>,
    source: Option<Arc<io::Error>>,
    payload: Option<Arc<dyn Any + Send + Sync>>,
    errors: Vec<Error>,
}

/// The `info` object of a Node `SystemError` (such as
/// `ERR_SOCKET_BUFFER_SIZE`): the libuv error behind it.
///
/// See <https://nodejs.org/api/errors.html#class-systemerror>.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemErrorInfo {
    /// libuv's (negative) error number, e.g. `-9`.
    pub errno: i32,
    /// libuv's error name, e.g. `"EBADF"`.
    pub code: String,
    /// libuv's description, e.g. `"bad file descriptor"`.
    pub message: String,
    /// The libuv function that failed, e.g. `"uv_recv_buffer_size"`.
    pub syscall: String,
}

impl fmt::Debug for Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("name", &self.name)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("errno", &self.errno)
            .field("syscall", &self.syscall)
            .field("address", &self.address)
            .field("port", &self.port)
            .field("hostname", &self.hostname)
            .field("info", &self.info)
            .field("payload", &self.payload.is_some())
            .finish()
    }
}

impl Error {
    fn new(name: &'static str, code: &str, message: String) -> Error {
        Error(Box::new(Repr {
            name,
            code: code.to_string(),
            message,
            errno: None,
            syscall: None,
            address: None,
            port: None,
            hostname: None,
            info: None,
            source: None,
            payload: None,
            errors: Vec::new(),
        }))
    }

    /// An error that stands for a value of the caller's own (Node's
    /// `destroy(err)` accepts any object and emits it as is): `code` and
    /// `message` describe it to Rust code, and [`Error::payload`] gives
    /// the original back.
    pub fn with_payload(
        code: &str,
        message: impl Into<String>,
        payload: Arc<dyn Any + Send + Sync>,
    ) -> Error {
        let mut e = Error::new("Error", code, message.into());
        e.0.payload = Some(payload);
        e
    }

    /// The same error with properties of its own beside Node's usual
    /// ones (an HTTP parse error's `bytesParsed`, `reason`, `rawPacket`),
    /// in the order given.
    pub fn with_props(mut self, props: Vec<(&'static str, ErrorProp)>) -> Error {
        self.0.payload = Some(Arc::new(ErrorProps(props)));
        self
    }

    /// The same error with another message (an OpenSSL reason appended to
    /// a system error's).
    pub fn with_message(mut self, message: impl Into<String>) -> Error {
        self.0.message = message.into();
        self
    }

    /// The properties given with [`Error::with_props`].
    pub fn props(&self) -> &[(&'static str, ErrorProp)] {
        self.payload()
            .and_then(|p| p.downcast_ref::<ErrorProps>())
            .map_or(&[], |p| p.0.as_slice())
    }

    /// `ERR_SOCKET_CLOSED`: `resetAndDestroy()` on a socket with no
    /// connection.
    pub fn socket_closed() -> Error {
        Error::plain("ERR_SOCKET_CLOSED", "Socket is closed")
    }

    /// `ERR_INVALID_HANDLE_TYPE`: `resetAndDestroy()` on a non-TCP socket.
    pub fn invalid_handle_type() -> Error {
        Error::type_error("ERR_INVALID_HANDLE_TYPE", "This handle type cannot be sent")
    }

    /// A plain `Error` with a Node `code` (e.g. `ERR_SERVER_NOT_RUNNING`).
    pub fn plain(code: &str, message: impl Into<String>) -> Error {
        Error::new("Error", code, message.into())
    }

    /// A `TypeError` with a Node `code` (e.g. `ERR_INVALID_ARG_TYPE`).
    pub fn type_error(code: &str, message: impl Into<String>) -> Error {
        Error::new("TypeError", code, message.into())
    }

    /// A `RangeError` with a Node `code` (e.g. `ERR_SOCKET_BAD_PORT`).
    pub fn range_error(code: &str, message: impl Into<String>) -> Error {
        Error::new("RangeError", code, message.into())
    }

    /// `ERR_SERVER_NOT_RUNNING`, given to `server.close(cb)` when the server
    /// was not listening.
    pub fn server_not_running() -> Error {
        Error::plain("ERR_SERVER_NOT_RUNNING", "Server is not running.")
    }

    /// `ERR_SERVER_ALREADY_LISTEN`, thrown by a second `listen()`.
    pub fn server_already_listen() -> Error {
        Error::plain(
            "ERR_SERVER_ALREADY_LISTEN",
            "Listen method has been called more than once without closing.",
        )
    }

    /// `ERR_STREAM_WRITE_AFTER_END`, for `write()` after `end()`.
    pub fn write_after_end() -> Error {
        Error::plain("ERR_STREAM_WRITE_AFTER_END", "write after end")
    }

    /// `ERR_STREAM_DESTROYED`, for `write()` on a destroyed socket.
    pub fn stream_destroyed(method: &str) -> Error {
        Error::plain(
            "ERR_STREAM_DESTROYED",
            format!("Cannot call {method} after a stream was destroyed"),
        )
    }

    /// `EPIPE` after the peer went away: Node's `"This socket has been ended
    /// by the other party"`.
    pub fn ended_by_other_party() -> Error {
        Error::plain("EPIPE", "This socket has been ended by the other party")
    }

    /// A system error from a failed system call, shaped like Node's
    /// `exceptionWithHostPort` (`connect ECONNREFUSED 127.0.0.1:1`) or, with
    /// `describe`, `uvExceptionWithHostPort` (`listen EADDRINUSE: address
    /// already in use :::80`).
    ///
    /// As in Node, the message shows the port only when it is positive,
    /// and the `port` property is set only when it is not `0` (a Unix
    /// socket's listen error has port `-1`).
    pub fn system(
        err: io::Error,
        syscall: &str,
        address: Option<&str>,
        port: Option<i32>,
        describe: bool,
    ) -> Error {
        let errno = err.raw_os_error();
        let code = code_of(&err);
        let mut message = if describe {
            format!("{syscall} {code}: {}", uv_description(&code))
        } else {
            format!("{syscall} {code}")
        };
        // Node's `ExceptionWithHostPort` prints `${address}:${port}` for a
        // positive port even when the address is undefined (a dgram send
        // with no address: `send EMSGSIZE undefined:41234`).
        match (address, port) {
            (a, Some(p)) if p > 0 => {
                message.push_str(&format!(" {}:{p}", a.unwrap_or("undefined")))
            }
            (Some(a), _) => message.push_str(&format!(" {a}")),
            _ => {}
        }
        Error(Box::new(Repr {
            name: "Error",
            code,
            message,
            errno: errno.map(|e| -e),
            syscall: Some(syscall.to_string()),
            address: address.map(str::to_string),
            port: port.filter(|p| *p != 0),
            hostname: None,
            info: None,
            source: Some(Arc::new(err)),
            payload: None,
            errors: Vec::new(),
        }))
    }

    /// Node's `NodeAggregateError`: every attempt of a connection with
    /// several addresses failed. Its `code` is the first error's; the
    /// errors are [`Error::errors`].
    pub fn aggregate(errors: Vec<Error>) -> Error {
        let code = errors
            .first()
            .map(|e| e.code().to_string())
            .unwrap_or_default();
        let mut e = Error::new("AggregateError", &code, String::new());
        e.0.errors = errors;
        e
    }

    /// The errors an `AggregateError` gathers (empty for any other).
    pub fn errors(&self) -> &[Error] {
        &self.0.errors
    }

    /// `ERR_SOCKET_DGRAM_NOT_RUNNING`: a dgram socket used after
    /// `close()` (Node's `healthCheck`).
    pub fn dgram_not_running() -> Error {
        Error::plain("ERR_SOCKET_DGRAM_NOT_RUNNING", "Not running")
    }

    /// `ERR_SOCKET_DGRAM_IS_CONNECTED`: `connect()` on a connected (or
    /// connecting) dgram socket, or `send()` to an address on one.
    pub fn dgram_is_connected() -> Error {
        Error::plain("ERR_SOCKET_DGRAM_IS_CONNECTED", "Already connected")
    }

    /// `ERR_SOCKET_DGRAM_NOT_CONNECTED`: `disconnect()` or
    /// `remoteAddress()` on a dgram socket that is not connected.
    pub fn dgram_not_connected() -> Error {
        Error::plain("ERR_SOCKET_DGRAM_NOT_CONNECTED", "Not connected")
    }

    /// `ERR_SOCKET_ALREADY_BOUND`: a second `bind()` of a dgram socket.
    pub fn socket_already_bound() -> Error {
        Error::plain("ERR_SOCKET_ALREADY_BOUND", "Socket is already bound")
    }

    /// `ERR_SOCKET_BAD_PORT` as Node's `validatePort(port, 'Port', false)`
    /// words it for a Rust port: `None` is JavaScript's `undefined`.
    pub fn socket_bad_port(port: Option<u16>) -> Error {
        let received = match port {
            Some(p) => format!("type number ({p})"),
            None => "undefined".to_string(),
        };
        Error::range_error(
            "ERR_SOCKET_BAD_PORT",
            format!("Port should be > 0 and < 65536. Received {received}."),
        )
    }

    /// `ERR_SOCKET_BAD_BUFFER_SIZE`: a buffer size that is not an unsigned
    /// 32-bit integer.
    pub fn socket_bad_buffer_size() -> Error {
        Error::type_error(
            "ERR_SOCKET_BAD_BUFFER_SIZE",
            "Buffer size must be a positive integer",
        )
    }

    /// `ERR_SOCKET_BUFFER_SIZE`, the `SystemError` Node throws when libuv's
    /// `uv_recv_buffer_size` or `uv_send_buffer_size` (the `syscall`)
    /// fails: `Could not get or set buffer size: uv_recv_buffer_size
    /// returned EBADF (bad file descriptor)`, with `errno`, `syscall` and
    /// an [`Error::info`].
    pub fn socket_buffer_size(err: io::Error, syscall: &str) -> Error {
        let errno = err.raw_os_error();
        let code = code_of(&err);
        let description = uv_description(&code);
        let info = SystemErrorInfo {
            errno: errno.map_or(0, |e| -e),
            code: code.clone(),
            message: description.to_string(),
            syscall: syscall.to_string(),
        };
        Error(Box::new(Repr {
            name: "SystemError",
            code: "ERR_SOCKET_BUFFER_SIZE".into(),
            message: format!(
                "Could not get or set buffer size: {syscall} returned {code} ({description})"
            ),
            errno: Some(info.errno),
            syscall: Some(syscall.to_string()),
            address: None,
            port: None,
            hostname: None,
            info: Some(info),
            source: Some(Arc::new(err)),
            payload: None,
            errors: Vec::new(),
        }))
    }

    /// The `TypeError` JavaScript throws when Node's own code calls a
    /// method of a handle that `close()` set to `null`, as dgram's
    /// `setTTL()` does after `close()`: `Cannot read properties of null
    /// (reading 'setTTL')`. Node gives it no `code`; [`Error::code`] is
    /// empty.
    pub fn null_handle(property: &str) -> Error {
        Error::type_error(
            "",
            format!("Cannot read properties of null (reading '{property}')"),
        )
    }

    /// A DNS failure as `dns.lookup` reports it: `getaddrinfo ENOTFOUND host`.
    ///
    /// Node names `getaddrinfo`'s failures as c-ares does
    /// (`lib/internal/errors.js`, `dnsException`): no such name (`EAI_NONAME`,
    /// `EAI_NODATA`) is `ENOTFOUND`; a resolver that cannot be reached
    /// (`EAI_AGAIN`, an offline machine) keeps its own code.
    pub fn lookup_failed(err: io::Error, host: &str) -> Error {
        // std reports getaddrinfo's failure by gai_strerror's text only.
        // Node's errno is libuv's code for the failure (UV_OWN_CODES):
        // EAI_FAIL is -3004 (-3007 is EAI_NODATA); a missing name is
        // taken to be EAI_NONAME, the text not telling it from EAI_NODATA.
        let text = err.to_string();
        let (code, errno) = if text.contains("Temporary failure in name resolution") {
            ("EAI_AGAIN", -3001)
        } else if text.contains("Non-recoverable failure in name resolution") {
            ("EAI_FAIL", -3004)
        } else {
            ("ENOTFOUND", -3008)
        };
        Error(Box::new(Repr {
            name: "Error",
            code: code.into(),
            message: format!("getaddrinfo {code} {host}"),
            errno: Some(errno),
            syscall: Some("getaddrinfo".into()),
            address: None,
            port: None,
            hostname: Some(host.to_string()),
            info: None,
            source: Some(Arc::new(err)),
            payload: None,
            errors: Vec::new(),
        }))
    }

    /// The JavaScript class name: `Error`, `TypeError`, `RangeError` or
    /// `SystemError`.
    pub fn name(&self) -> &str {
        self.0.name
    }
    /// Node's `err.code`.
    pub fn code(&self) -> &str {
        &self.0.code
    }
    /// Node's `err.message`.
    pub fn message(&self) -> &str {
        &self.0.message
    }
    /// Node's `err.errno` (negative, as libuv reports it), for system errors.
    pub fn errno(&self) -> Option<i32> {
        self.0.errno
    }
    /// Node's `err.syscall`, for system errors.
    pub fn syscall(&self) -> Option<&str> {
        self.0.syscall.as_deref()
    }
    /// Node's `err.address`, for system errors.
    pub fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    /// Node's `err.port`, for system errors (absent for port `0`; `-1`
    /// for a Unix socket path).
    pub fn port(&self) -> Option<i32> {
        self.0.port
    }
    /// The value this error stands for, if made with
    /// [`Error::with_payload`].
    pub fn payload(&self) -> Option<&(dyn Any + Send + Sync)> {
        self.0.payload.as_deref()
    }
    /// Node's `err.hostname`, for DNS errors.
    pub fn hostname(&self) -> Option<&str> {
        self.0.hostname.as_deref()
    }
    /// The `info` object of a `SystemError` (`ERR_SOCKET_BUFFER_SIZE`).
    pub fn info(&self) -> Option<&SystemErrorInfo> {
        self.0.info.as_ref()
    }
    /// The underlying I/O error, for system errors.
    pub fn io_error(&self) -> Option<&io::Error> {
        self.0.source.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

mod uv;

use uv::{code_of, uv_description};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_errors_have_no_description() {
        let e = Error::system(
            io::Error::from_raw_os_error(111),
            "connect",
            Some("127.0.0.1"),
            Some(1),
            false,
        );
        assert_eq!(e.code(), "ECONNREFUSED");
        assert_eq!(e.errno(), Some(-111));
        assert_eq!(e.message(), "connect ECONNREFUSED 127.0.0.1:1");
    }

    #[test]
    fn listen_errors_are_described() {
        let e = Error::system(
            io::Error::from_raw_os_error(98),
            "listen",
            Some("::"),
            Some(41219),
            true,
        );
        assert_eq!(
            e.message(),
            "listen EADDRINUSE: address already in use :::41219"
        );
    }
}

/// A value of an error's own property (see [`Error::with_props`]).
#[derive(Debug, Clone, PartialEq)]
pub enum ErrorProp {
    Number(f64),
    String(String),
    Bytes(Vec<u8>),
    Bool(bool),
    /// A plain object (a certificate's fields), keys in order.
    Object(Vec<(String, ErrorProp)>),
    /// An array.
    List(Vec<ErrorProp>),
}

#[derive(Debug)]
struct ErrorProps(Vec<(&'static str, ErrorProp)>);
