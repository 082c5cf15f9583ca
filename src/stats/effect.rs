//! Effect sizes of the canary relative to the baseline.
