//! Processes and CPUs: pinning the bench itself, starting the gateway (or the
//! stand-in) under `taskset`, and making sure it dies with the bench.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::client::{self, Target};
use crate::BoxError;

/// Whether `taskset` (util-linux) can run here and pin to `cpu`.
pub fn taskset_works(cpu: usize) -> bool {
    Command::new("taskset")
        .args(["-c", &cpu.to_string(), "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The CPUs this process may run on, as the kernel lists them (`0-1`, `1`, …).
pub fn allowed_cpus() -> Option<String> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .map(|s| s.trim().to_string())
}

/// Pins this process to `cpu` with `taskset -p` (no unsafe code needed).
/// Call it before any runtime threads exist so they all inherit it.
/// Returns a description of what happened for the report.
pub fn pin_self(cpu: usize) -> Result<String, String> {
    let want = cpu.to_string();
    if allowed_cpus().as_deref() == Some(want.as_str()) {
        return Ok(format!("already pinned to CPU {cpu}"));
    }
    let pid = std::process::id().to_string();
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", &want, &pid])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("could not run taskset: {e}"))?;
    if !status.status.success() {
        return Err(format!(
            "taskset -p -c {cpu} failed: {}",
            String::from_utf8_lossy(&status.stderr).trim()
        ));
    }
    match allowed_cpus() {
        Some(now) if now == want => Ok(format!("pinned itself to CPU {cpu}")),
        other => Err(format!("after taskset the allowed CPUs are {other:?}")),
    }
}

/// A child process (the gateway or the stand-in) that is killed when this
/// guard is dropped: on success, on `?` errors and on panics alike.
pub struct ChildGuard {
    child: Child,
    pub log: PathBuf,
    pub what: String,
}

impl ChildGuard {
    /// Starts `program args…`, under `taskset -c cpu` when `cpu` is given.
    pub fn spawn(
        what: &str,
        program: &Path,
        args: &[String],
        cpu: Option<usize>,
        log: PathBuf,
        envs: &[(&str, &str)],
    ) -> Result<Self, BoxError> {
        let mut cmd = match cpu {
            Some(cpu) => {
                let mut c = Command::new("taskset");
                c.arg("-c").arg(cpu.to_string()).arg(program);
                c
            }
            None => Command::new(program),
        };
        cmd.args(args);
        // The gateway's HTTP client may honour proxy variables; the stub is
        // on loopback and must be reached directly.
        for var in [
            "http_proxy",
            "HTTP_PROXY",
            "https_proxy",
            "HTTPS_PROXY",
            "all_proxy",
            "ALL_PROXY",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = File::create(&log)?;
        let err = out.try_clone()?;
        // A piped stdin: the stand-in exits when it sees EOF, i.e. when the
        // bench goes away, however it goes away.
        cmd.stdin(Stdio::piped()).stdout(out).stderr(err);
        let child = cmd
            .spawn()
            .map_err(|e| format!("could not start {what} ({}): {e}", program.display()))?;
        Ok(ChildGuard {
            child,
            log,
            what: what.to_string(),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last lines of the child's output, for error messages.
    pub fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(20);
        lines[start..].join("\n")
    }

    /// Polls `GET /health` until it answers 200, the child exits, or
    /// `timeout` passes.
    pub async fn wait_healthy(
        &mut self,
        target: &Target,
        timeout: Duration,
    ) -> Result<Duration, BoxError> {
        let start = Instant::now();
        let mut last = String::from("no answer yet");
        while start.elapsed() < timeout {
            if let Some(status) = self.child.try_wait()? {
                return Err(format!(
                    "{} exited ({status}) before becoming healthy; its output ({}):\n{}",
                    self.what,
                    self.log.display(),
                    self.log_tail()
                )
                .into());
            }
            match client::get_status(target, "/health").await {
                Ok(s) if s.is_success() => return Ok(start.elapsed()),
                Ok(s) => last = format!("status {s}"),
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!(
            "{} did not answer GET /health with 200 within {timeout:?} (last: {last}); its output ({}):\n{}",
            self.what,
            self.log.display(),
            self.log_tail()
        )
        .into())
    }

    /// Moves the running child (all its threads) onto `cpu`.
    pub fn repin(&self, cpu: usize) -> Result<(), BoxError> {
        let out = Command::new("taskset")
            .args(["-a", "-p", "-c", &cpu.to_string(), &self.pid().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()?;
        if !out.status.success() {
            return Err(format!(
                "could not move {} to CPU {cpu}: {}",
                self.what,
                String::from_utf8_lossy(&out.stderr).trim()
            )
            .into());
        }
        Ok(())
    }

    /// Whether the child is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // taskset execs the program, so this pid is the gateway itself.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> Result<u16, BoxError> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// A fresh scratch directory for the config file and the child's log.
pub fn scratch_dir() -> Result<PathBuf, BoxError> {
    let dir = std::env::temp_dir().join(format!("switchboard-bench-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The gateway config pointing its only provider at the stub; its state (and request log, when
/// `logs`) lives in `data_dir`, never in the user's own data directory.
pub fn gateway_config(
    stub_port: u16,
    model: &str,
    data_dir: &std::path::Path,
    logs: bool,
) -> String {
    let data_dir = data_dir.display().to_string().replace('\\', "/");
    format!(
        r#"[server]
data_dir = "{data_dir}"

[logs]
enabled = {logs}

[mock]
enabled = false

[[providers]]
id = "stub"
kind = "openai"
base_url = "http://127.0.0.1:{stub_port}/v1"
models = ["{model}"]
"#
    )
}

/// The default gateway binary: `switchboard` beside this executable.
pub fn default_gateway_bin() -> Result<PathBuf, BoxError> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().ok_or("executable has no parent directory")?;
    Ok(dir.join(format!("switchboard{}", std::env::consts::EXE_SUFFIX)))
}
