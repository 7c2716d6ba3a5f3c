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
/// sets a variable in `known` (a typo in a ConfigMap would otherwise be
/// ignored silently), and the values parse: the files one pod gets together
/// (`files`), given as flags, must be accepted by `cmd`.
pub fn assert_only_known_keys(cmd: &clap::Command, known: &BTreeSet<String>, files: &[&str]) {
    let mut args = vec![cmd.get_name().to_owned()];
    for file in files {
        let text = std::fs::read_to_string(repo().join(file)).expect(file);
        let mut keys = 0;
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = line.split_once('=').unwrap_or((line, ""));
            assert!(
                known.contains(key),
                "{file}: {key} is not read by the service"
            );
            let flag = cmd
                .get_arguments()
                .find(|a| a.get_env().is_some_and(|e| e == key))
                .and_then(|a| a.get_long());
            if let Some(flag) = flag {
                args.push(format!("--{flag}={value}"));
            }
            keys += 1;
        }
        assert!(keys > 0, "{file} sets nothing");
    }
    if let Err(e) = cmd.clone().try_get_matches_from(&args) {
        panic!("{files:?} as flags {args:?}: {e}");
    }
}

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}
