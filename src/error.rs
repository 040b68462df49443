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
        let code = errno
            .and_then(errno_name)
            .map(str::to_string)
            .unwrap_or_else(|| kind_name(err.kind()).to_string());
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
        let code = errno
            .and_then(errno_name)
            .map(str::to_string)
            .unwrap_or_else(|| kind_name(err.kind()).to_string());
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

/// Whether raw OS error numbers are Linux's generic ones, the numbering
/// of [`LINUX_ERRNOS`]. MIPS and SPARC Linux number many errnos their own
/// way (`arch/mips/include/uapi/asm/errno.h`), and other systems have
/// their own tables: there [`errno_name`] knows nothing and
/// [`Error::system`] names the error by its `io::ErrorKind`.
const LINUX_NUMBERING: bool = cfg!(all(
    any(target_os = "linux", target_os = "android"),
    not(any(
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "mips32r6",
        target_arch = "mips64r6",
        target_arch = "sparc",
        target_arch = "sparc64"
    ))
));

/// Every errno that libuv names on Linux, as `(errno, name, description)`
/// sorted by number: the code libuv and Node report is `-errno`, the name
/// is `uv_err_name`'s and the description `uv_strerror`'s.
///
/// The names and texts are the rows of `UV_ERRNO_MAP` in libuv's
/// `include/uv.h`; `include/uv/errno.h` defines each `UV__Exxx` as
/// `UV__ERR(Exxx)`, that is `-Exxx`, wherever the system has `Exxx`. Node
/// hands these on unchanged (`util.getSystemErrorMap()`, built from
/// `uv_err_name`/`uv_strerror` in `src/uv.cc`); a test checks this table
/// against the map of the `node` on PATH.
///
/// Not here: the codes libuv numbers itself, in [`UV_OWN_CODES`]. Two
/// Linux spellings share a number and libuv uses one of them: 11 is
/// `EAGAIN` (also `EWOULDBLOCK`), 95 is `ENOTSUP` (also `EOPNOTSUPP`).
const LINUX_ERRNOS: &[(i32, &str, &str)] = &[
    (1, "EPERM", "operation not permitted"),
    (2, "ENOENT", "no such file or directory"),
    (3, "ESRCH", "no such process"),
    (4, "EINTR", "interrupted system call"),
    (5, "EIO", "i/o error"),
    (6, "ENXIO", "no such device or address"),
    (7, "E2BIG", "argument list too long"),
    // A late row of UV_ERRNO_MAP: Node 20's libuv does not have it yet.
    (8, "ENOEXEC", "exec format error"),
    (9, "EBADF", "bad file descriptor"),
    (11, "EAGAIN", "resource temporarily unavailable"),
    (12, "ENOMEM", "not enough memory"),
    (13, "EACCES", "permission denied"),
    (14, "EFAULT", "bad address in system call argument"),
    (16, "EBUSY", "resource busy or locked"),
    (17, "EEXIST", "file already exists"),
    (18, "EXDEV", "cross-device link not permitted"),
    (19, "ENODEV", "no such device"),
    (20, "ENOTDIR", "not a directory"),
    (21, "EISDIR", "illegal operation on a directory"),
    (22, "EINVAL", "invalid argument"),
    (23, "ENFILE", "file table overflow"),
    (24, "EMFILE", "too many open files"),
    (25, "ENOTTY", "inappropriate ioctl for device"),
    (26, "ETXTBSY", "text file is busy"),
    (27, "EFBIG", "file too large"),
    (28, "ENOSPC", "no space left on device"),
    (29, "ESPIPE", "invalid seek"),
    (30, "EROFS", "read-only file system"),
    (31, "EMLINK", "too many links"),
    (32, "EPIPE", "broken pipe"),
    (34, "ERANGE", "result too large"),
    (36, "ENAMETOOLONG", "name too long"),
    (38, "ENOSYS", "function not implemented"),
    (39, "ENOTEMPTY", "directory not empty"),
    (40, "ELOOP", "too many symbolic links encountered"),
    (49, "EUNATCH", "protocol driver not attached"),
    (61, "ENODATA", "no data available"),
    (64, "ENONET", "machine is not on the network"),
    (71, "EPROTO", "protocol error"),
    (75, "EOVERFLOW", "value too large for defined data type"),
    (84, "EILSEQ", "illegal byte sequence"),
    (88, "ENOTSOCK", "socket operation on non-socket"),
    (89, "EDESTADDRREQ", "destination address required"),
    (90, "EMSGSIZE", "message too long"),
    (91, "EPROTOTYPE", "protocol wrong type for socket"),
    (92, "ENOPROTOOPT", "protocol not available"),
    (93, "EPROTONOSUPPORT", "protocol not supported"),
    (94, "ESOCKTNOSUPPORT", "socket type not supported"),
    (95, "ENOTSUP", "operation not supported on socket"),
    (97, "EAFNOSUPPORT", "address family not supported"),
    (98, "EADDRINUSE", "address already in use"),
    (99, "EADDRNOTAVAIL", "address not available"),
    (100, "ENETDOWN", "network is down"),
    (101, "ENETUNREACH", "network is unreachable"),
    (103, "ECONNABORTED", "software caused connection abort"),
    (104, "ECONNRESET", "connection reset by peer"),
    (105, "ENOBUFS", "no buffer space available"),
    (106, "EISCONN", "socket is already connected"),
    (107, "ENOTCONN", "socket is not connected"),
    (
        108,
        "ESHUTDOWN",
        "cannot send after transport endpoint shutdown",
    ),
    (110, "ETIMEDOUT", "connection timed out"),
    (111, "ECONNREFUSED", "connection refused"),
    (112, "EHOSTDOWN", "host is down"),
    (113, "EHOSTUNREACH", "host is unreachable"),
    (114, "EALREADY", "connection already in progress"),
    (121, "EREMOTEIO", "remote I/O error"),
    (125, "ECANCELED", "operation canceled"),
    // The newest libuv's `include/uv/errno.h` gives EFTYPE the errno its
    // comment says Linux 7.2 added, 134 (258 on PA-RISC, 169 on MIPS, 136
    // on SPARC); older libuv has no Linux EFTYPE and numbers it -4028, as
    // Node 20 does (see UV_OWN_CODES).
    (134, "EFTYPE", "inappropriate file type or format"),
];

/// The codes libuv numbers itself on Linux, as `(code, name,
/// description)` with libuv's (negative) code, sorted by code: from
/// `include/uv/errno.h`, `UV__EOF`, `UV__UNKNOWN`, the `UV__EAI_*`
/// getaddrinfo codes, and the fallback numbers of `UV__ECHARSET`
/// (Linux has no such errno) and of `UV__EFTYPE` before libuv took
/// Linux's 134. No raw OS error is one of these, so [`errno_name`] does
/// not look here; their descriptions are `uv_strerror`'s as in
/// [`LINUX_ERRNOS`].
const UV_OWN_CODES: &[(i32, &str, &str)] = &[
    (-4095, "EOF", "end of file"),
    (-4094, "UNKNOWN", "unknown error"),
    (-4080, "ECHARSET", "invalid Unicode character"),
    (-4028, "EFTYPE", "inappropriate file type or format"),
    (-3014, "EAI_PROTOCOL", "resolved protocol is unknown"),
    (-3013, "EAI_BADHINTS", "invalid value for hints"),
    (-3011, "EAI_SOCKTYPE", "socket type not supported"),
    (
        -3010,
        "EAI_SERVICE",
        "service not available for socket type",
    ),
    (-3009, "EAI_OVERFLOW", "argument buffer overflow"),
    (-3008, "EAI_NONAME", "unknown node or service"),
    (-3007, "EAI_NODATA", "no address"),
    (-3006, "EAI_MEMORY", "out of memory"),
    (-3005, "EAI_FAMILY", "ai_family not supported"),
    (-3004, "EAI_FAIL", "permanent failure"),
    (-3003, "EAI_CANCELED", "request canceled"),
    (-3002, "EAI_BADFLAGS", "bad ai_flags value"),
    (-3001, "EAI_AGAIN", "temporary failure"),
    (-3000, "EAI_ADDRFAMILY", "address family not supported"),
];

/// The libuv name of a raw OS error number (`EMFILE` for 24), or `None`
/// where libuv names no such errno or the numbering is not Linux's.
fn errno_name(errno: i32) -> Option<&'static str> {
    if !LINUX_NUMBERING {
        return None;
    }
    LINUX_ERRNOS
        .binary_search_by_key(&errno, |row| row.0)
        .ok()
        .map(|i| LINUX_ERRNOS[i].1)
}

fn kind_name(kind: io::ErrorKind) -> &'static str {
    use io::ErrorKind::*;
    match kind {
        NotFound => "ENOENT",
        PermissionDenied => "EACCES",
        ConnectionRefused => "ECONNREFUSED",
        ConnectionReset => "ECONNRESET",
        ConnectionAborted => "ECONNABORTED",
        NotConnected => "ENOTCONN",
        AddrInUse => "EADDRINUSE",
        AddrNotAvailable => "EADDRNOTAVAIL",
        BrokenPipe => "EPIPE",
        TimedOut => "ETIMEDOUT",
        InvalidInput => "EINVAL",
        _ => "EIO",
    }
}

/// libuv's `uv_strerror` text for a libuv error name (`"address already
/// in use"` for `EADDRINUSE`): `listen` errors and the dgram buffer-size
/// `SystemError` show it. Names libuv does not know get `"unknown
/// error"`, `UV_UNKNOWN`'s text.
fn uv_description(code: &str) -> &'static str {
    LINUX_ERRNOS
        .iter()
        .chain(UV_OWN_CODES)
        .find(|row| row.1 == code)
        .map_or("unknown error", |row| row.2)
}

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

    #[test]
    fn emfile_is_named() {
        let e = Error::system(
            io::Error::from_raw_os_error(24),
            "accept",
            None,
            None,
            false,
        );
        assert_eq!(e.code(), "EMFILE");
        assert_eq!(e.errno(), Some(-24));
        assert_eq!(e.message(), "accept EMFILE");
    }

    /// Every row, through both constructors that name a raw OS error
    /// (like every test here that names an errno, this holds where
    /// `LINUX_NUMBERING` does).
    #[test]
    fn every_errno_row_round_trips() {
        for &(n, name, description) in LINUX_ERRNOS {
            let e = Error::system(io::Error::from_raw_os_error(n), "listen", None, None, true);
            assert_eq!(e.code(), name, "errno {n}");
            assert_eq!(e.errno(), Some(-n), "errno {n}");
            assert_eq!(e.message(), format!("listen {name}: {description}"));

            let e =
                Error::socket_buffer_size(io::Error::from_raw_os_error(n), "uv_send_buffer_size");
            let info = e.info().expect("a SystemError has info");
            assert_eq!((info.errno, info.code.as_str()), (-n, name));
            assert_eq!(info.message, description);
        }
    }

    #[test]
    fn tables_are_sorted_with_unique_names() {
        for table in [LINUX_ERRNOS, UV_OWN_CODES] {
            // Strictly increasing: numbers unique, and binary search works.
            for pair in table.windows(2) {
                assert!(pair[0].0 < pair[1].0, "{:?} before {:?}", pair[0], pair[1]);
            }
            let mut names = std::collections::HashSet::new();
            for &(_, name, description) in table {
                assert!(names.insert(name), "{name} twice");
                assert!(!description.is_empty(), "{name} has no description");
            }
        }
        assert!(LINUX_ERRNOS.iter().all(|row| row.0 > 0));
        assert!(UV_OWN_CODES.iter().all(|row| row.0 <= -3000));
    }

    /// The numbers against rustix's, which come from the kernel's own
    /// headers (linux-raw-sys or libc): a typo in a row fails here even
    /// for a row no Node release has yet.
    #[test]
    fn numbers_match_the_kernel_headers() {
        use rustix::io::Errno;
        let kernel = [
            (Errno::PERM, "EPERM"),
            (Errno::NOENT, "ENOENT"),
            (Errno::SRCH, "ESRCH"),
            (Errno::INTR, "EINTR"),
            (Errno::IO, "EIO"),
            (Errno::NXIO, "ENXIO"),
            (Errno::TOOBIG, "E2BIG"),
            (Errno::NOEXEC, "ENOEXEC"),
            (Errno::BADF, "EBADF"),
            (Errno::AGAIN, "EAGAIN"),
            (Errno::NOMEM, "ENOMEM"),
            (Errno::ACCESS, "EACCES"),
            (Errno::FAULT, "EFAULT"),
            (Errno::BUSY, "EBUSY"),
            (Errno::EXIST, "EEXIST"),
            (Errno::XDEV, "EXDEV"),
            (Errno::NODEV, "ENODEV"),
            (Errno::NOTDIR, "ENOTDIR"),
            (Errno::ISDIR, "EISDIR"),
            (Errno::INVAL, "EINVAL"),
            (Errno::NFILE, "ENFILE"),
            (Errno::MFILE, "EMFILE"),
            (Errno::NOTTY, "ENOTTY"),
            (Errno::TXTBSY, "ETXTBSY"),
            (Errno::FBIG, "EFBIG"),
            (Errno::NOSPC, "ENOSPC"),
            (Errno::SPIPE, "ESPIPE"),
            (Errno::ROFS, "EROFS"),
            (Errno::MLINK, "EMLINK"),
            (Errno::PIPE, "EPIPE"),
            (Errno::RANGE, "ERANGE"),
            (Errno::NAMETOOLONG, "ENAMETOOLONG"),
            (Errno::NOSYS, "ENOSYS"),
            (Errno::NOTEMPTY, "ENOTEMPTY"),
            (Errno::LOOP, "ELOOP"),
            (Errno::UNATCH, "EUNATCH"),
            (Errno::NODATA, "ENODATA"),
            (Errno::NONET, "ENONET"),
            (Errno::PROTO, "EPROTO"),
            (Errno::OVERFLOW, "EOVERFLOW"),
            (Errno::ILSEQ, "EILSEQ"),
            (Errno::NOTSOCK, "ENOTSOCK"),
            (Errno::DESTADDRREQ, "EDESTADDRREQ"),
            (Errno::MSGSIZE, "EMSGSIZE"),
            (Errno::PROTOTYPE, "EPROTOTYPE"),
            (Errno::NOPROTOOPT, "ENOPROTOOPT"),
            (Errno::PROTONOSUPPORT, "EPROTONOSUPPORT"),
            (Errno::SOCKTNOSUPPORT, "ESOCKTNOSUPPORT"),
            (Errno::NOTSUP, "ENOTSUP"),
            (Errno::AFNOSUPPORT, "EAFNOSUPPORT"),
            (Errno::ADDRINUSE, "EADDRINUSE"),
            (Errno::ADDRNOTAVAIL, "EADDRNOTAVAIL"),
            (Errno::NETDOWN, "ENETDOWN"),
            (Errno::NETUNREACH, "ENETUNREACH"),
            (Errno::CONNABORTED, "ECONNABORTED"),
            (Errno::CONNRESET, "ECONNRESET"),
            (Errno::NOBUFS, "ENOBUFS"),
            (Errno::ISCONN, "EISCONN"),
            (Errno::NOTCONN, "ENOTCONN"),
            (Errno::SHUTDOWN, "ESHUTDOWN"),
            (Errno::TIMEDOUT, "ETIMEDOUT"),
            (Errno::CONNREFUSED, "ECONNREFUSED"),
            (Errno::HOSTDOWN, "EHOSTDOWN"),
            (Errno::HOSTUNREACH, "EHOSTUNREACH"),
            (Errno::ALREADY, "EALREADY"),
            (Errno::REMOTEIO, "EREMOTEIO"),
            (Errno::CANCELED, "ECANCELED"),
        ];
        for (errno, name) in kernel {
            assert_eq!(errno_name(errno.raw_os_error()), Some(name));
        }
        // Every row but EFTYPE, which the kernel headers rustix was built
        // from do not have yet.
        let rows: Vec<&str> = LINUX_ERRNOS.iter().map(|row| row.1).collect();
        let checked: Vec<&str> = kernel.iter().map(|k| k.1).collect();
        assert_eq!(
            rows.iter()
                .filter(|n| !checked.contains(n))
                .collect::<Vec<_>>(),
            [&"EFTYPE"]
        );
    }

    /// Our tables against `util.getSystemErrorMap()` of the `node` on
    /// PATH, which lists libuv's `[code, [name, description]]` for every
    /// code its libuv knows (Node's `src/uv.cc`, `GetErrMap`).
    #[test]
    fn tables_agree_with_node() {
        let script = "console.log(JSON.stringify([process.version, \
                      [...require('util').getSystemErrorMap()]]))";
        let out = match std::process::Command::new("node")
            .args(["-e", script])
            .output()
        {
            Ok(out) => out,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                eprintln!(
                    "SKIPPED tables_agree_with_node: no `node` on PATH ({e}); \
                     the errno table was not checked against util.getSystemErrorMap()"
                );
                return;
            }
            Err(e) => panic!("could not run node: {e}"),
        };
        assert!(
            out.status.success(),
            "node failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        type ErrorMap = Vec<(i32, (String, String))>;
        let (version, map): (String, ErrorMap) =
            serde_json::from_slice(&out.stdout).expect("node printed JSON");
        assert!(
            map.len() > 60,
            "node {version} listed only {} codes",
            map.len()
        );
        for (code, (name, description)) in &map {
            // An errno row holds the positive Linux errno; libuv's own
            // codes are stored as libuv numbers them.
            let ours = LINUX_ERRNOS
                .iter()
                .find(|row| row.0 == -code)
                .or_else(|| UV_OWN_CODES.iter().find(|row| row.0 == *code));
            assert_eq!(
                ours.map(|row| (row.1, row.2)),
                Some((name.as_str(), description.as_str())),
                "node {version} has {code} {name} ({description})"
            );
        }
        eprintln!("node {version}: all {} codes agree", map.len());
    }

    /// A lookup error's errno is libuv's code of the getaddrinfo failure,
    /// as Node's `dnsException` keeps it.
    #[test]
    fn lookup_errnos_are_libuv_codes() {
        let uv = |name: &str| {
            UV_OWN_CODES
                .iter()
                .find(|row| row.1 == name)
                .map(|row| row.0)
        };
        for (text, code, uv_name) in [
            (
                "Temporary failure in name resolution",
                "EAI_AGAIN",
                "EAI_AGAIN",
            ),
            (
                "Non-recoverable failure in name resolution",
                "EAI_FAIL",
                "EAI_FAIL",
            ),
            ("Name or service not known", "ENOTFOUND", "EAI_NONAME"),
        ] {
            let e = Error::lookup_failed(io::Error::other(text), "example.invalid");
            assert_eq!(e.code(), code);
            assert_eq!(e.errno(), uv(uv_name), "{code}");
            assert_eq!(e.message(), format!("getaddrinfo {code} example.invalid"));
        }
    }
}
