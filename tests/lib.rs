//! Shared helpers for the capture tests.
