//! A private Mosquitto 2 for one test: a free loopback port, a config of
//! the test's choosing in a temporary directory, killed on drop.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Mosquitto {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
}

impl Mosquitto {
    /// Start with `listener PORT 127.0.0.1`, anonymous access (unless
    /// `extra` sets `allow_anonymous`) and `extra` config lines (`{dir}` in
    /// them is replaced by the broker's directory).
    pub fn start(tag: &str, extra: &str) -> Mosquitto {
        Mosquitto::start_with(tag, extra, |_| {})
    }

    /// [`Mosquitto::start`], calling `prepare(dir)` first (to write a
    /// password or ACL file there).
    pub fn start_with(tag: &str, extra: &str, prepare: impl FnOnce(&std::path::Path)) -> Mosquitto {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let dir = std::env::temp_dir().join(format!("umqtt-v5-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        prepare(&dir);
        let conf = dir.join("mosquitto.conf");
        let extra = extra.replace("{dir}", dir.to_str().unwrap());
        let anon = if extra.contains("allow_anonymous") {
            ""
        } else {
            "allow_anonymous true\n"
        };
        let text = format!("listener {port} 127.0.0.1\n{anon}{extra}\n");
        std::fs::write(&conf, text).unwrap();
        // Debian puts mosquitto in /usr/sbin, which is often not on PATH.
        let bin = std::env::var("MOSQUITTO").unwrap_or_else(|_| {
            let sbin = "/usr/sbin/mosquitto";
            if std::path::Path::new(sbin).exists() {
                sbin.into()
            } else {
                "mosquitto".into()
            }
        });
        let child = Command::new(bin)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto must be installed (apt-get install mosquitto)");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "mosquitto did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Mosquitto { port, dir, child }
    }
}

impl Mosquitto {
    /// No anonymous access; user `u` with password `secret`; `acl` (if
    /// any) as its ACL file.
    pub fn with_login(tag: &str, acl: Option<&str>) -> Mosquitto {
        let mut extra = String::from("allow_anonymous false\npassword_file {dir}/passwd");
        if acl.is_some() {
            extra.push_str("\nacl_file {dir}/acl");
        }
        Mosquitto::start_with(tag, &extra, |dir| {
            let ok = Command::new("mosquitto_passwd")
                .args(["-b", "-c"])
                .arg(dir.join("passwd"))
                .args(["u", "secret"])
                .status()
                .expect("mosquitto_passwd (package mosquitto)");
            assert!(ok.success());
            if let Some(acl) = acl {
                std::fs::write(dir.join("acl"), acl).unwrap();
            }
        })
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
