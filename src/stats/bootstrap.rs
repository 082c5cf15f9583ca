//! Bootstrap confidence intervals.
