//! Which CPU each process runs on, and the modes the gateway leg can be in.

use super::*;

/// What pinning was done; `gateway_cpu` is `None` when the gateway runs unpinned.
pub(crate) struct Pinning {
    pub(crate) gateway_cpu: Option<usize>,
    /// Where the no-op hop runs: the gateway's CPU, even for `--gateway-url`.
    pub(crate) hop_cpu: Option<usize>,
    pub(crate) bench: String,
}

pub(crate) fn pinning(args: &Args, warnings: &mut Vec<String>) -> Pinning {
    if args.no_pin {
        warnings.push("--no-pin: nothing is pinned; throughput numbers are not comparable".into());
        return Pinning {
            gateway_cpu: None,
            hop_cpu: None,
            bench: "not pinned (--no-pin)".into(),
        };
    }
    if args.gateway_cpu == args.bench_cpu {
        warnings.push(format!(
            "gateway and bench share CPU {}; throughput numbers are not comparable",
            args.bench_cpu
        ));
    }
    let bench = if proc::taskset_works(args.bench_cpu) {
        match proc::pin_self(args.bench_cpu) {
            Ok(note) => note,
            Err(e) => {
                warnings.push(format!(
                    "could not pin the bench to CPU {}: {e}",
                    args.bench_cpu
                ));
                format!("not pinned ({e})")
            }
        }
    } else {
        warnings.push(format!(
            "`taskset` (util-linux) is missing or cannot use CPU {}: the bench runs unpinned",
            args.bench_cpu
        ));
        "not pinned (no taskset)".into()
    };
    let hop_cpu = if proc::taskset_works(args.gateway_cpu) {
        Some(args.gateway_cpu)
    } else {
        warnings.push(format!(
            "`taskset` is missing or cannot use CPU {}: the gateway runs unpinned",
            args.gateway_cpu
        ));
        None
    };
    let gateway_cpu = if args.gateway_url.is_some() {
        None
    } else {
        hop_cpu
    };
    Pinning {
        gateway_cpu,
        hop_cpu,
        bench,
    }
}

/// Which kind of thing the "gateway" leg talks to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The real gateway, spawned by us, upstream = our stub.
    Spawned,
    /// A gateway someone else started (`--gateway-url`).
    External,
    /// A second stub in a child process (`--stand-in`): not a gateway at all.
    StandIn,
}

impl Mode {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Mode::Spawned => "gateway",
            Mode::External => "external gateway (--gateway-url)",
            Mode::StandIn => "STAND-IN (second stub, not the gateway)",
        }
    }
    /// Whether the gateway leg's upstream is our in-process stub.
    pub(crate) fn upstream_is_ours(self) -> bool {
        self == Mode::Spawned
    }
}

/// Index of each leg in the sequential phases.
pub(crate) const DIRECT: usize = 0;
pub(crate) const GATEWAY: usize = 1;
pub(crate) const HOP: usize = 2;
pub(crate) const LEG_NAMES: [&str; 3] = ["direct", "gateway", "no-op hop"];

/// Spawns a second stub (this binary) as a child on `cpu`.
pub(crate) fn spawn_stub_child(
    what: &str,
    port: u16,
    shape: StreamShape,
    cpu: Option<usize>,
    log: std::path::PathBuf,
) -> Result<ChildGuard, BoxError> {
    let exe = std::env::current_exe()?;
    let child_args = vec![
        "--serve-stub-port".to_string(),
        port.to_string(),
        "--stream-chunks".to_string(),
        shape.chunks.to_string(),
        "--chunk-interval-ms".to_string(),
        shape.interval.as_millis().to_string(),
    ];
    ChildGuard::spawn(what, &exe, &child_args, cpu, log, &[])
}

/// Moves the gateway (and the no-op hop) to `cpu` when `--same-cpu-latency`.
pub(crate) fn place(children: &[&Option<ChildGuard>], cpu: Option<usize>) -> Result<(), BoxError> {
    if let Some(cpu) = cpu {
        for g in children.iter().copied().flatten() {
            g.repin(cpu)?;
        }
    }
    Ok(())
}

pub(crate) fn loopback(port: u16) -> SocketAddr {
    ([127, 0, 0, 1], port).into()
}
