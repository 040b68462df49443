//! The replay harness.
