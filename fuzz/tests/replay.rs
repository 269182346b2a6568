//! Replays the committed seed corpus (and any crash files left in
//! `artifacts/`) through the harnesses on the stable toolchain, without
//! libFuzzer: `cargo test` in this directory.

use std::fs;
use std::path::Path;

fn replay(dir: &Path, run: fn(&[u8])) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut n = 0;
    for e in entries {
        let path = e.unwrap().path();
        if path.is_file() {
            let data = fs::read(&path).unwrap();
            eprintln!("replaying {}", path.display());
            run(&data);
            n += 1;
        }
    }
    n
}

fn check(target: &str, run: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seeds = replay(&root.join("corpus").join(target), run);
    assert!(
        seeds >= 3,
        "expected seed files in corpus/{target}, found {seeds}"
    );
    replay(&root.join("artifacts").join(target), run);
}

#[test]
fn framer_seeds() {
    check("framer", umqtt_core_fuzz::framer::run);
}

#[test]
fn decode_seeds() {
    check("decode", umqtt_core_fuzz::decode::run);
}

#[test]
fn decode_v5_seeds() {
    check("decode_v5", umqtt_core_fuzz::decode_v5::run);
}

#[test]
fn session_seeds() {
    check("session", umqtt_core_fuzz::session::run);
}

#[test]
fn connection_seeds() {
    check("connection", umqtt_core_fuzz::connection::run);
}

#[test]
fn ws_seeds() {
    check("ws", umqtt_core_fuzz::ws::run);
}

/// Replay any directory: `FUZZ_REPLAY=session:target/corpus/session cargo
/// test --release -- --ignored replay_dir` (add FUZZ_TRACE=1 to see each
/// step, e.g. to judge what the fuzzer reaches).
#[test]
#[ignore]
fn replay_dir() {
    let spec = std::env::var("FUZZ_REPLAY").expect("set FUZZ_REPLAY=<target>:<dir>");
    let (target, dir) = spec.split_once(':').expect("FUZZ_REPLAY=<target>:<dir>");
    let run: fn(&[u8]) = match target {
        "framer" => umqtt_core_fuzz::framer::run,
        "decode" => umqtt_core_fuzz::decode::run,
        "decode_v5" => umqtt_core_fuzz::decode_v5::run,
        "session" => umqtt_core_fuzz::session::run,
        "connection" => umqtt_core_fuzz::connection::run,
        "ws" => umqtt_core_fuzz::ws::run,
        _ => panic!("unknown target {target}"),
    };
    let n = replay(Path::new(dir), run);
    eprintln!("replayed {n} inputs");
}

#[test]
fn transport_seeds() {
    check("transport", umqtt_core_fuzz::transport::run);
}
