//! `node:http`: the HTTP/1 core without I/O ([`h1`]), and the server's
//! classes on top of it and of the `net` sockets: [`Server`],
//! [`IncomingMessage`], [`ServerResponse`].
//!
//! The client side (`ClientRequest`, `Agent`) is not implemented yet.

mod connection;
pub mod h1;
mod incoming;
mod response;
mod server;

pub use incoming::{
    HeaderField, IncomingEvent, IncomingEventKind, IncomingMessage, headers_distinct,
    headers_object,
};
pub use response::{
    ResponseEvent, ResponseEventKind, ServerResponse, WriteCallback, http_date, is_http_date,
    outgoing_error,
};
pub use server::{Server, ServerEvent, ServerEventKind, ServerOptions};
