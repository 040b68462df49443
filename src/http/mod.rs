//! `node:http`'s protocol core: HTTP/1.x without I/O ([`h1`]). The classes
//! (`Server`, `IncomingMessage`, `ServerResponse`, the client) come on top
//! of it and of the `net` sockets.

pub mod h1;
