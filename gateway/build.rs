//! Finds the dashboard's built assets for `ui_assets` to embed: `SWITCHBOARD_UI_DIR` points at
//! `ui/dist` when it holds a build (`cd ui && npm ci && npm run build`), else at an empty directory
//! in `OUT_DIR`, so `cargo build` never needs Node and the gateway then serves its status page.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let ui = manifest.join("..").join("ui");
    let dist = ui.join("dist");
    let built = dist.join("index.html").is_file();
    // Watch the build when there is one; otherwise the ui/ folder, so a first build is noticed
    // (a missing path would make Cargo rerun this script on every build).
    if built {
        println!("cargo:rerun-if-changed={}", dist.display());
    } else if ui.is_dir() {
        println!("cargo:rerun-if-changed={}", ui.display());
    } else {
        println!("cargo:rerun-if-changed=build.rs");
    }
    let dir = if built {
        dist.canonicalize().unwrap_or(dist)
    } else {
        let empty =
            PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("ui-not-built");
        if let Err(e) = std::fs::create_dir_all(&empty) {
            println!("cargo:warning=cannot create {}: {e}", empty.display());
        }
        if ui.is_dir() {
            println!("cargo:warning=the dashboard is not built (ui/dist is missing): /ui/ serves the status page; build it with: cd ui && npm ci && npm run build");
        }
        empty
    };
    println!("cargo:rustc-env=SWITCHBOARD_UI_DIR={}", dir.display());
}
