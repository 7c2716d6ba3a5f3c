//! One spawner for both service binaries: started as real processes on
//! `127.0.0.1:0`, their `listening on ADDR` line read from stdout, their logs
//! (stderr) captured, stopped with a signal. Set `YOLOO_TEST_LOGS=1` to see
//! the logs as they come.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A binary of the workspace: `$YOLOO_<NAME>_BIN` (e.g. `YOLOO_DETECTOR_BIN`
/// for `yoloo-detector-svc`), or the one cargo built beside the running test
/// (`cargo test --workspace` builds every binary).
pub fn workspace_bin(name: &str) -> PathBuf {
    let short = name
        .trim_start_matches("yoloo-")
        .trim_end_matches("-svc")
        .to_ascii_uppercase()
        .replace('-', "_");
    if let Some(p) = std::env::var_os(format!("YOLOO_{short}_BIN")) {
        return PathBuf::from(p);
    }
    // target/<profile>/deps/<test>-<hash> → target/<profile>/<name>
    let p = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join(name)))
        .unwrap_or_default();
    assert!(
        p.is_file(),
        "{name} is not built at {}: run the tests with `cargo test --release --workspace` (or set YOLOO_{short}_BIN)",
        p.display()
    );
    p
}

/// How to start a service: the binary, its arguments and environment.
pub struct Launch {
    cmd: Command,
    name: String,
    listen: SocketAddr,
}

impl Launch {
    /// `bin` listening on `127.0.0.1:0` (any free port), logs in plain text at `info`.
    pub fn new(bin: impl AsRef<Path>) -> Self {
        let bin = bin.as_ref();
        let mut cmd = Command::new(bin);
        cmd.env("YOLOO_LOG_FORMAT", "pretty")
            .env("RUST_LOG", "info")
            .env_remove("YOLOO_LISTEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Self {
            cmd,
            name: bin
                .file_name()
                .map_or_else(|| "service".into(), |n| n.to_string_lossy().into_owned()),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }

    /// Listens on `addr` instead (e.g. the port a previous instance had).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// One argument more.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.cmd.arg(arg);
        self
    }

    /// More arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    /// An environment variable.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    /// Environment variables.
    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.cmd.envs(vars);
        self
    }

    /// Removes an inherited environment variable.
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.cmd.env_remove(key);
        self
    }

    /// Starts the process and waits (up to 120 s) for its `listening on ADDR`
    /// line: the listener is open, not necessarily ready (see
    /// [`Service::wait_ready`]). Panics with the logs if it never comes.
    pub fn spawn(mut self) -> Service {
        let mut child = self
            .cmd
            .arg("--listen")
            .arg(self.listen.to_string())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", self.name));
        let logs = Arc::new(Mutex::new(Vec::new()));
        if let Some(stderr) = child.stderr.take() {
            let (sink, name) = (Arc::clone(&logs), self.name.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if std::env::var_os("YOLOO_TEST_LOGS").is_some() {
                        eprintln!("[{name}] {line}");
                    }
                    if let Ok(mut logs) = sink.lock() {
                        logs.push(line);
                    }
                }
            });
        }
        let (tx, rx) = std::sync::mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
                if let Some(first) = lines.next() {
                    let _ = tx.send(first);
                }
                for _ in lines {}
            });
        }
        let mut service = Service {
            child: Some(child),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            base: String::new(),
            name: self.name,
            logs,
        };
        let first = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(line) => line,
            Err(_) => {
                service.kill();
                panic!(
                    "{} did not announce its address; logs:\n{}",
                    service.name,
                    service.log_text()
                );
            }
        };
        let addr = first
            .strip_prefix("listening on ")
            .and_then(|a| a.trim().parse::<SocketAddr>().ok());
        let Some(addr) = addr else {
            service.kill();
            panic!("{}: unexpected first line {first:?}", service.name);
        };
        service.addr = addr;
        service.base = format!("http://{addr}");
        service
    }
}

/// A running service process; killed on drop.
pub struct Service {
    child: Option<Child>,
    /// Where it listens.
    pub addr: SocketAddr,
    /// `http://ADDR`.
    pub base: String,
    name: String,
    logs: Arc<Mutex<Vec<String>>>,
}

impl Service {
    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits until `GET /readyz` answers 200; panics with the logs after `timeout`.
    pub fn wait_ready(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if http_status(self.addr, "/readyz") == Some(200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "{} not ready within {timeout:?}; logs:\n{}",
            self.name,
            self.log_text()
        );
    }

    /// The log lines so far (stderr).
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The logs so far, as one text.
    pub fn log_text(&self) -> String {
        self.logs().join("\n")
    }

    /// The process id (while running).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Resident memory, in KiB (Linux).
    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// Peak resident set size so far, in KiB (Linux).
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

    /// Sends a signal (`TERM`, `INT`, …) without waiting.
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -{sig} {} failed", self.pid());
    }

    /// Sends SIGTERM without waiting.
    pub fn send_term(&self) {
        self.signal("TERM");
    }

    /// Waits for the process to exit; panics with the logs after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        panic!(
            "{} still running after {timeout:?}; logs:\n{}",
            self.name,
            self.log_text()
        );
    }

    /// SIGTERM, then asserts a clean exit (status 0) within 30 s.
    pub fn stop(mut self) {
        self.send_term();
        let status = self.wait_exit(Duration::from_secs(30));
        assert!(
            status.success(),
            "{} exited with {status}; logs:\n{}",
            self.name,
            self.log_text()
        );
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `yoloo-detector-svc` with the test model (`models/yolov3-tiny.cfg`, unless
/// `extra` names `--model`), one thread per inference (unless `--threads`),
/// no API key, plus `extra` (`--flag value` pairs) and `env`.
pub fn detector(extra: &[&str], env: &[(&str, &str)]) -> Launch {
    let mut launch = Launch::new(workspace_bin("yoloo-detector-svc"));
    if !extra.contains(&"--model") {
        launch = launch.arg("--model").arg(crate::tiny_cfg());
    }
    if !extra.contains(&"--threads") {
        launch = launch.args(["--threads", "1"]);
    }
    launch
        .env_remove("YOLOO_API_KEY")
        .args(extra)
        .envs(env.iter().copied())
}

/// A detector ([`detector`]) started and ready (within 120 s).
pub fn start_detector(extra: &[&str], env: &[(&str, &str)]) -> Service {
    let svc = detector(extra, env).spawn();
    svc.wait_ready(Duration::from_secs(120));
    svc
}

/// A detector ([`detector`], defaults only) on `127.0.0.1:port`, ready:
/// for a test that restarts it where the viewer expects it.
pub fn start_detector_at(port: u16) -> Service {
    let svc = detector(&[], &[])
        .listen(SocketAddr::from(([127, 0, 0, 1], port)))
        .spawn();
    svc.wait_ready(Duration::from_secs(120));
    svc
}

/// `yoloo-viewer-svc` on `data_dir` with the test model, two threads, no
/// drain delay, a 10 s grace, debug logs, none of the backing services of the
/// caller's environment, plus `env`.
pub fn viewer(data_dir: &Path, env: &[(&str, String)]) -> Launch {
    let mut launch = Launch::new(workspace_bin("yoloo-viewer-svc"))
        .env("YOLOO_DATA_DIR", data_dir)
        .env("YOLOO_MODEL", crate::tiny_cfg())
        .env("YOLOO_THREADS", "2")
        .env("YOLOO_SHUTDOWN_GRACE", "10")
        .env("YOLOO_DRAIN_DELAY", "0")
        .env("RUST_LOG", "info,yoloo_viewer_svc=debug");
    for k in [
        "REDIS_URL",
        "STORAGE_URL",
        "DETECTOR_SVC_URL",
        "CLOUDINARY_URL",
        "CLOUDINARY_CLOUD_NAME",
        "CLOUDINARY_API_KEY",
        "CLOUDINARY_API_SECRET",
    ] {
        launch = launch.env_remove(k);
    }
    launch.envs(env.iter().map(|(k, v)| (k, v)))
}

/// A viewer ([`viewer`]) started: it listens once its stores and model are set up.
pub fn start_viewer(data_dir: &Path, env: &[(&str, String)]) -> Service {
    viewer(data_dir, env).spawn()
}

/// The status of a plain `GET path`, std only (no runtime needed); `None`
/// when nothing answers within a few seconds.
pub fn http_status(addr: SocketAddr, path: &str) -> Option<u16> {
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
