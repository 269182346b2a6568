//! cargo-fuzz entry point; the harness is umqtt_core_fuzz::decode_v5.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| umqtt_core_fuzz::decode_v5::run(data));
