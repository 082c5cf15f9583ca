//! Mann-Whitney U test.
