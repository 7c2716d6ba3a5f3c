//! Browser test: Debian's chromium driven by npm `playwright-core`
//! (`tests/browser/upload.mjs`) against the real service with sign-in on:
//! sign in, upload two photos, filter by a class chip, delete one through
//! the confirmation page. Screenshots of each step go to
//! `<target dir>/tmp/browser/`.
//!
//! Needs `node`, `/usr/bin/chromium` (or `YOLOO_CHROMIUM`) and
//! `npm ci --prefix yoloo-viewer-svc/tests/browser` (scripts/test.sh runs
//! it). Missing pieces fail the test; `YOLOO_SKIP_BROWSER=1` skips it.

use std::path::PathBuf;
use std::process::Command;

use yoloo_testkit::image;
use yoloo_testkit::programs::require_program;
use yoloo_testkit::service::start_viewer;

#[test]
fn upload_through_the_browser() {
    let Some(node) = require_program(
        "node",
        "YOLOO_NODE",
        "YOLOO_SKIP_BROWSER",
        "apt-get install nodejs npm",
    ) else {
        return;
    };
    let chromium = std::env::var_os("YOLOO_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    let skip = std::env::var("YOLOO_SKIP_BROWSER").as_deref() == Ok("1");
    if !chromium.is_file() {
        assert!(
            skip,
            "{} is missing: apt-get install chromium (or set YOLOO_CHROMIUM; YOLOO_SKIP_BROWSER=1 skips)",
            chromium.display()
        );
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !dir.join("node_modules/playwright-core").is_dir() {
        assert!(
            skip,
            "playwright-core is not installed: npm ci --prefix {} (YOLOO_SKIP_BROWSER=1 skips)",
            dir.display()
        );
        return;
    }
    let data = tempfile::tempdir().expect("tempdir");
    let password = "a browser's password";
    let hash = yoloo_viewer_svc::auth::hash_password(password).expect("hash");
    let users = data.path().join("users");
    std::fs::write(&users, format!("ann:{hash}\n")).expect("users file");
    let v = start_viewer(
        &data.path().join("data"),
        &[("YOLOO_USERS_FILE", users.display().to_string())],
    );
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let _ = std::fs::remove_dir_all(&shots);
    let out = Command::new(node)
        .arg(dir.join("upload.mjs"))
        .arg(&v.base)
        .arg("ann")
        .arg(password)
        .arg(image("bus.jpg"))
        .arg(image("grace_hopper.jpg"))
        .arg(&shots)
        .env("YOLOO_CHROMIUM", &chromium)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser test failed\nstdout: {stdout}\nstderr: {stderr}\nviewer log:\n{}",
        v.log_text()
    );
    eprintln!("{stdout}");
    for name in [
        "viewer-sign-in.png",
        "viewer-detail.png",
        "viewer-filtered.png",
        "viewer-confirm-delete.png",
        "viewer-deleted.png",
    ] {
        let shot = shots.join(name);
        assert!(shot.is_file(), "no screenshot at {}", shot.display());
    }
    v.stop();
}
