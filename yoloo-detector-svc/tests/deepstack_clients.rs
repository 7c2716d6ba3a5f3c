//! The DeepStack clients people already use (`deepstack-python`, Home
//! Assistant's; `deepstack-sdk`, DeepQuest's) against the real service.
//!
//! Needs a Python with both installed, named by `$YOLOO_PYTHON`
//! (`scripts/test.sh` makes one from `scripts/requirements-test.txt`).

use std::process::Command;

use yoloo_testkit::image;
use yoloo_testkit::service::start_detector;

fn python() -> String {
    match std::env::var("YOLOO_PYTHON") {
        Ok(p) => p,
        Err(_) => panic!(
            "set YOLOO_PYTHON to a Python with deepstack-python and deepstack-sdk \
             (scripts/test.sh does this), or skip this test with --skip deepstack"
        ),
    }
}

fn run_clients(port: u16, key: Option<&str>) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/deepstack_clients.py");
    let mut cmd = Command::new(python());
    cmd.arg(script).arg(port.to_string()).arg(image("bus.jpg"));
    if let Some(k) = key {
        cmd.arg(k);
    }
    let out = cmd.output().expect("run the Python clients");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}{stderr}");
    assert!(
        out.status.success(),
        "the DeepStack clients failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.trim_end().ends_with("ok"));
}

#[test]
fn deepstack_clients_get_the_expected_labels() {
    let svc = start_detector(&[], &[]);
    run_clients(svc.addr.port(), None);
}

#[test]
fn deepstack_clients_with_an_api_key() {
    let svc = start_detector(&[], &[("YOLOO_API_KEY", "k3y")]);
    run_clients(svc.addr.port(), Some("k3y"));
}
