//! cargo-fuzz entry point; the harness is umqtt_core_fuzz::ws.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| umqtt_core_fuzz::ws::run(data));
