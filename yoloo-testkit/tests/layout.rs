//! The READMEs say where things are, and stay true: the root README's layout
//! against `git ls-files`, each crate's module table against its `src/`, and
//! each crate's README as its crate docs.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use yoloo_testkit::assets::root;
use yoloo_testkit::docs::section;

/// The crates of the workspace, by directory.
const CRATES: [&str; 7] = [
    "yoloo-core",
    "yoloo-api",
    "yoloo-server",
    "yoloo-detector-svc",
    "yoloo-viewer-svc",
    "yoloo-testkit",
    "benches",
];

/// The tracked files (`git ls-files`), or, outside a git checkout (an
/// exported tree), the files on disk minus what `.gitignore` leaves out.
fn tracked() -> BTreeSet<String> {
    let out = Command::new("git")
        .arg("ls-files")
        .current_dir(root())
        .output();
    if let Ok(out) = &out
        && out.status.success()
        && !out.stdout.is_empty()
    {
        return String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
    }
    let ignored = [
        "target",
        "models",
        "assets",
        "data",
        ".venv",
        "node_modules",
        "out",
        ".git",
    ];
    let mut files = BTreeSet::new();
    let mut stack = vec![root()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !ignored.contains(&name.as_str()) {
                    stack.push(path);
                }
            } else if let Ok(rel) = path.strip_prefix(root()) {
                files.insert(rel.to_string_lossy().into_owned());
            }
        }
    }
    files
}

/// The first fenced block of a Markdown section.
fn code_block(text: &str) -> &str {
    let start = text.find("```").expect("a code block");
    let body = &text[start..];
    let body = &body[body.find('\n').map_or(0, |i| i + 1)..];
    &body[..body.find("```").expect("a closed code block")]
}

#[test]
fn the_root_layout_matches_git_ls_files() {
    let files = tracked();
    let layout = section("README.md", "Layout");
    let mut listed = BTreeSet::new();
    for line in code_block(&layout).lines().filter(|l| !l.trim().is_empty()) {
        let paths = line.split("  ").next().unwrap_or("");
        for path in paths.split_whitespace() {
            let dir = path.trim_end_matches('/');
            assert!(
                files.contains(dir) || files.iter().any(|f| f.starts_with(&format!("{dir}/"))),
                "the README's layout names {path}, which git does not track"
            );
            listed.insert(dir.split('/').next().unwrap_or(dir).to_owned());
        }
    }
    let top: BTreeSet<String> = files
        .iter()
        .map(|f| f.split('/').next().unwrap_or(f).to_owned())
        .collect();
    let missing: Vec<_> = top.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "not in the README's layout: {missing:?}"
    );
}

#[test]
fn every_crate_lists_its_modules_and_is_documented_by_its_readme() {
    let files = tracked();
    for krate in CRATES {
        let readme = format!("{krate}/README.md");
        let modules = section(&readme, "Modules");
        let src = format!("{krate}/src/");
        let sources: BTreeSet<&str> = files
            .iter()
            .filter_map(|f| f.strip_prefix(&src))
            .filter(|f| f.ends_with(".rs"))
            .collect();
        assert!(!sources.is_empty(), "{krate} has no sources");
        for file in &sources {
            assert!(
                modules.contains(&format!("`{file}`")),
                "{readme}: `{file}` is not in its Modules section"
            );
        }
        for named in modules.split('`').skip(1).step_by(2) {
            let elsewhere = ["tests/", "benches/", "examples/"]
                .iter()
                .any(|d| named.starts_with(d));
            if named.ends_with(".rs") && !named.contains(' ') && !elsewhere {
                assert!(
                    sources.contains(named),
                    "{readme} lists `{named}`, which {src} does not have"
                );
            }
        }
        let lib = std::fs::read_to_string(root().join(&src).join("lib.rs")).expect("lib.rs");
        assert!(
            lib.starts_with("#![doc = include_str!(\"../README.md\")]"),
            "{krate}/src/lib.rs does not take its docs from its README"
        );
    }
    assert!(Path::new(&root().join("k8s/README.md")).is_file());
}
