//! Metric ingestion: validated samples, series, baseline/canary pairs, NaN/gap policy and readers.
