//! Drivers: the things that run a case's actions and report events.
pub mod reference;
