//! Keeps the docs honest: each service's configuration table lists every
//! variable it reads, and `k8s/` sets none it does not read.

use std::collections::BTreeSet;

use crate::assets::root;

/// The environment variables a clap command reads.
pub fn env_vars(cmd: &clap::Command) -> BTreeSet<String> {
    cmd.get_arguments()
        .filter_map(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned())
        .collect()
}

/// The text of the `## {heading}` section of a Markdown file (relative to
/// the workspace root), up to the next `## `.
pub fn section(file: &str, heading: &str) -> String {
    let text = std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let marker = format!("\n## {heading}");
    let start = text
        .find(&marker)
        .unwrap_or_else(|| panic!("{file} has no \"## {heading}\" section"));
    let rest = &text[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    rest[..end].to_owned()
}

/// Every variable in `known` appears as `` `NAME` `` in the "## Configuration"
/// section of one of `readmes` (relative to the workspace root): the
/// service's own, and `yoloo-server`'s for the settings every service shares.
pub fn assert_documented(readmes: &[&str], known: &BTreeSet<String>) {
    let sections: Vec<String> = readmes
        .iter()
        .map(|r| section(r, "Configuration"))
        .collect();
    let missing: Vec<_> = known
        .iter()
        .filter(|v| !sections.iter().any(|s| s.contains(&format!("`{v}`"))))
        .collect();
    assert!(
        missing.is_empty(),
        "not in the Configuration tables of {readmes:?}: {missing:?}"
    );
}

/// Every `KEY=value` line of the `.env`-style files (relative to the repo)
/// sets a variable in `known` (a typo in a ConfigMap would otherwise be
/// ignored silently), and the values parse: the files one pod gets together
/// (`files`), given as flags, must be accepted by `cmd`.
pub fn assert_only_known_keys(cmd: &clap::Command, known: &BTreeSet<String>, files: &[&str]) {
    let mut args = vec![cmd.get_name().to_owned()];
    for file in files {
        let text = std::fs::read_to_string(root().join(file)).expect(file);
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
