//! The bindings of Node's modules and classes, one folder per module: the
//! only code of the reference driver that knows a Node class. This file is
//! the list the session and `hello` read; adding a module adds a folder and
//! a line here.

mod net;

use std::sync::Arc;

use super::host::HostModule;

/// Every module, in the order `hello` lists them.
pub fn modules() -> Vec<Arc<dyn HostModule>> {
    vec![net::module()]
}
