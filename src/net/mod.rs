//! The reference implementation of `node:net`.
