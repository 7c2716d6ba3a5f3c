//! Keeps the README's configuration table and the k8s config files honest:
//! shared by both services' `config_docs` tests.

use std::collections::BTreeSet;
use std::path::Path;

/// The environment variables a clap command reads.
pub fn env_vars(cmd: &clap::Command) -> BTreeSet<String> {
    cmd.get_arguments()
        .filter_map(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned())
        .collect()
}

/// Every variable in `known` appears as `` `NAME` `` in the README's
/// "## Configuration" section.
pub fn assert_documented(known: &BTreeSet<String>) {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let start = readme
        .find("\n## Configuration")
        .expect("a Configuration section");
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let missing: Vec<_> = known
        .iter()
        .filter(|v| !section.contains(&format!("`{v}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "not in the README's Configuration table: {missing:?}"
    );
}

/// Every `KEY=value` line of the `.env`-style files (relative to the repo)
/// sets a variable in `known`: a typo in a ConfigMap would otherwise be
/// ignored silently.
pub fn assert_only_known_keys(known: &BTreeSet<String>, files: &[&str]) {
    for file in files {
        let text = std::fs::read_to_string(repo().join(file)).expect(file);
        let mut keys = 0;
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key = line.split('=').next().unwrap_or_default();
            assert!(
                known.contains(key),
                "{file}: {key} is not read by the service"
            );
            keys += 1;
        }
        assert!(keys > 0, "{file} sets nothing");
    }
}

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}
