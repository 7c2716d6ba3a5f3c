//! External programs the tests run for real (redis-server, moto_server, …),
//! free ports, files left behind.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// Waits (up to 30 s) until something accepts connections on `addr`.
pub fn wait_port(addr: SocketAddr, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not start listening on {addr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A throwaway `redis-server` on a free port, no persistence; killed on drop.
pub struct Redis {
    child: Child,
    port: u16,
    /// `redis://127.0.0.1:PORT/0`.
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Redis {
    /// `None` only when redis-server is missing and `YOLOO_SKIP_REDIS=1`.
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
        wait_port(SocketAddr::from(([127, 0, 0, 1], port)), "redis-server");
        Some(Self {
            child,
            port,
            url: format!("redis://127.0.0.1:{port}/0"),
            _dir: dir,
        })
    }

    /// Runs one command with redis' inline protocol; returns the raw reply.
    pub fn command(&self, line: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect redis");
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

/// Files (recursively) under a directory, sorted.
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

/// Runs schemathesis (`$YOLOO_SCHEMATHESIS`, else `st` on PATH; PyPI
/// `schemathesis`, pinned in `scripts/requirements-test.txt`) against the
/// OpenAPI document of the service at `base` with every check
/// (`--checks all`), bounded: `max_examples` per operation in the fuzzing
/// phase, one worker, the settings of `scripts/schemathesis.toml`, and
/// killed (a failure) after `max_time`. Returns whether it found nothing,
/// and its report. `None` when it is missing and `YOLOO_SKIP_SCHEMATHESIS=1`.
pub fn schemathesis(base: &str, max_examples: u32, max_time: Duration) -> Option<(bool, String)> {
    let bin = require_program(
        "st",
        "YOLOO_SCHEMATHESIS",
        "YOLOO_SKIP_SCHEMATHESIS",
        "pip install -r scripts/requirements-test.txt (scripts/test.sh does it)",
    )?;
    let config = crate::root().join("scripts/schemathesis.toml");
    let report = tempfile::NamedTempFile::new().expect("a temporary file");
    let mut child = Command::new(bin)
        .arg("--config-file")
        .arg(&config)
        .arg("--no-color")
        .args(["run", &format!("{base}/openapi.json")])
        .args(["--checks", "all"])
        .args(["--max-examples", &max_examples.to_string()])
        .args(["--workers", "1"])
        .stdin(Stdio::null())
        .stdout(report.reopen().expect("the report file"))
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run schemathesis");
    let started = Instant::now();
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Some(status);
        }
        if started.elapsed() > max_time {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut text = std::fs::read_to_string(report.path()).unwrap_or_default();
    if status.is_none() {
        text.push_str(&format!(
            "\nschemathesis did not finish within {max_time:?}\n"
        ));
    }
    eprintln!("schemathesis took {:.0?}", started.elapsed());
    Some((status.is_some_and(|s| s.success()), text))
}
