//! The service's README (and yoloo-server's, for the shared settings)
//! documents every variable the viewer reads, and k8s/ (the
//! ConfigMap and the overlays' secret templates) sets none it does not read.

use clap::CommandFactory;
use yoloo_testkit::docs;

#[test]
fn every_variable_is_documented_and_k8s_sets_only_known_ones() {
    let cmd = yoloo_viewer_svc::Config::command();
    let known = docs::env_vars(&cmd);
    assert!(known.contains("STORAGE_URL"), "{known:?}");
    assert!(known.contains("RUST_LOG"), "{known:?}");
    docs::assert_documented(
        &["yoloo-viewer-svc/README.md", "yoloo-server/README.md"],
        &known,
    );
    // What a pod of each overlay gets: the ConfigMap and the overlay's secret.
    for overlay in ["local", "gke"] {
        docs::assert_only_known_keys(
            &cmd,
            &known,
            &[
                "k8s/base/viewer/config.env",
                &format!("k8s/overlays/{overlay}/.env.example"),
            ],
        );
    }
}
