//! `node:http`: the HTTP/1 core without I/O ([`h1`]), and the classes on
//! top of it and of the `net` sockets: the server's [`Server`],
//! [`IncomingMessage`], [`ServerResponse`]; the client's
//! [`ClientRequest`] and [`Agent`].

mod agent;
mod client;
mod connection;
pub mod h1;
mod incoming;
mod outgoing;
mod response;
mod server;

pub use agent::{
    Agent, AgentEvent, AgentEventKind, AgentOptions, Connector, Origin, Pool, Scheduling, Secure,
};
pub use client::{ClientEvent, ClientEventKind, ClientRequest, RequestOptions};
pub use incoming::{
    HeaderField, IncomingEvent, IncomingEventKind, IncomingMessage, MessageHead, headers_distinct,
    headers_object,
};
pub use response::{
    ResponseEvent, ResponseEventKind, ServerResponse, WriteCallback, http_date, is_http_date,
    outgoing_error,
};
pub use server::{Server, ServerEvent, ServerEventKind, ServerOptions};
