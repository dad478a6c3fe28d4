//! Command-line options (hand-parsed: there are few of them).

use std::path::PathBuf;
use std::time::Duration;

use crate::BoxError;

pub const HELP: &str = "\
switchboard-bench — the gateway against a direct call to the same stub upstream

Runs one report (not a pass/fail test): sequential latency, throughput at
concurrency 50, and streaming time to first byte, each direct and through the
gateway, then prints a summary against the targets and writes JSON.

USAGE:
    taskset -c 1 switchboard-bench [OPTIONS]
    cargo run --release -p switchboard-bench -- [OPTIONS]

OPTIONS:
    --gateway-bin PATH       gateway binary [default: `switchboard` beside this executable]
    --quick                  smoke run: fewer requests, shorter durations
    --logs on|off            the gateway's SQLite request log (in a scratch data directory) [on]
    --requests N             sequential requests per leg [5000; quick 500]
    --warmup N               sequential warm-up requests per leg [200; quick 50]
    --concurrency N          connections in the throughput phase [50]
    --duration SECS          measured window of the throughput phase [5; quick 1]
    --warmup-secs SECS       warm-up before that window [1; quick 0.3]
    --streams N              streaming requests per leg [500; quick 50]
    --stream-chunks N        chunks after the first one in each stream [20]
    --chunk-interval-ms MS   pause before each of those chunks [1]
    --gateway-cpu N          CPU the gateway is pinned to [0]
    --bench-cpu N            CPU this process pins itself to [1]
    --no-pin                 don't pin anything
    --no-baseline            skip the no-op hop leg (see README)
    --same-cpu-latency       for the sequential and streaming phases, move the gateway onto
                             the bench's CPU (measures its own cost without cross-CPU wake-ups)
    --json PATH              where to write the results [bench/results/latest.json]
    --api-key KEY            send `Authorization: Bearer KEY` to both legs
    -h, --help               this text

DEVELOPMENT OPTIONS (for testing the harness without a gateway):
    --gateway-url URL        use an already running gateway (e.g. http://127.0.0.1:8080);
                             nothing is spawned or pinned for it
    --stand-in               spawn a second copy of the stub (this binary, pinned to the
                             gateway CPU) in place of the gateway
";

#[derive(Debug, Clone)]
pub struct Args {
    pub gateway_bin: Option<PathBuf>,
    pub gateway_url: Option<String>,
    pub stand_in: bool,
    pub quick: bool,
    pub requests: usize,
    pub warmup: usize,
    pub concurrency: usize,
    pub duration: Duration,
    pub warmup_secs: Duration,
    pub streams: usize,
    pub stream_warmup: usize,
    pub stream_chunks: usize,
    pub chunk_interval: Duration,
    pub gateway_cpu: usize,
    pub bench_cpu: usize,
    pub no_pin: bool,
    pub no_baseline: bool,
    pub same_cpu_latency: bool,
    /// Whether the gateway keeps its request log (SQLite) during the run.
    pub logs: bool,
    pub json: PathBuf,
    pub api_key: Option<String>,
    /// Internal: run only the stub on this port (the `--stand-in` child).
    pub serve_stub_port: Option<u16>,
    pub help: bool,
}

fn secs(s: &str) -> Result<Duration, BoxError> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("not a number of seconds: {s}"))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(format!("not a duration: {s}").into());
    }
    Ok(Duration::from_secs_f64(v))
}

fn num<T: std::str::FromStr>(flag: &str, s: &str) -> Result<T, BoxError> {
    s.parse()
        .map_err(|_| format!("{flag}: not a valid number: {s}").into())
}

pub fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, BoxError> {
    let mut requests = None;
    let mut warmup = None;
    let mut duration = None;
    let mut warmup_secs = None;
    let mut streams = None;
    let mut a = Args {
        gateway_bin: None,
        gateway_url: None,
        stand_in: false,
        quick: false,
        requests: 0,
        warmup: 0,
        concurrency: 50,
        duration: Duration::ZERO,
        warmup_secs: Duration::ZERO,
        streams: 0,
        stream_warmup: 0,
        stream_chunks: 20,
        chunk_interval: Duration::from_millis(1),
        logs: true,
        gateway_cpu: 0,
        bench_cpu: 1,
        no_pin: false,
        no_baseline: false,
        same_cpu_latency: false,
        json: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/results/latest.json")),
        api_key: None,
        serve_stub_port: None,
        help: false,
    };
    while let Some(arg) = it.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = || -> Result<String, BoxError> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => it
                    .next()
                    .ok_or_else(|| format!("{flag} needs a value").into()),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => a.help = true,
            "--quick" => a.quick = true,
            "--logs" => {
                a.logs = match value()?.as_str() {
                    "on" => true,
                    "off" => false,
                    other => return Err(format!("--logs takes on or off, not {other}").into()),
                }
            }
            "--stand-in" => a.stand_in = true,
            "--no-pin" => a.no_pin = true,
            "--no-baseline" => a.no_baseline = true,
            "--same-cpu-latency" => a.same_cpu_latency = true,
            "--gateway-bin" => a.gateway_bin = Some(PathBuf::from(value()?)),
            "--gateway-url" => a.gateway_url = Some(value()?),
            "--requests" => requests = Some(num(&flag, &value()?)?),
            "--warmup" => warmup = Some(num(&flag, &value()?)?),
            "--concurrency" => a.concurrency = num(&flag, &value()?)?,
            "--duration" => duration = Some(secs(&value()?)?),
            "--warmup-secs" => warmup_secs = Some(secs(&value()?)?),
            "--streams" => streams = Some(num(&flag, &value()?)?),
            "--stream-chunks" => a.stream_chunks = num(&flag, &value()?)?,
            "--chunk-interval-ms" => {
                a.chunk_interval = Duration::from_millis(num(&flag, &value()?)?);
            }
            "--gateway-cpu" => a.gateway_cpu = num(&flag, &value()?)?,
            "--bench-cpu" => a.bench_cpu = num(&flag, &value()?)?,
            "--json" => a.json = PathBuf::from(value()?),
            "--api-key" => a.api_key = Some(value()?),
            "--serve-stub-port" => a.serve_stub_port = Some(num(&flag, &value()?)?),
            other => return Err(format!("unknown option {other} (see --help)").into()),
        }
    }
    let q = a.quick;
    a.requests = requests.unwrap_or(if q { 500 } else { 5000 });
    a.warmup = warmup.unwrap_or(if q { 50 } else { 200 });
    a.duration = duration.unwrap_or(if q {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(5)
    });
    a.warmup_secs = warmup_secs.unwrap_or(if q {
        Duration::from_millis(300)
    } else {
        Duration::from_secs(1)
    });
    a.streams = streams.unwrap_or(if q { 50 } else { 500 });
    a.stream_warmup = (a.streams / 10).clamp(5, 50);
    if a.gateway_url.is_some() && a.stand_in {
        return Err("--gateway-url and --stand-in exclude each other".into());
    }
    if a.gateway_bin.is_some() && (a.gateway_url.is_some() || a.stand_in) {
        return Err("--gateway-bin makes no sense with --gateway-url or --stand-in".into());
    }
    if a.requests == 0 || a.streams == 0 || a.concurrency == 0 || a.duration.is_zero() {
        return Err("--requests, --streams, --concurrency and --duration must be > 0".into());
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[&str]) -> Result<Args, BoxError> {
        parse(v.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_and_quick() -> Result<(), BoxError> {
        let a = p(&[])?;
        assert_eq!(
            (a.requests, a.warmup, a.streams, a.concurrency),
            (5000, 200, 500, 50)
        );
        assert_eq!(a.duration, Duration::from_secs(5));
        let q = p(&["--quick", "--requests=77", "--duration", "0.5"])?;
        assert_eq!((q.requests, q.warmup, q.streams), (77, 50, 50));
        assert_eq!(q.duration, Duration::from_millis(500));
        assert!(p(&["--bogus"]).is_err());
        assert!(p(&["--requests"]).is_err());
        assert!(p(&["--stand-in", "--gateway-url", "http://x:1"]).is_err());
        Ok(())
    }
}
