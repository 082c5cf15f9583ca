//! Hodges-Lehmann shift estimate and confidence interval.
