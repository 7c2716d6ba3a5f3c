//! The service's README (and yoloo-server's, for the shared settings)
//! documents every variable the detector reads, and k8s/ sets
//! none it does not read.

use clap::CommandFactory;
use yoloo_testkit::docs;

#[test]
fn every_variable_is_documented_and_k8s_sets_only_known_ones() {
    let cmd = yoloo_detector_svc::Config::command();
    let known = docs::env_vars(&cmd);
    assert!(known.contains("YOLOO_DRAIN_DELAY"), "{known:?}");
    docs::assert_documented(
        &["yoloo-detector-svc/README.md", "yoloo-server/README.md"],
        &known,
    );
    docs::assert_only_known_keys(&cmd, &known, &["k8s/base/detector/config.env"]);
}
