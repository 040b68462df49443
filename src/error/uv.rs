//! libuv's names for system errors: the errno table (`uv_err_name`,
//! `uv_strerror`), libuv's own codes, and the name an `io::Error` gets.
//! (A data table, apart from [`Error`](crate::Error)'s constructors that use it.)

use std::io;

/// Whether raw OS error numbers are Linux's generic ones, the numbering
/// of [`LINUX_ERRNOS`]. MIPS and SPARC Linux number many errnos their own
/// way (`arch/mips/include/uapi/asm/errno.h`), and other systems have
/// their own tables: there [`errno_name`] knows nothing and
/// [`Error::system`](crate::Error::system) names the error by its `io::ErrorKind`.
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
pub(super) fn uv_description(code: &str) -> &'static str {
    LINUX_ERRNOS
        .iter()
        .chain(UV_OWN_CODES)
        .find(|row| row.1 == code)
        .map_or("unknown error", |row| row.2)
}

/// The name libuv and Node give an I/O error (`"EMFILE"`): its errno's
/// when libuv names it, else one from its `io::ErrorKind`.
pub(super) fn code_of(err: &io::Error) -> String {
    err.raw_os_error()
        .and_then(errno_name)
        .map_or_else(|| kind_name(err.kind()).to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

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
