//! Shared by the property tests.

use proptest::test_runner::{Config, RngSeed};

/// `cases` cases from a fixed seed, so that every run (and CI) checks the
/// same inputs. `PROPTEST_RNG_SEED=<n>` explores others; `PROPTEST_CASES`
/// changes the count.
pub fn proptest_config(cases: u32) -> Config {
    let mut config = Config::with_cases(cases);
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(20261124);
    }
    if let Some(n) = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        config.cases = n;
    }
    config.failure_persistence = None;
    config
}
