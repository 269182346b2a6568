//! cargo-fuzz entry point; the harness is umqtt_core_fuzz::transport.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| umqtt_core_fuzz::transport::run(data));
