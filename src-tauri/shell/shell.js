// The window's own page, shown while the gateway is stopped (the app switches the window to the
// dashboard once it runs): the state, the start error, Start/Stop, the shell's settings. Everything
// goes through the app's commands. No top-level names: Tauri injects globals (isTauri, __TAURI__) that must not be shadowed.
(function () {
  "use strict";
  const tauri = window.__TAURI__;
  const $ = (id) => document.getElementById(id);
  let current = null;

  function stateOf(s) {
    if (s.busy) return ["busy", s.running ? "Stopping…" : "Starting…"];
    if (!s.running) return ["stopped", "Stopped"];
    const down = s.health === "degraded" || s.providers.some((p) => p.status === "down");
    return down ? ["degraded", "Degraded"] : ["running", "Running"];
  }

  function providersLine(list) {
    const healthy = list.filter((p) => p.status === "up" || p.status === "configured").length;
    return `${healthy} of ${list.length} ${list.length === 1 ? "provider" : "providers"} healthy`;
  }

  function render(s) {
    current = s;
    const [cls, label] = stateOf(s);
    const state = $("state");
    state.className = `state ${cls}`;
    state.dataset.state = cls;
    state.textContent = label;
    $("base-url").textContent = s.base_url;
    document.querySelectorAll(".base-url-copy").forEach((el) => { el.textContent = s.base_url; });
    $("providers").textContent = s.running ? providersLine(s.providers) : "";
    const toggle = $("toggle");
    toggle.textContent = s.running ? "Stop gateway" : "Start gateway";
    toggle.disabled = s.busy;
    showError(s.error);
    $("running").hidden = !s.running;
    $("stopped").hidden = s.running;
  }

  function showError(message) {
    const el = $("error");
    el.textContent = message || "";
    el.hidden = !message;
  }

  async function call(command, args) {
    try {
      return await tauri.core.invoke(command, args);
    } catch (e) {
      // Commands fail with {kind, message}.
      showError(e && e.message ? e.message : String(e));
      return null;
    }
  }

  async function refresh() {
    const s = await call("gateway_status");
    if (s) render(s);
  }

  $("toggle").addEventListener("click", async () => {
    if (!current) return;
    $("toggle").disabled = true;
    await call(current.running ? "gateway_stop" : "gateway_start");
    await refresh();
  });

  $("open-dashboard").addEventListener("click", () => call("open_dashboard"));

  $("copy").addEventListener("click", async () => {
    const url = await call("copy_base_url");
    if (url) {
      $("copy").textContent = "Copied";
      setTimeout(() => { $("copy").textContent = "Copy"; }, 1500);
    }
  });

  function renderSettings(v) {
    if (!v) return;
    $("set-start").checked = v.start_gateway_on_launch;
    $("set-notify").checked = v.notify_provider_changes;
    $("set-login").checked = v.launch_at_login;
  }

  $("settings-button").addEventListener("click", async () => {
    const pane = $("settings");
    pane.hidden = !pane.hidden;
    $("settings-button").setAttribute("aria-expanded", String(!pane.hidden));
    if (!pane.hidden) renderSettings(await call("get_settings"));
  });

  async function savePreferences() {
    renderSettings(await call("set_preferences", {
      preferences: {
        start_gateway_on_launch: $("set-start").checked,
        notify_provider_changes: $("set-notify").checked,
      },
    }));
  }
  $("set-start").addEventListener("change", savePreferences);
  $("set-notify").addEventListener("change", savePreferences);
  $("set-login").addEventListener("change", async () => {
    renderSettings(await call("set_launch_at_login", { enabled: $("set-login").checked }));
  });

  tauri.event.listen("status", (event) => render(event.payload));
  refresh();
})();
