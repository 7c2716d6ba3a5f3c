//! Starts the real `yoloo-detector-svc` binary on 127.0.0.1:0 and talks to it
//! over HTTP.
#![allow(dead_code)]

#[path = "../../../yoloo-core/tests/support/mod.rs"]
pub mod core;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use self::core::image;

/// A running service process; killed on drop.
pub struct Service {
    child: Child,
    pub addr: SocketAddr,
    logs: Arc<Mutex<Vec<String>>>,
}

/// Extra configuration for a test instance (args are `--flag value` pairs).
pub fn start(extra: &[&str]) -> Service {
    start_with_env(extra, &[])
}

pub fn start_with_env(extra: &[&str], env: &[(&str, &str)]) -> Service {
    let service = spawn(extra, env);
    service.wait_ready(Duration::from_secs(60));
    service
}

/// Starts the process and waits only for the listening address.
pub fn spawn(extra: &[&str], env: &[(&str, &str)]) -> Service {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yoloo-detector-svc"));
    cmd.arg("--listen").arg("127.0.0.1:0");
    if !extra.contains(&"--model") {
        cmd.arg("--model").arg(self::core::tiny_cfg());
    }
    if !extra.contains(&"--threads") {
        cmd.arg("--threads").arg("1");
    }
    cmd.args(extra)
        .env_remove("YOLOO_API_KEY")
        .env("YOLOO_LOG_FORMAT", "pretty")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start yoloo-detector-svc");
    let stderr = child.stderr.take().expect("stderr is piped");
    let logs = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = Arc::clone(&logs);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on ").nth(1) {
                let addr = rest.split_whitespace().next().unwrap_or("").to_owned();
                let _ = tx.send(addr);
            }
            if std::env::var_os("YOLOO_TEST_LOGS").is_some() {
                eprintln!("[svc] {line}");
            }
            sink.lock().unwrap().push(line);
        }
    });
    let addr = match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(a) => a.parse().expect("a socket address in the log"),
        Err(_) => {
            let _ = child.kill();
            panic!(
                "the service did not log its address; logs: {:#?}",
                logs.lock().unwrap()
            );
        }
    };
    Service { child, addr, logs }
}

impl Service {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn wait_ready(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if matches!(ureq_get(&self.url("/readyz")), Ok(200)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("not ready within {timeout:?}; logs: {:#?}", self.logs());
    }

    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory, in KiB (Linux).
    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// Peak resident set size so far.
    pub fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    fn status_kib(&self, field: &str) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill")
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    /// Waits for the process to exit; its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("still running after {timeout:?}; logs: {:#?}", self.logs());
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking GET's status, with std only (for readiness polling outside a runtime).
fn ureq_get(url: &str) -> std::io::Result<u16> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut s = std::net::TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)?;
    buf.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))
}

pub fn read(path: impl AsRef<std::path::Path>) -> Vec<u8> {
    std::fs::read(path.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

/// The workspace's reqwest uses rustls without a built-in crypto provider
/// (*ring* is chosen to avoid building aws-lc-sys): install it once per process.
pub fn install_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn client() -> reqwest::Client {
    install_tls();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// POSTs `body` as `image/jpeg`.
pub async fn post_jpeg(
    c: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
) -> reqwest::Result<reqwest::Response> {
    c.post(url)
        .header("content-type", "image/jpeg")
        .body(body)
        .send()
        .await
}

/// POSTs a multipart form; the request itself must succeed.
pub async fn post_form(
    c: &reqwest::Client,
    url: &str,
    form: reqwest::multipart::Form,
) -> reqwest::Response {
    c.post(url)
        .multipart(form)
        .send()
        .await
        .expect("POST a form")
}

/// GETs a page's text (e.g. `/metrics`).
pub async fn get_text(c: &reqwest::Client, url: &str) -> String {
    let r = c.get(url).send().await.expect("GET");
    r.text().await.expect("a text body")
}

/// GET `url` and parse its JSON body, whatever the status.
pub async fn get_json(c: &reqwest::Client, url: &str) -> serde_json::Value {
    let r = c.get(url).send().await.expect("GET");
    r.json().await.expect("a JSON body")
}
