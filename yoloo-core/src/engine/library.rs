//! Finding the shared libraries of the C/C++ engines.
//!
//! Order: the explicit path ([`EngineConfig::library`](super::EngineConfig::library)),
//! else the environment variable (`YOLOO_ORT_LIB`, `YOLOO_OPENVINO_LIB`),
//! else `runtimes/<backend>/` in the working directory, else
//! `runtimes/<backend>/` beside the executable. Each may name the library
//! file itself or the folder holding it; in a folder the newest file whose
//! name starts with the library's prefix (`libonnxruntime.so.`,
//! `libopenvino_c.so.`) is taken.

use std::path::{Path, PathBuf};

use super::Backend;
use crate::{Error, Result};

/// Where one backend's library lives.
pub(crate) struct LibrarySpec {
    pub backend: Backend,
    /// Environment variable overriding the search.
    pub env: &'static str,
    /// Sub-folder of `runtimes/`.
    pub folder: &'static str,
    /// File name prefix (versioned names follow it).
    pub prefix: &'static str,
}

/// The library to load for `spec`, or a [`Error::LibraryNotFound`] listing
/// every place looked at.
pub(crate) fn locate(spec: &LibrarySpec, explicit: Option<&Path>) -> Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(p) = explicit {
        candidates.push(p.to_path_buf());
    } else if let Some(p) = std::env::var_os(spec.env).filter(|v| !v.is_empty()) {
        candidates.push(PathBuf::from(p));
    } else {
        if let Ok(cwd) = std::env::current_dir() {
            candidates.push(cwd.join("runtimes").join(spec.folder));
        }
        if let Some(dir) = std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(Path::to_path_buf))
        {
            candidates.push(dir.join("runtimes").join(spec.folder));
        }
    }
    let mut tried = Vec::new();
    for c in candidates {
        if c.is_file() {
            return Ok(c);
        }
        if c.is_dir() {
            if let Some(found) = newest_with_prefix(&c, spec.prefix) {
                return Ok(found);
            }
            tried.push(c.join(format!("{}*", spec.prefix)));
        } else {
            tried.push(c);
        }
    }
    Err(Error::LibraryNotFound {
        backend: spec.backend,
        library: spec.prefix.trim_end_matches('.'),
        env: spec.env,
        tried,
    })
}

/// The file in `dir` whose name starts with `prefix` and sorts last by its
/// numeric version suffix (`libonnxruntime.so.1.32.0` over `…so.1`).
fn newest_with_prefix(dir: &Path, prefix: &str) -> Option<PathBuf> {
    let mut found: Vec<(Vec<u64>, PathBuf)> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let rest = name.strip_prefix(prefix)?;
            let version: Vec<u64> = rest.split('.').filter_map(|p| p.parse().ok()).collect();
            Some((version, e.path()))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, p)| p)
}

/// `"2026.4.1-22982-…"` or `"1.32.0"` → `[2026, 4, 1]` / `[1, 32, 0]`.
pub(crate) fn version_numbers(version: &str) -> Vec<u64> {
    version
        .split(['-', ' ', '+'])
        .next()
        .unwrap_or("")
        .split('.')
        .map_while(|p| p.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(version_numbers("2026.4.1-22982-abc"), vec![2026, 4, 1]);
        assert_eq!(version_numbers("1.32.0"), vec![1, 32, 0]);
        assert_eq!(version_numbers("junk"), Vec::<u64>::new());
    }

    #[test]
    fn a_folder_gives_its_newest_library_and_a_miss_lists_the_paths() {
        let dir = std::env::temp_dir().join(format!("yoloo-lib-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for n in [
            "libonnxruntime.so.1",
            "libonnxruntime.so.1.32.0",
            "other.so",
        ] {
            std::fs::write(dir.join(n), b"").unwrap();
        }
        let spec = LibrarySpec {
            backend: Backend::OnnxRuntime,
            env: "YOLOO_TEST_UNSET_LIB",
            folder: "onnxruntime",
            prefix: "libonnxruntime.so.",
        };
        assert_eq!(
            locate(&spec, Some(&dir)).unwrap(),
            dir.join("libonnxruntime.so.1.32.0")
        );
        let missing = dir.join("nothing-here");
        let err = locate(&spec, Some(&missing)).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("nothing-here"), "{text}");
        assert!(text.contains("fetch_assets.py --runtimes"), "{text}");
        assert!(text.contains("YOLOO_TEST_UNSET_LIB"), "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
