//! Test helpers: the fixture-site server (tests/fixtures/serve.py, on 127.0.0.1 port 0), a
//! scripted raw-TCP server for broken peers, and a runner for the feedkeeper binary.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Root of the copied fixtures.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// `tests/fixtures/serve.py` running on a free loopback port; killed on drop.
pub struct FixtureServer {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

impl FixtureServer {
    pub fn start() -> FixtureServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let port_file = dir.path().join("port");
        let child = Command::new("python3")
            .arg(fixtures().join("serve.py"))
            .args([
                "--port",
                "0",
                "--bind",
                "127.0.0.1",
                "--quiet",
                "--port-file",
            ])
            .arg(&port_file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 must be installed to serve the fixture sites");
        let deadline = Instant::now() + Duration::from_secs(20);
        let port = loop {
            if let Ok(p) = std::fs::read_to_string(&port_file) {
                if let Ok(n) = p.trim().parse::<u16>() {
                    break n;
                }
            }
            assert!(Instant::now() < deadline, "serve.py did not start");
            std::thread::sleep(Duration::from_millis(50));
        };
        FixtureServer {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Switches a site's state (`POST /_control/state`).
    pub fn set_state(&self, site: &str, state: &str) {
        self.control(
            "POST",
            &format!("/_control/state?site={site}&state={state}"),
        );
    }

    /// The request log since the last clear, then clears it.
    pub fn take_log(&self) -> serde_json::Value {
        let body = self.control("GET", "/_control/log?clear=1");
        serde_json::from_str(&body).expect("log is JSON")
    }

    fn control(&self, method: &str, path: &str) -> String {
        let addr = self.base.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).expect("connect to fixture server");
        write!(
            s,
            "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n"
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        resp.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default()
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a scripted connection does.
#[derive(Clone, Copy)]
pub enum Script {
    /// Answer 200 with this body as an RSS content type.
    Bytes(&'static [u8]),
    /// Accept the connection and never answer.
    Hang,
}

/// A raw TCP server on 127.0.0.1 that answers every connection by a script; runs until the
/// process ends (threads are detached).
pub fn scripted_server(script: Script) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                match script {
                    Script::Bytes(body) => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = stream.write_all(body);
                    }
                    Script::Hang => std::thread::sleep(Duration::from_secs(120)),
                }
            });
        }
    });
    format!("http://{addr}")
}

/// Runs the feedkeeper binary with arguments; returns its output.
pub fn feedkeeper(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_feedkeeper"))
        .args(args)
        .output()
        .expect("run feedkeeper")
}

/// Runs feedkeeper and returns stdout, asserting exit 0.
pub fn feedkeeper_ok(args: &[&str]) -> String {
    let out = feedkeeper(args);
    assert!(
        out.status.success(),
        "feedkeeper {args:?} failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// The fixture manifest of a site.
pub fn manifest(site: &str) -> serde_json::Value {
    let text =
        std::fs::read_to_string(fixtures().join("sites").join(site).join("manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}
