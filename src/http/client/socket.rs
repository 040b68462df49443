//! The socket's side of a `ClientRequest`: `onSocket`, `tickOnSocket`,
//! `_flush`, `socketOnData` and `parserOnIncomingClient`, the upgrade
//! hand-over, `responseOnEnd`/`responseKeepAlive`, and what the socket's
//! `end`, `error` and `close` mean for the request (`_http_client.js`).

use super::*;

impl ClientRequest {
    /// `onSocket`: the socket is the request's in the next tick.
    pub(crate) fn on_socket(&self, socket: Socket) {
        let me = self.clone();
        self.inner.event_loop.defer(move || me.on_socket_nt(socket));
    }

    /// `onSocketNT`.
    pub(crate) fn on_socket_nt(&self, socket: Socket) {
        let (destroyed, err) = {
            let st = self.state();
            (st.destroyed, st.error.clone())
        };
        if !destroyed {
            self.tick_on_socket(&socket);
            self.flush();
            return;
        }
        // Node tests the error of the socket's creation here, not the
        // request's own (`kError`): a sound socket goes back to the agent
        // unused, and the request reports its error alone.
        if !socket.destroyed() {
            self.inner.agent.free(&socket, None, &self.inner.origin);
            self.destroyed_without_socket(err);
        } else {
            let me = self.clone();
            socket.once(SocketEventKind::Close, move |_, _| {
                let err = me.state().error.clone();
                me.destroyed_without_socket(err);
            });
            socket.destroy(err);
        }
    }

    /// `onSocketNT`'s `_destroy`: `'error'` (a hang-up unless aborted),
    /// `'close'`.
    fn destroyed_without_socket(&self, err: Option<Error>) {
        let aborted = self.state().aborted;
        let err = match err {
            None if !aborted => Some(conn_reset("socket hang up")),
            e => e,
        };
        if let Some(e) = err {
            self.emit(ClientEvent::Error(e));
        }
        self.close();
    }

    /// `tickOnSocket`: the parser, the socket's listeners, `'socket'`.
    fn tick_on_socket(&self, socket: &Socket) {
        self.inner.agent.set_http_message(socket, self);
        {
            let mut st = self.state();
            st.socket = Some(socket.clone());
            let mut parser = ResponseParser::new(&self.inner.method);
            parser.set_max_header_size(self.inner.max_header_size);
            st.parser = Some(parser);
        }
        let me = self.clone();
        let error = socket.on(SocketEventKind::Error, move |s, e| {
            if let SocketEvent::Error(err) = e {
                me.socket_error(s, err.clone());
            }
        });
        let me = self.clone();
        let data = socket.on_data(move |s, chunk| me.socket_data(s, chunk.as_bytes()));
        let me = self.clone();
        let end = socket.on(SocketEventKind::End, move |s, _| me.socket_end(s));
        let me = self.clone();
        let close = socket.on(SocketEventKind::Close, move |_, _| me.socket_close());
        let me = self.clone();
        let drain = socket.on(SocketEventKind::Drain, move |_, _| me.socket_drain());
        let (timeout, pending_timeout) = {
            let mut st = self.state();
            st.listeners = SocketListeners {
                data: Some(data),
                end: Some(end),
                close: Some(close),
                error: Some(error),
                drain: Some(drain),
                timeout: None,
                response_timeout: None,
            };
            let timeout = st.timeout.is_some()
                || self.inner.agent.options().timeout > 0
                || st.timeout_listening;
            (timeout, st.pending_timeout.take())
        };
        if timeout {
            self.state().timeout_listening = true;
            self.add_timeout_listener(socket);
        }
        if let Some(ms) = pending_timeout {
            set_socket_timeout(socket, ms);
        }
        self.emit(ClientEvent::Socket(socket.clone()));
    }

    /// `_flush`: what was written before the socket goes out now.
    fn flush(&self) {
        let (socket, pending, ended) = {
            let mut st = self.state();
            let Some(s) = st.socket.clone() else {
                return;
            };
            (s, std::mem::take(&mut st.pending), st.ended)
        };
        if !socket.writable() {
            return;
        }
        socket.cork();
        for (bytes, cb) in pending {
            match cb {
                Some(cb) => {
                    socket.write_with(bytes, cb);
                }
                None if bytes.is_empty() => {}
                None => {
                    socket.write(bytes);
                }
            }
        }
        socket.uncork();
        if ended {
            self.emit(ClientEvent::Prefinish);
        } else if std::mem::take(&mut self.state().need_drain) {
            self.emit(ClientEvent::Drain);
        }
    }

    /// `ondrain`.
    fn socket_drain(&self) {
        let due = {
            let mut st = self.state();
            !st.ended && std::mem::take(&mut st.need_drain)
        };
        if due {
            self.emit(ClientEvent::Drain);
        }
    }

    /// Removes the listeners `tickOnSocket` added, of these kinds.
    fn remove_listeners(&self, socket: &Socket, which: &[SocketEventKind]) {
        let ids: Vec<ListenerId> = {
            let mut st = self.state();
            let l = &mut st.listeners;
            // `'timeout'`: the request's listener and `responseOnTimeout`.
            which
                .iter()
                .flat_map(|k| match k {
                    SocketEventKind::Data => [l.data.take(), None],
                    SocketEventKind::End => [l.end.take(), None],
                    SocketEventKind::Close => [l.close.take(), None],
                    SocketEventKind::Error => [l.error.take(), None],
                    SocketEventKind::Drain => [l.drain.take(), None],
                    SocketEventKind::Timeout => [l.timeout.take(), l.response_timeout.take()],
                    _ => [None, None],
                })
                .flatten()
                .collect()
        };
        for id in ids {
            socket.off(id);
        }
    }

    /// `socketOnData`: bytes through the parser.
    fn socket_data(&self, socket: &Socket, bytes: &[u8]) {
        let mut items = Vec::new();
        let (result, start) = {
            let mut st = self.state();
            let start = st.fed;
            st.fed += bytes.len();
            match st.parser.as_mut() {
                Some(p) => (p.feed(bytes, &mut items), start),
                None => return,
            }
        };
        let mut complete = false;
        for item in items {
            // An informational head's end is not the response's: the
            // parser stays for the final one.
            complete |= matches!(item, Parsed::Complete) && self.state().res.is_some();
            self.parsed(socket, item);
        }
        if let Some(res) = self.res() {
            res.settle();
        }
        if let Err(e) = result {
            self.remove_listeners(socket, &[SocketEventKind::Data, SocketEventKind::End]);
            self.state().parser = None;
            socket.destroy(None);
            self.state().had_error = true;
            self.emit(ClientEvent::Error(parse_error(&e, bytes, start)));
            return;
        }
        let upgrade = self.state().upgrade.take();
        if let Some((res, head)) = upgrade {
            self.upgraded(socket, res, head);
        } else if complete {
            self.remove_listeners(
                socket,
                &[
                    SocketEventKind::Data,
                    SocketEventKind::End,
                    SocketEventKind::Drain,
                ],
            );
            self.state().parser = None;
        }
    }

    /// One item of the parser's output.
    fn parsed(&self, socket: &Socket, item: Parsed<ResponseHead>) {
        match item {
            Parsed::Head(head) => self.on_incoming(socket, head),
            Parsed::Body(bytes) => {
                if let Some(res) = self.res() {
                    res.push(bytes);
                }
            }
            Parsed::Trailers(t) => {
                if let Some(res) = self.res() {
                    res.set_trailers(t);
                }
            }
            Parsed::Complete => {
                if let Some(res) = self.res() {
                    res.push_eof();
                }
            }
            Parsed::Upgraded(rest) => {
                if let Some((_, head)) = self.state().upgrade.as_mut() {
                    head.extend_from_slice(&rest);
                }
            }
        }
    }

    /// `parserOnIncomingClient`: a head arrived.
    fn on_incoming(&self, socket: &Socket, head: ResponseHead) {
        if self.state().res.is_some() {
            // A second response to one request.
            socket.destroy(None);
            return;
        }
        let status = head.status;
        // An upgrade (a 101 that says so), or any answer to a CONNECT:
        // not HTTP after the head.
        if head.upgrade || self.inner.method == "CONNECT" {
            let res = IncomingMessage::new(MessageHead::Response(head), socket.clone(), None);
            let mut st = self.state();
            st.res = Some(res.clone());
            st.upgrade = Some((res, Vec::new()));
            return;
        }
        if (100..200).contains(&status) && status != 101 {
            if status == 100 {
                self.emit(ClientEvent::Continue);
            }
            self.emit(ClientEvent::Information(head));
            return;
        }
        let server_keeps = head.keep_alive;
        let res = IncomingMessage::new(MessageHead::Response(head), socket.clone(), None);
        let aborted = {
            let mut st = self.state();
            if st.core.should_keep_alive() && !server_keeps {
                // The server must say keep-alive for the socket to be
                // reused.
                st.core.set_should_keep_alive(false);
            }
            st.res = Some(res.clone());
            st.aborted
        };
        // Our listeners first, so that the socket is cleaned up.
        let me = self.clone();
        res.on(IncomingEventKind::End, move |_, _| me.response_on_end());
        let r = res.clone();
        let id = socket.on(SocketEventKind::Timeout, move |_, _| {
            r.emit_timeout(None);
        });
        self.state().listeners.response_timeout = Some(id);
        // With nobody to read it, the response is dumped.
        if aborted || !self.emit(ClientEvent::Response(res.clone())) {
            res.dump();
        }
    }

    /// `socketOnData`'s upgrade branch: the socket leaves HTTP, to the
    /// `'upgrade'` (or, for a `CONNECT`, `'connect'`) listener, or is
    /// destroyed if there is none.
    fn upgraded(&self, socket: &Socket, res: IncomingMessage, head: Vec<u8>) {
        self.remove_listeners(
            socket,
            &[
                SocketEventKind::Data,
                SocketEventKind::End,
                SocketEventKind::Drain,
                SocketEventKind::Timeout,
            ],
        );
        self.state().parser = None;
        let connect = self.inner.method == "CONNECT";
        let kind = if connect {
            ClientEventKind::Connect
        } else {
            ClientEventKind::Upgrade
        };
        if self.listener_count(kind) == 0 {
            socket.destroy(None);
            return;
        }
        self.inner.agent.detach(socket, &self.inner.origin);
        self.remove_listeners(socket, &[SocketEventKind::Close, SocketEventKind::Error]);
        socket.set_readable_flowing(None);
        self.emit(if connect {
            ClientEvent::Connect(res, socket.clone(), head)
        } else {
            ClientEvent::Upgrade(res, socket.clone(), head)
        });
        self.state().destroyed = true;
        self.close();
    }

    /// `responseOnEnd`.
    fn response_on_end(&self) {
        let (socket, keep, finished, aborted) = {
            let mut st = self.state();
            st.response_ended = true;
            let aborted = st.res.as_ref().is_some_and(IncomingMessage::aborted);
            (
                st.socket.clone(),
                st.core.should_keep_alive(),
                st.finished,
                aborted,
            )
        };
        if let Some(s) = &socket {
            self.remove_listeners(s, &[SocketEventKind::Timeout]);
        }
        if !keep {
            if let Some(s) = socket
                && s.writable()
            {
                s.destroy_soon();
            }
        } else if finished && !aborted {
            self.response_keep_alive();
        }
    }

    /// `responseKeepAlive`: the socket goes back to the agent in the next
    /// tick, after `'close'`.
    pub(super) fn response_keep_alive(&self) {
        let Some(socket) = self.state().socket.clone() else {
            return;
        };
        let timed = std::mem::take(&mut self.state().timeout_listening);
        if timed {
            socket.set_timeout(0);
        }
        self.remove_listeners(
            &socket,
            &[
                SocketEventKind::Close,
                SocketEventKind::Error,
                SocketEventKind::Data,
                SocketEventKind::End,
                SocketEventKind::Timeout,
            ],
        );
        {
            let mut st = self.state();
            st.destroyed = true;
            st.free_due = true;
        }
        let me = self.clone();
        self.inner.event_loop.defer(move || {
            // emitFreeNT, then an `abort()` that came meanwhile (its tick
            // was queued after this one).
            me.close();
            me.inner.agent.free(&socket, Some(&me), &me.inner.origin);
            let abort = {
                let mut st = me.state();
                st.free_due = false;
                std::mem::take(&mut st.abort_due)
            };
            if abort {
                me.emit(ClientEvent::Abort);
            }
        });
    }

    /// `socketOnEnd`: the server ended before a response is an error; a
    /// body read until the end is complete now.
    fn socket_end(&self, socket: &Socket) {
        let hang_up = {
            let mut st = self.state();
            let hang_up = st.res.is_none() && !st.had_error && !socket.had_error();
            st.had_error |= hang_up;
            hang_up
        };
        if hang_up {
            self.emit(ClientEvent::Error(conn_reset("socket hang up")));
        }
        self.finish_parser();
        socket.destroy(None);
    }

    /// `parser.finish()`: the end of the connection ends a body read until
    /// it (a message cut short stays incomplete).
    fn finish_parser(&self) {
        let mut items = Vec::new();
        let parser = self.state().parser.take();
        if let Some(mut p) = parser {
            let _ = p.finish(&mut items);
        }
        let res = self.state().res.clone();
        if let Some(res) = res {
            if items.iter().any(|i| matches!(i, Parsed::Complete)) {
                res.push_eof();
            }
            res.settle();
        }
    }

    /// `socketErrorListener`.
    fn socket_error(&self, socket: &Socket, err: Error) {
        self.state().had_error = true;
        self.emit(ClientEvent::Error(err));
        self.finish_parser();
        self.remove_listeners(socket, &[SocketEventKind::Data, SocketEventKind::End]);
        socket.destroy(None);
    }

    /// `socketCloseListener`: the response, if any, is cut short; else the
    /// request hangs up; then `'close'`.
    fn socket_close(&self) {
        let (res, hang_up) = {
            let mut st = self.state();
            st.destroyed = true;
            let res = st.res.clone();
            let hang_up = res.is_none() && !st.had_error;
            st.had_error |= hang_up;
            (res, hang_up)
        };
        match res {
            Some(res) => {
                if !res.complete() {
                    res.destroy_now(Some(conn_reset("aborted")));
                }
                self.close();
            }
            None => {
                if hang_up {
                    self.emit(ClientEvent::Error(conn_reset("socket hang up")));
                }
                self.close();
            }
        }
        self.finish_parser();
    }
}
