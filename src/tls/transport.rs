//! [`TlsTransport`]: a TLS connection (rustls) over a socket's TCP
//! transport, behind net's [`Transport`] seam: the socket task moves
//! plaintext through it as through TCP, and what TLS has to report
//! (handshake done or failed, key log lines, session tickets) comes out as
//! [`Notice`]s the task runs in its turn.
//!
//! Node's TLSWrap (`src/crypto/crypto_tls.cc`) is the model: the handshake
//! runs as soon as the connection is there, whether or not the socket
//! reads; and once it is done the client's last flight is held until the
//! JavaScript side has judged the peer (`onConnectSecure` runs in the
//! handshake callback, and a rejected certificate destroys the socket
//! before OpenSSL's output is written), so a server whose client rejects
//! it sees the connection end, not a finished handshake.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::net::transport::{BoxTransport, Notice, Transport};

use super::socket::Shared;

/// Where the connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Handshaking,
    /// Done; TLS output held until [`Shared::release`].
    Judging,
    Open,
    /// The peer ended the connection before the handshake finished: the
    /// socket reads the end of the stream, as Node's does (a client's
    /// `onConnectEnd` makes it an error).
    Ended,
    /// Failed (reported); nothing more moves.
    Failed,
}

/// A server's connection before its configuration is chosen: the
/// client's hello is read first (for `SNICallback`).
enum Hello {
    Reading(Box<rustls::server::Acceptor>),
    Read(Box<rustls::server::Accepted>),
}

/// A TLS connection over another transport.
pub(crate) struct TlsTransport {
    inner: BoxTransport,
    /// `None` while a server reads the client's hello.
    conn: Option<rustls::Connection>,
    hello: Option<Hello>,
    shared: Arc<Shared>,
    phase: Phase,
    /// The first bytes the peer sent, for OpenSSL's verdict on a peer
    /// that does not speak TLS (`ERR_SSL_HTTP_REQUEST`).
    first_bytes: Vec<u8>,
    /// The peer's end of stream was read.
    eof: bool,
    /// A write waited for the handshake.
    wrote_early: bool,
}

impl TlsTransport {
    /// A client's connection.
    pub(crate) fn client(
        inner: BoxTransport,
        conn: rustls::ClientConnection,
        shared: Arc<Shared>,
    ) -> Self {
        TlsTransport {
            inner,
            conn: Some(conn.into()),
            hello: None,
            shared,
            phase: Phase::Handshaking,
            first_bytes: Vec::new(),
            eof: false,
            wrote_early: false,
        }
    }

    /// A server's connection: its configuration comes once the client's
    /// hello is read.
    pub(crate) fn server(inner: BoxTransport, shared: Arc<Shared>) -> Self {
        TlsTransport {
            inner,
            conn: None,
            hello: Some(Hello::Reading(Box::default())),
            shared,
            phase: Phase::Handshaking,
            first_bytes: Vec::new(),
            eof: false,
            wrote_early: false,
        }
    }

    /// Reads the client's hello; a notice once it is there.
    fn read_hello(&mut self, cx: &mut Context<'_>) -> Poll<Notice> {
        loop {
            match self.hello.take() {
                Some(Hello::Read(accepted)) => {
                    let config = self.shared.info().server_config.clone();
                    let Some(config) = config else {
                        self.shared.park(cx.waker());
                        self.hello = Some(Hello::Read(accepted));
                        return Poll::Pending;
                    };
                    let allowed = self.shared.info().server_versions;
                    if !offers_a_version(accepted.client_hello().cipher_suites(), allowed) {
                        // OpenSSL refuses a hello with no version of its
                        // own with a protocol_version alert.
                        self.send_alert(ALERT_PROTOCOL_VERSION);
                        return Poll::Ready(self.fail(Failure::Refused("unsupported protocol")));
                    }
                    match accepted.into_connection(config) {
                        Ok(conn) => {
                            self.conn = Some(conn.into());
                            return self.handshake(cx);
                        }
                        // rustls dropped the connection with its alert:
                        // OpenSSL's goes out instead.
                        Err(rustls::Error::NoApplicationProtocol) => {
                            self.send_alert(ALERT_NO_APPLICATION_PROTOCOL);
                            return Poll::Ready(
                                self.fail(Failure::Refused("no application protocol")),
                            );
                        }
                        Err(e) => {
                            self.send_alert(ALERT_HANDSHAKE_FAILURE);
                            return Poll::Ready(self.fail(Failure::Tls(e)));
                        }
                    }
                }
                Some(Hello::Reading(mut acceptor)) => {
                    let read = read_recorded(&mut *self.inner, &mut self.first_bytes, cx, |r| {
                        acceptor.read_tls(r)
                    });
                    match read {
                        Ok(0) => return self.end(cx),
                        Ok(_) => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            self.hello = Some(Hello::Reading(acceptor));
                            return Poll::Pending;
                        }
                        Err(e) => return Poll::Ready(self.fail(Failure::Io(e))),
                    }
                    match acceptor.accept() {
                        Ok(None) => self.hello = Some(Hello::Reading(acceptor)),
                        Ok(Some(accepted)) => {
                            let name = accepted.client_hello().server_name().map(str::to_string);
                            self.hello = Some(Hello::Read(Box::new(accepted)));
                            return Poll::Ready(self.shared.client_hello_notice(name));
                        }
                        Err(e) => return Poll::Ready(self.fail(Failure::Tls(e))),
                    }
                }
                None => return Poll::Pending,
            }
        }
    }

    fn conn(&mut self) -> &mut rustls::Connection {
        self.conn
            .as_mut()
            .expect("a connection once the hello is read")
    }

    /// Writes pending TLS records to the transport; `Ready` when all are
    /// out.
    fn flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(conn) = self.conn.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        while conn.wants_write() {
            let mut io = Io {
                inner: &mut *self.inner,
                cx,
            };
            match conn.write_tls(&mut io) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Reads what the transport has into the TLS connection and processes
    /// it. `Ready(Ok(true))` when something was read, `Ready(Ok(false))`
    /// at the peer's end of stream.
    fn fill(&mut self, cx: &mut Context<'_>) -> Poll<Result<bool, Failure>> {
        let conn = self
            .conn
            .as_mut()
            .expect("a connection once the hello is read");
        let read = read_recorded(&mut *self.inner, &mut self.first_bytes, cx, |r| {
            conn.read_tls(r)
        });
        match read {
            Ok(0) => {
                self.eof = true;
                Poll::Ready(Ok(false))
            }
            Ok(_) => match conn.process_new_packets() {
                Ok(_) => Poll::Ready(Ok(true)),
                Err(e) => Poll::Ready(Err(Failure::Tls(e))),
            },
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
            Err(e) => Poll::Ready(Err(Failure::Io(e))),
        }
    }

    /// Drives the handshake; a notice when it ended either way.
    fn handshake(&mut self, cx: &mut Context<'_>) -> Poll<Notice> {
        if self.conn.is_none() {
            return self.read_hello(cx);
        }
        loop {
            // A client's last flight waits for the verdict; a server's
            // (its session tickets) goes out at once, as OpenSSL writes it
            // before Node's JavaScript runs.
            let done = !self.conn().is_handshaking();
            if (!done || self.shared.released())
                && let Poll::Ready(Err(e)) = self.flush(cx)
            {
                return Poll::Ready(self.fail(Failure::Io(e)));
            }
            if done {
                self.phase = Phase::Judging;
                let conn = self.conn.as_ref().expect("handshaking");
                self.shared.record_handshake(conn);
                // Behind the key log lines of the handshake's last flight.
                self.shared.push(self.shared.handshake_done_notice());
                if let Some(notice) = self.shared.take_pending() {
                    return Poll::Ready(notice);
                }
                return Poll::Pending;
            }
            match self.fill(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(true)) => {}
                Poll::Ready(Ok(false)) => return self.end(cx),
                Poll::Ready(Err(Failure::Io(e))) if is_gone(&e) => return self.end(cx),
                Poll::Ready(Err(f)) => return Poll::Ready(self.fail(f)),
            }
        }
    }

    /// The peer ended the connection mid-handshake (or reset it): the
    /// socket reads its end.
    fn end(&mut self, cx: &mut Context<'_>) -> Poll<Notice> {
        self.phase = Phase::Ended;
        self.eof = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Writes a fatal alert of OpenSSL's where rustls's differs or was
    /// lost with its connection (best effort, as the connection ends).
    fn send_alert(&mut self, description: u8) {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let record = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, description];
        let _ = self.inner.poll_write(&mut cx, &record);
    }

    fn fail(&mut self, failure: Failure) -> Notice {
        let was_open = self.phase == Phase::Open;
        self.phase = Phase::Failed;
        let error = match failure {
            // A TLS 1.2 client without the certificate a server requires:
            // OpenSSL 3.0 answers handshake_failure, rustls
            // certificate_required.
            Failure::Tls(rustls::Error::NoCertificatesPresented)
                if self.conn.as_ref().and_then(|c| c.protocol_version())
                    == Some(rustls::ProtocolVersion::TLSv1_2) =>
            {
                self.send_alert(ALERT_HANDSHAKE_FAILURE);
                TlsFailure::Protocol(
                    rustls::Error::NoCertificatesPresented,
                    self.first_bytes.clone(),
                    false,
                )
            }
            Failure::Tls(e) => {
                // rustls queued an alert; OpenSSL sends one too for a
                // protocol error, but none for a peer that does not
                // speak TLS at all.
                if speaks_tls(&self.first_bytes) {
                    let mut cx = Context::from_waker(std::task::Waker::noop());
                    let _ = self.flush(&mut cx);
                }
                TlsFailure::Protocol(e, self.first_bytes.clone(), self.wrote_early && !was_open)
            }
            Failure::Refused(reason) => TlsFailure::Refused(reason),
            Failure::Io(e) => TlsFailure::Io(e),
        };
        if was_open {
            // After the handshake Node only emits the error (its control
            // is released: `_emitTLSError`); the peer's close ends the
            // stream.
            self.phase = Phase::Ended;
            self.eof = true;
            return self.shared.late_failure_notice(error);
        }
        self.shared.failure_notice(error)
    }
}

/// A reset or broken pipe: the peer went away (its reset arrives as a
/// failed write or read); for Node, the connection ended.
fn is_gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}

/// OpenSSL's alerts the reference sends itself.
const ALERT_HANDSHAKE_FAILURE: u8 = 40;
const ALERT_PROTOCOL_VERSION: u8 = 70;
const ALERT_NO_APPLICATION_PROTOCOL: u8 = 120;

/// Whether a hello's cipher suites include one of a version the server
/// allows (`(TLS 1.2, TLS 1.3)`): TLS 1.3's suites are 0x13xx.
fn offers_a_version(suites: &[rustls::CipherSuite], (tls12, tls13): (bool, bool)) -> bool {
    suites.iter().any(|s| {
        let code = s.get_u16();
        let is13 = code >> 8 == 0x13;
        // The renegotiation SCSV and GREASE values name no version.
        let scsv = code == 0x00ff || code == 0x5600 || code & 0x0f0f == 0x0a0a;
        (is13 && tls13) || (!is13 && !scsv && tls12)
    })
}

/// Why the connection stopped.
enum Failure {
    Tls(rustls::Error),
    /// Refused before rustls had a connection: OpenSSL's reason.
    Refused(&'static str),
    Io(io::Error),
}

/// What the TLS socket reports when its connection failed.
#[derive(Debug)]
pub(crate) enum TlsFailure {
    /// A TLS error, the first bytes the peer sent, and whether writes
    /// were waiting for the handshake (Node then reports `EPROTO` from
    /// the write).
    Protocol(rustls::Error, Vec<u8>, bool),
    /// A hello refused with OpenSSL's reason.
    Refused(&'static str),
    /// The transport failed.
    Io(io::Error),
}

/// Whether the peer's first bytes are a TLS record (a handshake or an
/// alert), as opposed to another protocol.
fn speaks_tls(first: &[u8]) -> bool {
    matches!(first, [0x14..=0x17, 0x03, ..] | [])
}

impl Transport for TlsTransport {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match self.phase {
            Phase::Open => {}
            Phase::Ended => return Poll::Ready(Ok(0)),
            _ => return Poll::Pending,
        }
        loop {
            match self.conn().reader().read(buf) {
                // A close_notify right behind the data is looked for when
                // the socket handles the data (`eof_pending`).
                Ok(n) => return Poll::Ready(Ok(n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // The peer closed without close_notify: Node reads that
                // as the end of the stream too.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Poll::Ready(Ok(0)),
                Err(e) => return Poll::Ready(Err(e)),
            }
            if self.eof {
                return Poll::Ready(Ok(0));
            }
            match self.fill(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(_)) => {
                    if self.shared.has_pending() {
                        // Tickets arrived: the notice goes first.
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                }
                Poll::Ready(Err(Failure::Io(e))) => return Poll::Ready(Err(e)),
                Poll::Ready(Err(f)) => {
                    // Reported as the error of a late failure, before the
                    // end of the stream this read then returns.
                    let notice = self.fail(f);
                    self.shared.push(notice);
                    return Poll::Pending;
                }
            }
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.phase {
            Phase::Open => {}
            // Writes wait for the handshake (TLSWrap holds them in
            // flight); one waiting when it fails fails as `EPROTO`.
            Phase::Handshaking | Phase::Judging => {
                self.wrote_early = true;
                return Poll::Pending;
            }
            _ => return Poll::Pending,
        }
        // One batch in flight at a time: the kernel's back-pressure is
        // the socket's.
        match self.flush(cx) {
            Poll::Ready(Ok(())) => {}
            other => return other.map(|r| r.map(|()| 0)),
        }
        let n = self.conn().writer().write(buf)?;
        // What the kernel does not take now goes with the next poll.
        if let Poll::Ready(Err(e)) = self.flush(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(n))
    }

    fn eof_pending(&mut self) -> bool {
        if self.conn.is_none() {
            return false;
        }
        // The socket asks in its turn, and its read may have been made
        // before it got the turn: what the peer sent meanwhile (its
        // close_notify right after its last record, written in the peer's
        // own turn) is read now. Node's TLSWrap gets both from the one TCP
        // read the loop makes when it gets to the socket, and reports the
        // end with the data; a listener of the data that ends the socket
        // then sees 'end' before its 'finish'. (CI saw the reverse once in
        // https/agent/sni-host-name, the whole suite running in-process.)
        if !self.eof {
            let mut cx = Context::from_waker(std::task::Waker::noop());
            let _ = self.fill(&mut cx);
        }
        match self.conn().process_new_packets() {
            Ok(io) => io.plaintext_bytes_to_read() == 0 && (io.peer_has_closed() || self.eof),
            Err(_) => false,
        }
    }

    fn poll_notice(&mut self, cx: &mut Context<'_>) -> Poll<Notice> {
        self.shared.park(cx.waker());
        if let Some(notice) = self.shared.take_pending() {
            return Poll::Ready(notice);
        }
        match self.phase {
            Phase::Handshaking => self.handshake(cx),
            Phase::Judging => {
                if self.shared.released() {
                    self.phase = Phase::Open;
                    if let Poll::Ready(Err(e)) = self.flush(cx) {
                        return Poll::Ready(self.fail(Failure::Io(e)));
                    }
                    // Plaintext may already wait in the connection.
                    cx.waker().wake_by_ref();
                }
                Poll::Pending
            }
            Phase::Open => {
                // The session's own records (tickets from a server) go
                // out even when the socket writes nothing, and come in
                // even when it reads nothing: TLSWrap reads on, into
                // OpenSSL's buffer, as rustls's plaintext buffer here
                // (`wants_read` is false once it holds any).
                if let Poll::Ready(Err(e)) = self.flush(cx) {
                    return Poll::Ready(self.fail(Failure::Io(e)));
                }
                while !self.eof && self.conn().wants_read() {
                    match self.fill(cx) {
                        Poll::Pending | Poll::Ready(Ok(false)) => break,
                        Poll::Ready(Ok(true)) => {
                            if let Some(notice) = self.shared.take_pending() {
                                return Poll::Ready(notice);
                            }
                        }
                        Poll::Ready(Err(f)) => return Poll::Ready(self.fail(f)),
                    }
                }
                Poll::Pending
            }
            Phase::Ended | Phase::Failed => Poll::Pending,
        }
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        if self.phase == Phase::Open {
            self.conn().send_close_notify();
            let mut cx = Context::from_waker(std::task::Waker::noop());
            let _ = self.flush(&mut cx);
        }
        self.inner.shutdown_write()
    }

    crate::net::transport::delegate_to_inner!();
}

/// A transport polled as `std::io`: `Pending` is `WouldBlock` (the waker
/// is registered), which is what rustls's `read_tls`/`write_tls` expect.
struct Io<'a, 'b> {
    inner: &'a mut dyn Transport,
    cx: &'a mut Context<'b>,
}

impl Read for Io<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.poll_read(self.cx, buf) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl Write for Io<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.inner.poll_write(self.cx, buf) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// rustls hands its records over as one slice each: they go out in
    /// one write, as OpenSSL's buffered output does (two session tickets
    /// in one segment, so a peer reads both at once).
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let all: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
        self.write(&all)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads from a transport through `read` (rustls's `read_tls`), keeping
/// the first bytes the peer sent.
fn read_recorded(
    inner: &mut dyn Transport,
    first: &mut Vec<u8>,
    cx: &mut Context<'_>,
    read: impl FnOnce(&mut dyn Read) -> io::Result<usize>,
) -> io::Result<usize> {
    let mut io = Io { inner, cx };
    read(&mut Recording { io: &mut io, first })
}

/// Keeps the first few bytes read.
struct Recording<'a, R> {
    io: &'a mut R,
    first: &'a mut Vec<u8>,
}

impl<R: Read> Read for Recording<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.io.read(buf)?;
        if self.first.len() < 8 {
            let take = (8 - self.first.len()).min(n);
            self.first.extend_from_slice(&buf[..take]);
        }
        Ok(n)
    }
}

impl Drop for TlsTransport {
    /// What the peer sent and this side has not read is read now, before
    /// the connection closes: TLSWrap reads whatever arrives, whether the
    /// socket reads or not (session tickets, an alert), so Node's close
    /// finds the kernel's buffer empty and sends a FIN, not a reset.
    fn drop(&mut self) {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut buf = [0u8; 4096];
        for _ in 0..64 {
            match self.inner.poll_read(&mut cx, &mut buf) {
                Poll::Ready(Ok(n)) if n > 0 => {}
                _ => break,
            }
        }
    }
}
