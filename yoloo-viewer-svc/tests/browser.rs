//! Browser test: Debian's chromium driven by npm `playwright-core`
//! (`tests/browser/upload.mjs`) against the real service. The screenshot
//! goes to `target/browser/viewer-detail.png` in the repository.
//!
//! Needs `node`, `/usr/bin/chromium` (or `YOLOO_CHROMIUM`) and
//! `npm ci --prefix yoloo-viewer-svc/tests/browser` (scripts/test.sh runs
//! it). Missing pieces fail the test; `YOLOO_SKIP_BROWSER=1` skips it.

use std::path::PathBuf;
use std::process::Command;

use yoloo_testkit::assets::{asset, root};
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
    let v = start_viewer(data.path(), &[]);
    let shot = root().join("target/browser/viewer-detail.png");
    let _ = std::fs::remove_file(&shot);
    let out = Command::new(node)
        .arg(dir.join("upload.mjs"))
        .arg(&v.base)
        .arg(asset("assets/images/bus.jpg"))
        .arg(&shot)
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
    assert!(shot.is_file(), "no screenshot at {}", shot.display());
    v.stop();
}
