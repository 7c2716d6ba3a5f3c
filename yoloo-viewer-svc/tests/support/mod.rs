//! Shared by the integration tests: the fetched assets, the service binary
//! started as a real process on a free port, and throwaway backing servers
//! (redis-server, moto_server) that are killed when dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fetched file; panics with the fix when missing.
pub fn asset(rel: &str) -> PathBuf {
    let p = root().join(rel);
    assert!(
        p.is_file(),
        "{} is missing: run `python3 scripts/fetch_assets.py` first (scripts/test.sh does)",
        p.display()
    );
    p
}

pub fn image_bytes(name: &str) -> Vec<u8> {
    std::fs::read(asset(&format!("assets/images/{name}"))).expect("read test image")
}

/// An HTTP client for the tests (rustls needs its crypto provider even for plain http).
pub fn client() -> reqwest::Client {
    yoloo_api::client::install_crypto();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client")
}

/// A free TCP port on 127.0.0.1 (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Finds a program on PATH (or in `override_var`). When it is missing the
/// test fails with what to install — unless `skip_var=1` is set, in which
/// case `None` tells the test to skip (CI never sets it).
pub fn require_program(
    name: &str,
    override_var: &str,
    skip_var: &str,
    install: &str,
) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(override_var) {
        return Some(PathBuf::from(p));
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    match found {
        Some(p) => Some(p),
        None if std::env::var(skip_var).as_deref() == Ok("1") => {
            eprintln!("SKIPPED: {name} is not installed and {skip_var}=1");
            None
        }
        None => panic!(
            "{name} is required by this test and was not found on PATH (or in {override_var}): {install}. Set {skip_var}=1 to skip explicitly."
        ),
    }
}

fn wait_port(addr: SocketAddr, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not start listening on {addr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends SIGTERM and waits; returns the exit status.
pub fn terminate(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + within;
    loop {
        if let Ok(Some(s)) = child.try_wait() {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "process {} did not exit within {within:?} of SIGTERM",
                child.id()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A running `yoloo-viewer-svc`.
pub struct Viewer {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub base: String,
    pub log: PathBuf,
}

impl Viewer {
    /// Starts the binary with `--listen 127.0.0.1:0`, the data dir, the test
    /// model, and `env`; waits for its `listening on ADDR` line.
    pub fn start(data_dir: &Path, env: &[(&str, String)]) -> Self {
        let log = data_dir.join(format!(
            "viewer-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_yoloo-viewer-svc"));
        cmd.arg("--listen")
            .arg("127.0.0.1:0")
            .env("YOLOO_DATA_DIR", data_dir)
            .env("YOLOO_MODEL", asset("models/yolov3-tiny.cfg"))
            .env("YOLOO_THREADS", "2")
            .env("YOLOO_SHUTDOWN_GRACE", "10")
            .env("YOLOO_DRAIN_DELAY", "0")
            .env("RUST_LOG", "info,yoloo_viewer_svc=debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file));
        for k in [
            "REDIS_URL",
            "STORAGE_URL",
            "DETECTOR_SVC_URL",
            "CLOUDINARY_URL",
            "CLOUDINARY_CLOUD_NAME",
            "CLOUDINARY_API_KEY",
            "CLOUDINARY_API_SECRET",
            "YOLOO_LISTEN",
        ] {
            cmd.env_remove(k);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn yoloo-viewer-svc");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            for _ in lines {}
        });
        let first = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "viewer did not start; log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        };
        let addr: SocketAddr = first
            .strip_prefix("listening on ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
        Self {
            child: Some(child),
            addr,
            base: format!("http://{addr}"),
            log,
        }
    }

    /// The process id (while running).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM without waiting.
    pub fn send_term(&self) {
        if let Some(c) = &self.child {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
        }
    }

    /// Waits for the process to exit (it was told to stop).
    pub fn wait_exit(mut self, within: Duration) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("running");
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(s)) = c.try_wait() {
                return s;
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                panic!("viewer did not exit within {within:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM; asserts a clean exit (status 0).
    pub fn stop(mut self) {
        if let Some(mut c) = self.child.take() {
            let s = terminate(&mut c, Duration::from_secs(30));
            assert!(s.success(), "viewer exited with {s}; log:\n{}", self.logs());
        }
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A throwaway `redis-server` on a free port, no persistence.
pub struct Redis {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Redis {
    /// `None` only when missing and `YOLOO_SKIP_REDIS=1`.
    pub fn start() -> Option<Self> {
        let bin = require_program(
            "redis-server",
            "YOLOO_REDIS_SERVER",
            "YOLOO_SKIP_REDIS",
            "apt-get install redis-server",
        )?;
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let child = Command::new(bin)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        wait_port(addr, "redis-server");
        Some(Self {
            child,
            url: format!("redis://127.0.0.1:{port}/0"),
            _dir: dir,
        })
    }

    /// Runs one command with redis' inline protocol; returns the raw reply.
    pub fn command(&self, line: &str) -> String {
        use std::io::Write;
        let port = self
            .url
            .trim_start_matches("redis://127.0.0.1:")
            .trim_end_matches("/0");
        let mut s = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect redis");
        s.set_read_timeout(Some(Duration::from_secs(5))).ok();
        s.write_all(format!("{line}\r\n").as_bytes())
            .expect("write");
        let mut buf = [0u8; 65536];
        let n = s.read(&mut buf).unwrap_or(0);
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Files (recursively) under a directory.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if let Ok(rd) = std::fs::read_dir(&d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

/// A multipart form with `input_image` files.
pub fn form(files: &[(&str, Vec<u8>)]) -> reqwest::multipart::Form {
    let mut f = reqwest::multipart::Form::new();
    for (name, bytes) in files {
        let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string());
        f = f.part("input_image", part);
    }
    f
}

/// The `yoloo-detector-svc` binary: `YOLOO_DETECTOR_BIN`, or the one
/// `cargo test --workspace` builds next to this test's executable.
pub fn detector_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("YOLOO_DETECTOR_BIN") {
        return PathBuf::from(p);
    }
    let p = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("yoloo-detector-svc")))
        .unwrap_or_default();
    assert!(
        p.is_file(),
        "yoloo-detector-svc is not built at {}: run the tests with `cargo test --release --workspace` (or set YOLOO_DETECTOR_BIN)",
        p.display()
    );
    p
}

/// A real `yoloo-detector-svc` process on `127.0.0.1:port`.
pub struct DetectorProc {
    child: Option<Child>,
    pub url: String,
}

impl DetectorProc {
    /// Starts it and waits until `/readyz` answers 200.
    pub fn start(port: u16) -> Self {
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let child = Command::new(detector_bin())
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--model")
            .arg(asset("models/yolov3-tiny.cfg"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn yoloo-detector-svc");
        let url = format!("http://{addr}");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if http_status(addr, "/readyz") == Some(200) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "yoloo-detector-svc did not become ready on {addr}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            child: Some(child),
            url,
        }
    }

    /// SIGKILL, as a crash would.
    pub fn kill(mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for DetectorProc {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Status of a plain GET, std only (no runtime needed).
pub fn http_status(addr: SocketAddr, path: &str) -> Option<u16> {
    use std::io::Write;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).ok()?;
    let head = std::str::from_utf8(&buf[..n]).ok()?;
    head.split_whitespace().nth(1)?.parse().ok()
}

/// GETs `url` and returns the status; `what` names the request if it fails.
pub async fn get_status(c: &reqwest::Client, url: &str, what: &str) -> reqwest::StatusCode {
    match c.get(url).send().await {
        Ok(r) => r.status(),
        Err(e) => panic!("{what}: {e}"),
    }
}

/// GET `url` and parse its JSON body, whatever the status.
pub async fn get_json(c: &reqwest::Client, url: &str) -> serde_json::Value {
    let r = c.get(url).send().await.expect("GET");
    r.json().await.expect("a JSON body")
}

/// `POST /api/images` with one file; asserts 201 and returns the record.
pub async fn upload_api(
    c: &reqwest::Client,
    v: &Viewer,
    name: &str,
    bytes: Vec<u8>,
) -> serde_json::Value {
    let r = c
        .post(v.url("/api/images"))
        .multipart(form(&[(name, bytes)]))
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    r.json().await.expect("json")
}

/// GET `url` and return its body as text, whatever the status.
pub async fn get_text(c: &reqwest::Client, url: &str) -> String {
    let r = c.get(url).send().await.expect("GET");
    r.text().await.expect("a text body")
}
