//! A real Mosquitto 2, started per test on free loopback ports with its own
//! config, killed on drop.
#![allow(clippy::expect_used)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Broker {
    child: Child,
    /// The plain MQTT listener.
    pub port: u16,
    /// The WebSocket listener ([`Broker::start_with_websockets`]).
    pub ws_port: u16,
    dir: std::path::PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Broker {
    /// Anonymous, one plain MQTT listener.
    pub fn start(tag: &str) -> Broker {
        Broker::launch(tag, false)
    }

    /// Also a WebSocket listener on `ws_port`. (Mosquitto 2.0.11 does not
    /// start with only a WebSocket listener: "Unable to start any listening
    /// sockets".)
    pub fn start_with_websockets(tag: &str) -> Broker {
        Broker::launch(tag, true)
    }

    fn launch(tag: &str, ws: bool) -> Broker {
        let port = free_port();
        let ws_port = if ws { free_port() } else { 0 };
        let dir = std::env::temp_dir().join(format!("umqtt-core-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("mosquitto.conf");
        let mut text = format!("listener {port} 127.0.0.1\nallow_anonymous true\n");
        if ws {
            text += &format!("listener {ws_port} 127.0.0.1\nprotocol websockets\n");
        }
        std::fs::write(&conf, text).unwrap();
        // MOSQUITTO overrides; Debian installs it in sbin, often not on PATH.
        let candidates = [
            std::env::var("MOSQUITTO").unwrap_or_else(|_| "mosquitto".into()),
            "/usr/sbin/mosquitto".into(),
        ];
        let child = candidates
            .iter()
            .find_map(|bin| {
                Command::new(bin)
                    .arg("-c")
                    .arg(&conf)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .ok()
            })
            .expect("mosquitto must be installed (apt-get install mosquitto)");
        let deadline = Instant::now() + Duration::from_secs(10);
        for p in [port, ws_port].into_iter().filter(|p| *p != 0) {
            while TcpStream::connect(("127.0.0.1", p)).is_err() {
                assert!(Instant::now() < deadline, "mosquitto did not start");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Broker {
            child,
            port,
            ws_port,
            dir,
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
