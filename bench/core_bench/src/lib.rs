//! Nothing to export: the benchmarks live in `benches/codec.rs`
//! (`cargo bench -p umqtt-core-bench`).
