//! The judge: per-metric classification, weighted scoring, Kayenta compatibility and the report.
