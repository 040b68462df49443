//! The reference driver: serves `crate::net` over the driver protocol.
