#!/usr/bin/python3
"""End-to-end test of the desktop app: the REAL window under Xvfb through tauri-driver + WebKitWebDriver,
the tray menu over D-Bus (StatusNotifierItem + dbusmenu), and the gateway checked from outside over HTTP.

Run inside a private session bus: `dbus-run-session -- /usr/bin/python3 tests/desktop/e2e.py BIN`
(scripts/test-desktop does). Needs Debian's python3-dbus, python3-xlib, python3-pil, xvfb, xclip,
webkit2gtk-driver, and tauri-driver on PATH (or $TAURI_DRIVER). Screenshots go to tests/artifacts/.
"""
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import dbus
from PIL import Image
from Xlib import X, display as xdisplay, protocol

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts")
BIN = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else ""
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok)))
    print(("ok   " if ok else "FAIL ") + name + (f"  ({detail})" if detail and not ok else ""), flush=True)
    return ok


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait(predicate, timeout=20.0, step=0.25):
    end = time.time() + timeout
    while time.time() < end:
        try:
            value = predicate()
            if value:
                return value
        except Exception:  # the thing waited for may not exist yet
            pass
        time.sleep(step)
    return None


def http(method, url, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class WebDriver:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        self.sid = None

    def call(self, method, path, body=None):
        status, answer = http(method, f"{self.base}/session{('/' + self.sid) if self.sid else ''}{path}", body, 120)
        if status >= 400:
            raise RuntimeError(f"webdriver {method} {path}: {status} {answer}")
        return answer["value"]

    def start(self, application, args):
        caps = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": application, "args": args}}}}
        self.sid = self.call("POST", "", caps)["sessionId"]

    def url(self):
        return self.call("GET", "/url")

    def find(self, css):
        return self.call("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def text(self, css):
        return self.call("GET", f"/element/{self.find(css)}/text")

    def click(self, css):
        self.call("POST", f"/element/{self.find(css)}/click", {})

    def screenshot(self, name):
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.call("GET", "/screenshot")))
        return path


class Tray:
    """The app's StatusNotifierItem and its dbusmenu, found on the session bus."""

    def __init__(self, pids):
        self.bus = dbus.SessionBus()
        self.name, self.path = self._find(pids)
        item = self.bus.get_object(self.name, self.path)
        self.props = dbus.Interface(item, "org.freedesktop.DBus.Properties")
        menu_path = self.props.Get("org.kde.StatusNotifierItem", "Menu")
        self.menu = dbus.Interface(self.bus.get_object(self.name, menu_path), "com.canonical.dbusmenu")

    def _find(self, pids):
        bus = dbus.Interface(self.bus.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus"), "org.freedesktop.DBus")
        names = [str(n) for n in self.bus.list_names() if str(n).startswith(":")]
        for name in names:
            try:
                if int(bus.GetConnectionUnixProcessID(name)) not in pids:
                    continue
            except dbus.DBusException:
                continue
            try:
                root = self.bus.get_object(name, "/org/ayatana/NotificationItem")
                xml = str(dbus.Interface(root, "org.freedesktop.DBus.Introspectable").Introspect(timeout=3))
            except dbus.DBusException:
                continue
            for line in xml.splitlines():
                line = line.strip()
                if line.startswith("<node name="):
                    child = line.split('"')[1]
                    return name, f"/org/ayatana/NotificationItem/{child}"
        raise RuntimeError("no StatusNotifierItem on the session bus")

    def items(self):
        _, layout = self.menu.GetLayout(0, -1, ["label", "enabled"])
        out = {}
        for child in layout[2]:
            item_id, props = int(child[0]), child[1]
            label = str(props.get("label", "")).replace("_", "")
            out[label] = (item_id, bool(props.get("enabled", True)))
        return out

    def label_starting(self, prefix):
        return next((label for label in self.items() if label.startswith(prefix)), None)

    def click(self, label):
        item_id = self.items()[label][0]
        self.menu.Event(item_id, "clicked", dbus.Int32(0, variant_level=1), dbus.UInt32(0))

    def icon_pixels(self):
        theme = str(self.props.Get("org.kde.StatusNotifierItem", "IconThemePath"))
        name = str(self.props.Get("org.kde.StatusNotifierItem", "IconName"))
        path = name if name.startswith("/") else os.path.join(theme, name + ("" if name.endswith(".png") else ".png"))
        return list(Image.open(path).convert("RGBA").getdata())


def icon_state(pixels):
    """Which of icons/tray-*.png the tray shows."""
    for state in ("running", "stopped", "degraded"):
        ref = list(Image.open(os.path.join(ROOT, "icons", f"tray-{state}.png")).convert("RGBA").getdata())
        if len(ref) == len(pixels) and sum(abs(a - b) for p, q in zip(ref, pixels) for a, b in zip(p, q)) < len(ref):
            return state
    return None


def app_processes(binary):
    """PIDs of the app (by executable) and of its WebKit children."""
    app, webkit = [], []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
            ppid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if exe == binary:
            app.append(int(pid))
        elif "WebKit" in os.path.basename(exe):
            webkit.append((int(pid), ppid, os.path.basename(exe)))
    return app, [(pid, name) for pid, ppid, name in webkit if ppid in app]


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory(binary):
    app, webkit = app_processes(binary)
    parts = {"app": sum(rss_kb(p) for p in app)}
    for pid, name in webkit:
        parts[name] = parts.get(name, 0) + rss_kb(pid)
    parts["total"] = sum(parts.values())
    return {k: round(v / 1024) for k, v in parts.items()}


def close_window(display_name, title="Switchboard"):
    """Asks the window to close the way a window manager's close button does (WM_DELETE_WINDOW)."""
    d = xdisplay.Display(display_name)
    proto, delete = d.intern_atom("WM_PROTOCOLS"), d.intern_atom("WM_DELETE_WINDOW")
    found = 0

    def walk(w):
        nonlocal found
        try:
            if w.get_wm_name() == title:
                w.send_event(protocol.event.ClientMessage(window=w, client_type=proto, data=(32, [delete, X.CurrentTime, 0, 0, 0])))
                found += 1
            for child in w.query_tree().children:
                walk(child)
        except Exception:
            pass

    walk(d.screen().root)
    d.flush()
    d.close()
    return found


def main():
    if not BIN or not os.path.exists(BIN):
        print(f"usage: e2e.py PATH-TO-switchboard-desktop (got {BIN!r})")
        return 2
    binary = os.path.realpath(BIN)
    tmp = tempfile.mkdtemp(prefix="switchboard-e2e-")
    gw, dead, td, native = free_port(), free_port(), free_port(), free_port()
    config = os.path.join(tmp, "config.toml")
    with open(config, "w") as f:
        # `local` points at a port where nothing listens: it is down, so the tray shows degraded.
        f.write(f'[server]\nport = {gw}\n\n[mock]\nenabled = true\n\n[[providers]]\nid = "local"\nkind = "openai"\n'
                f'base_url = "http://127.0.0.1:{dead}/v1"\nconnect_timeout_secs = 2\n')
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    disp = ":" + xvfb.stdout.readline().decode().strip()
    # HOME too: the autostart entry goes to $HOME/.config/autostart whatever XDG_CONFIG_HOME says.
    env = dict(os.environ, DISPLAY=disp, HOME=os.path.join(tmp, "home"), XDG_DATA_HOME=os.path.join(tmp, "data"),
               XDG_CONFIG_HOME=os.path.join(tmp, "config"), XDG_CACHE_HOME=os.path.join(tmp, "cache"),
               RUST_LOG="info",
               # The bare C locale of many CI machines and minimal sessions: WebKit turns it into the
               # language tag "C", which Intl refuses; the dashboard must render anyway (ui/src/locale.ts).
               LANG="C", LC_ALL="C")
    env.pop("WAYLAND_DISPLAY", None)
    monitor_log = open(os.path.join(tmp, "notifications.log"), "w")
    monitor = subprocess.Popen(["dbus-monitor", "--session", "interface='org.freedesktop.Notifications'"],
                               stdout=monitor_log, stderr=subprocess.DEVNULL)
    driver_log = open(os.path.join(tmp, "tauri-driver.log"), "w")
    driver = subprocess.Popen([os.environ.get("TAURI_DRIVER", "tauri-driver"), "--port", str(td),
                               "--native-port", str(native), "--native-driver", "/usr/bin/WebKitWebDriver"],
                              env=env, stdout=driver_log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{gw}/v1"
    wd = WebDriver(td)
    try:
        wait(lambda: port_open(td) and port_open(native), 20)
        wd.start(binary, ["--config", config])
        check("the gateway starts with the app", wait(lambda: port_open(gw), 30))
        check("the window shows the dashboard", wait(lambda: wd.url().startswith(f"http://127.0.0.1:{gw}/ui/"), 20))
        shown = wait(lambda: wd.text("[data-testid=base-url], #base-url"), 20)
        check("the page renders the base URL", shown == base, repr(shown))
        print("  screenshot:", wd.screenshot("desktop-dashboard.png"))

        status, answer = http("POST", f"{base}/chat/completions",
                              {"model": "mock-gpt-3.5-turbo", "messages": [{"role": "user", "content": "hi"}]})
        check("a request through the gateway succeeds", status == 200, status)
        if "data-testid" in wd.call("POST", "/execute/sync", {"script": "return document.body.innerHTML", "args": []}):
            # The dashboard's Logs page, in the window, lists the request.
            wd.call("POST", "/url", {"url": f"http://127.0.0.1:{gw}/ui/logs"})
            body_text = lambda: wd.call("POST", "/execute/sync", {"script": "return document.body.innerText", "args": []})
            check("the request shows up in the window (dashboard Logs)",
                  wait(lambda: "/v1/chat/completions" in body_text(), 30, 1))
            print("  screenshot:", wd.screenshot("desktop-logs.png"))
            wd.call("POST", "/url", {"url": f"http://127.0.0.1:{gw}/ui/"})
        else:
            print("  (the dashboard is not built into this gateway: the status page has no request list)")

        tray = Tray(app_processes(binary)[0])
        line = wait(lambda: tray.label_starting("Running on"), 15)
        check("tray status line: address and healthy providers",
              line == f"Running on 127.0.0.1:{gw} · 1 of 2 providers healthy", repr(line))
        check("tray icon: degraded (a provider is down)", wait(lambda: icon_state(tray.icon_pixels()) == "degraded", 10))
        check("a notification says the provider is down",
              wait(lambda: "Provider local is down" in open(monitor_log.name).read(), 10))
        tray.click("Copy base URL")
        clip = wait(lambda: subprocess.run(["xclip", "-o", "-selection", "clipboard"], env=env, capture_output=True,
                                           text=True, timeout=5).stdout, 10)
        check("tray Copy base URL puts it on the clipboard", clip == base, repr(clip))

        started = time.time()
        tray.click("Stop gateway")
        check("tray Stop closes the gateway's port", wait(lambda: not port_open(gw), 20))
        check("tray shows stopped", wait(lambda: "Start gateway" in tray.items() and "Stopped" in tray.items(), 20),
              list(tray.items()))
        # The dashboard's live streams must not hold the stop for the whole grace period (10 s).
        took = time.time() - started
        check("the stop completes quickly with the dashboard open", took < 8, f"{took:.1f} s")
        check("tray icon: stopped", wait(lambda: icon_state(tray.icon_pixels()) == "stopped", 10))
        check("the window switches to the shell page", wait(lambda: wd.url().startswith("tauri://"), 25))
        check("the shell page says stopped", wait(lambda: wd.text("#state") == "Stopped", 10))
        check("the shell page shows the base URL", wait(lambda: wd.text("#base-url") == base, 10))
        print("  screenshot:", wd.screenshot("desktop-stopped.png"))

        autostart_dir = os.path.join(env["HOME"], ".config", "autostart")
        entries = lambda: [open(os.path.join(autostart_dir, n)).read() for n in os.listdir(autostart_dir)] \
            if os.path.isdir(autostart_dir) else []
        check("start at login is off by default", not entries())
        wd.click("#settings-button")
        check("settings show start at login unchecked",
              wait(lambda: wd.call("GET", f"/element/{wd.find('#set-login')}/selected") is False, 5))
        wd.click("#set-login")
        check("turning start at login on writes an autostart entry that starts hidden",
              wait(lambda: any("--hidden" in e for e in entries()), 10), entries())
        wd.click("#set-login")
        check("turning it off removes the entry", wait(lambda: not entries(), 10), entries())
        wd.click("#settings-button")

        wd.click("#toggle")
        check("Start in the window opens the port", wait(lambda: port_open(gw), 20))
        check("the window goes back to the dashboard", wait(lambda: wd.url().startswith(f"http://127.0.0.1:{gw}/ui/"), 15))
        check("tray follows a start made in the window", wait(lambda: "Stop gateway" in tray.items(), 10))

        # Stop from the dashboard itself: the app grants its origin the stop command.
        check("the dashboard in the window offers Stop",
              wait(lambda: wd.text("[data-testid=stop-gateway]") == "Stop gateway", 15))
        wd.click("[data-testid=stop-gateway]")
        check("Stop in the dashboard closes the gateway's port", wait(lambda: not port_open(gw), 15))
        check("the window leaves the dashboard for the shell page", wait(lambda: wd.url().startswith("tauri://"), 15))
        check("tray follows a stop made in the window", wait(lambda: "Start gateway" in tray.items(), 10))
        wd.click("#toggle")
        check("Start in the window serves again", wait(lambda: port_open(gw), 20)
              and wait(lambda: wd.url().startswith(f"http://127.0.0.1:{gw}/ui/"), 15))

        tray.click("Stop gateway")
        wait(lambda: not port_open(gw), 20)
        wait(lambda: "Start gateway" in tray.items(), 10)
        tray.click("Start gateway")
        check("tray Stop then Start serves again", wait(lambda: port_open(gw), 20)
              and http("GET", f"http://127.0.0.1:{gw}/health")[0] == 200)

        time.sleep(3)
        open_mem = memory(binary)
        print("  memory with the window open (MB):", open_mem)
        check("the window was closed", close_window(disp) >= 1)
        check("closing frees the web view (no WebKitWebProcess left)",
              wait(lambda: not any(n == "WebKitWebProcess" for _, n in app_processes(binary)[1]), 20))
        check("the app and the gateway keep running in the tray",
              app_processes(binary)[0] and port_open(gw) and http("GET", f"http://127.0.0.1:{gw}/health")[0] == 200)
        time.sleep(3)
        tray_mem = memory(binary)
        print("  memory tray-only after closing the window (MB):", tray_mem)
        tray.click("Open dashboard")
        check("tray Open dashboard rebuilds the window",
              wait(lambda: any(n == "WebKitWebProcess" for _, n in app_processes(binary)[1]), 20))
        time.sleep(4)
        print("  memory with the window reopened (MB):", memory(binary))
        first = app_processes(binary)[0]
        second = subprocess.run([binary, "--config", config], env=env, capture_output=True, timeout=30)
        check("a second launch hands over to the running app and exits",
              second.returncode == 0 and app_processes(binary)[0] == first, second.returncode)

        tray.click("Quit Switchboard")
        check("tray Quit ends the app", wait(lambda: not app_processes(binary)[0], 30))
        check("and stops the gateway", not port_open(gw))
        with open(os.path.join(ARTIFACTS, "desktop-memory.json"), "w") as f:
            json.dump({"window_open_mb": open_mem, "tray_only_mb": tray_mem}, f, indent=1)
    except Exception as e:  # a broken step fails the run, with what happened
        check(f"no unexpected error ({type(e).__name__}: {e})", False)
    finally:
        try:
            wd.call("DELETE", "")
        except Exception:
            pass
        for p in (driver, monitor, xvfb):
            p.terminate()
        for pid in app_processes(binary)[0]:
            os.kill(pid, 15)
        driver_log.close()
    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed
    if failed:
        print(f"  logs in {tmp}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
