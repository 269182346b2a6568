//! cargo-fuzz entry point; the harness is umqtt_core_fuzz::connection.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| umqtt_core_fuzz::connection::run(data));
