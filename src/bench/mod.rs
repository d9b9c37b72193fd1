//! The parts of `fic-harness bench` (see `src/cmd/bench.rs` and
//! BENCHMARKS.md): a load generator, the processes it drives, and the
//! side measurements the targets need (signing ceiling, start-up, cache lookup).

pub mod assertions;
pub mod cache_lookup;
pub mod cpu;
pub mod generator;
pub mod signing;
pub mod startup;
pub mod stats;
pub mod suite;
pub mod targets;
pub mod throughput;
