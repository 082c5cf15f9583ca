//! Anytime-valid sequential tests.
