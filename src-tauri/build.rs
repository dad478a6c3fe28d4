fn main() {
    // The app's commands get generated `allow-<command>` permissions, so each capability names the
    // commands it grants: the bundled shell page gets them all (capabilities/default.json), the
    // dashboard served by the gateway only status and stop (granted at run time for its exact origin,
    // see `window::grant_dashboard`).
    let manifest = tauri_build::AppManifest::new().commands(&[
        "gateway_status",
        "gateway_start",
        "gateway_stop",
        "copy_base_url",
        "open_dashboard",
        "get_settings",
        "set_preferences",
        "set_launch_at_login",
    ]);
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)) {
        panic!("tauri-build: {e:#}");
    }
}
