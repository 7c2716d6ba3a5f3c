//! The viewer's upload form reader (`routes::form::read_uploads`, shared by
//! the page and the API): a multipart body with boundary `B`, read within
//! the viewer's limits (2 files, 64 KiB each, so limits are reached).
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::Request;
use clap::Parser;
use libfuzzer_sys::fuzz_target;
use yoloo_viewer_svc::Config;
use yoloo_viewer_svc::routes::form::{read_uploads, refuse_declared};

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        Config::parse_from([
            "yoloo-viewer-svc",
            "--max-body-bytes",
            "65536",
            "--max-files",
            "2",
        ])
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    let req = Request::builder()
        .method("POST")
        .uri("/upload")
        .header("content-type", "multipart/form-data; boundary=B")
        .header("content-length", data.len())
        .body(Body::from(data.to_vec()))
        .expect("a request");
    runtime().block_on(async {
        if let Ok(req) = refuse_declared(config(), req) {
            let _ = read_uploads(config(), req).await;
        }
    });
});
