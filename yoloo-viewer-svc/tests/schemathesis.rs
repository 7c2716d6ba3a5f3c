//! The OpenAPI document of the JSON API is what the viewer does:
//! schemathesis generates requests from it (valid and invalid, every
//! operation) and runs every check it has (`--checks all`) — 30 examples
//! per operation in the fuzzing phase, within 4 minutes.

use std::time::Duration;

use yoloo_testkit::programs::schemathesis;
use yoloo_testkit::service::start_viewer;

#[test]
fn schemathesis_finds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let v = start_viewer(dir.path(), &[]);
    let Some((ok, report)) = schemathesis(&v.base, 30, Duration::from_secs(240)) else {
        return;
    };
    eprintln!("{report}");
    assert!(ok, "schemathesis found problems:\n{report}");
}
