//! The gateway's own footprint (CPU, memory) and the machine's memory, with `sysinfo`; plus the names
//! of running processes, used as hints by local-runtime discovery.

use std::sync::Mutex;

use serde_json::{json, Value};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

pub struct SystemMonitor {
    /// `None` where the platform cannot be read.
    sys: Mutex<Option<System>>,
    pid: Option<Pid>,
}

impl Default for SystemMonitor {
    fn default() -> Self {
        SystemMonitor {
            sys: Mutex::new(System::new().ok()),
            pid: sysinfo::get_current_pid().ok(),
        }
    }
}

impl SystemMonitor {
    /// A snapshot; CPU use is measured since the previous snapshot (the first one reads 0).
    /// Blocking: call it on a blocking thread.
    pub fn snapshot(&self) -> Value {
        let Ok(mut guard) = self.sys.lock() else {
            return json!({});
        };
        let Some(sys) = guard.as_mut() else {
            return json!({});
        };
        sys.refresh_memory();
        let mut gateway = json!(null);
        if let Some(pid) = self.pid {
            sys.refresh_processes_specifics(
                ProcessesToUpdate::Some(&[pid]),
                true,
                ProcessRefreshKind::nothing().with_cpu().with_memory(),
            );
            if let Some(p) = sys.process(pid) {
                gateway = json!({ "pid": pid.as_u32(), "cpu_percent": p.cpu_usage(), "memory_bytes": p.memory() });
            }
        }
        json!({
            "gateway": gateway,
            "system": {
                "total_memory_bytes": sys.total_memory(),
                "used_memory_bytes": sys.used_memory(),
                "cpus": std::thread::available_parallelism().map_or(1, |n| n.get()),
            },
        })
    }

    /// Lowercased names of running processes (blocking).
    pub fn process_names(&self) -> Vec<String> {
        let Ok(mut guard) = self.sys.lock() else {
            return Vec::new();
        };
        let Some(sys) = guard.as_mut() else {
            return Vec::new();
        };
        sys.refresh_processes_specifics(
            ProcessesToUpdate::All,
            true,
            ProcessRefreshKind::nothing(),
        );
        sys.processes()
            .values()
            .map(|p| p.name().to_string_lossy().to_ascii_lowercase())
            .collect()
    }
}
