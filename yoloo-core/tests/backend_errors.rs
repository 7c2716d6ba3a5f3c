//! Bad set-ups of the C/C++ engines give typed errors that say what was
//! tried and how to fix it: a missing library, a file that is not the
//! library, a library of the wrong version (a stand-in built here with
//! `cc`), bf16 where the engine has no bf16, int8 without calibration data.
//!
//! Nothing in this test binary loads a real engine library: each engine's
//! library is loaded once per process, and a good one loaded first would
//! hide the errors.

use yoloo_testkit::assets;

use std::path::{Path, PathBuf};
use std::process::Command;

use yoloo_core::detector::DetectorConfig;
use yoloo_core::{Backend, Detector, Error, Precision};

fn build(backend: Backend, precision: Precision, library: &Path) -> Result<Detector, Error> {
    Detector::builder(assets::tiny_cfg())
        .weights(assets::tiny_weights())
        .config(DetectorConfig {
            threads: 1,
            ..Default::default()
        })
        .backend(backend)
        .precision(precision)
        .library(library)
        .build()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "yoloo-backend-errors-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Compiles `source` into the shared library `dir/file`.
fn shared_library(dir: &Path, file: &str, source: &str) -> PathBuf {
    let c = dir.join("lib.c");
    std::fs::write(&c, source).unwrap();
    let out = dir.join(file);
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&out)
        .arg(&c)
        .status()
        .expect("`cc` is needed to build the stand-in libraries (apt-get install build-essential)");
    assert!(status.success(), "cc failed");
    out
}

#[test]
fn int8_on_a_float_model_without_photos_says_what_to_give() {
    let err = build(Backend::Tract, Precision::Int8, Path::new(".")).unwrap_err();
    assert!(matches!(err, Error::CalibrationRequired(_)), "{err}");
    assert!(err.to_string().contains("--calibrate"), "{err}");

    let empty = scratch("empty-calibration");
    let err = Detector::builder(assets::tiny_cfg())
        .weights(assets::tiny_weights())
        .precision(Precision::Int8)
        .calibrate(&empty)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::CalibrationRequired(_)), "{err}");
    assert!(
        err.to_string().contains(&empty.display().to_string()),
        "{err}"
    );
}

#[test]
fn tract_refuses_bf16() {
    let err = build(Backend::Tract, Precision::Bf16, Path::new(".")).unwrap_err();
    assert!(
        matches!(
            err,
            Error::PrecisionUnsupported {
                backend: Backend::Tract,
                precision: Precision::Bf16,
                ..
            }
        ),
        "{err}"
    );
}

#[cfg(not(feature = "onnxruntime"))]
#[test]
fn a_backend_left_out_of_the_build_names_its_feature() {
    let err = build(Backend::OnnxRuntime, Precision::Fp32, Path::new(".")).unwrap_err();
    assert!(matches!(err, Error::BackendNotBuilt { .. }), "{err}");
    assert!(err.to_string().contains("`onnxruntime`"), "{err}");
}

#[cfg(feature = "onnxruntime")]
mod onnxruntime {
    use super::*;

    #[test]
    fn a_missing_library_names_the_paths_and_the_fetch_command() {
        let missing = scratch("ort-missing").join("nowhere");
        let err = build(Backend::OnnxRuntime, Precision::Fp32, &missing).unwrap_err();
        assert!(matches!(err, Error::LibraryNotFound { .. }), "{err}");
        let text = err.to_string();
        for needle in ["nowhere", "fetch_assets.py --runtimes", "YOLOO_ORT_LIB"] {
            assert!(text.contains(needle), "{needle:?} not in {text}");
        }
    }

    #[test]
    fn a_file_that_is_not_the_library_is_a_load_error() {
        let dir = scratch("ort-junk");
        let junk = dir.join("libonnxruntime.so.1.32.0");
        std::fs::write(&junk, b"not a shared library").unwrap();
        let err = build(Backend::OnnxRuntime, Precision::Fp32, &dir).unwrap_err();
        assert!(matches!(err, Error::LibraryLoad { .. }), "{err}");
        assert!(
            err.to_string().contains(&junk.display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn an_old_library_gives_the_version_found_and_wanted() {
        let dir = scratch("ort-old");
        shared_library(
            &dir,
            "libonnxruntime.so.1.20.0",
            r#"
            typedef struct { const void* (*get_api)(unsigned); const char* (*version)(void); } Base;
            static const void* get_api(unsigned v) { (void)v; return 0; }
            static const char* version(void) { return "1.20.0"; }
            static const Base base = { get_api, version };
            const Base* OrtGetApiBase(void) { return &base; }
            "#,
        );
        let err = build(Backend::OnnxRuntime, Precision::Fp32, &dir).unwrap_err();
        match &err {
            Error::LibraryVersion { found, wanted, .. } => {
                assert_eq!(found, "1.20.0");
                assert!(wanted.contains("1.31"), "{wanted}");
            }
            other => panic!("expected a version error, got {other}"),
        }
        assert!(
            err.to_string().contains("fetch_assets.py --runtimes"),
            "{err}"
        );
    }

    #[test]
    fn bf16_is_refused_before_any_library_is_needed() {
        let err = build(Backend::OnnxRuntime, Precision::Bf16, Path::new("/nowhere")).unwrap_err();
        assert!(matches!(err, Error::PrecisionUnsupported { .. }), "{err}");
    }
}

#[cfg(feature = "openvino")]
mod openvino {
    use super::*;

    #[test]
    fn a_missing_library_names_the_paths_and_the_fetch_command() {
        let missing = scratch("ov-missing").join("nowhere");
        let err = build(Backend::OpenVino, Precision::Fp32, &missing).unwrap_err();
        assert!(matches!(err, Error::LibraryNotFound { .. }), "{err}");
        let text = err.to_string();
        for needle in [
            "nowhere",
            "fetch_assets.py --runtimes",
            "YOLOO_OPENVINO_LIB",
        ] {
            assert!(text.contains(needle), "{needle:?} not in {text}");
        }
    }

    #[test]
    fn a_library_without_openvino_symbols_is_a_load_error() {
        let dir = scratch("ov-foreign");
        let lib = shared_library(
            &dir,
            "libopenvino_c.so.2641",
            "int unrelated(void) { return 1; }",
        );
        let err = build(Backend::OpenVino, Precision::Fp32, &dir).unwrap_err();
        assert!(matches!(err, Error::LibraryLoad { .. }), "{err}");
        assert!(
            err.to_string().contains(&lib.display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn an_old_library_gives_the_version_found_and_wanted() {
        let dir = scratch("ov-old");
        shared_library(
            &dir,
            "libopenvino_c.so.2420",
            r#"
            typedef struct { const char* build_number; const char* description; } ov_version_t;
            int ov_get_openvino_version(ov_version_t* v) {
                v->build_number = "2024.2.0-15519-stand-in";
                v->description = "stand-in";
                return 0;
            }
            void ov_version_free(ov_version_t* v) { (void)v; }
            "#,
        );
        let err = build(Backend::OpenVino, Precision::Fp32, &dir).unwrap_err();
        match &err {
            Error::LibraryVersion { found, wanted, .. } => {
                assert!(found.starts_with("2024.2.0"), "{found}");
                assert!(wanted.contains("2025.1"), "{wanted}");
            }
            other => panic!("expected a version error, got {other}"),
        }
    }
}
