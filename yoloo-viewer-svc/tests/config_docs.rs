//! The README documents every variable the viewer reads, and k8s/ (the
//! ConfigMap and the overlays' secret templates) sets none it does not read.

#[path = "../../yoloo-detector-svc/tests/support/config_docs.rs"]
mod config_docs;

use clap::CommandFactory;

#[test]
fn every_variable_is_documented_and_k8s_sets_only_known_ones() {
    let cmd = yoloo_viewer_svc::Config::command();
    let mut known = config_docs::env_vars(&cmd);
    assert!(known.contains("STORAGE_URL"), "{known:?}");
    // Read by the log filter, not by clap.
    known.insert("RUST_LOG".to_owned());
    config_docs::assert_documented(&known);
    // What a pod of each overlay gets: the ConfigMap and the overlay's secret.
    for overlay in ["local", "gke"] {
        config_docs::assert_only_known_keys(
            &cmd,
            &known,
            &[
                "k8s/base/viewer/config.env",
                &format!("k8s/overlays/{overlay}/.env.example"),
            ],
        );
    }
}
