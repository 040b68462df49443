//! The spec model.
