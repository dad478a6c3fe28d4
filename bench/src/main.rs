//! Switchboard's performance harness: the same stub upstream called directly
//! and through the gateway, with the same load, in one run. See README.md.

mod args;
mod checks;
mod client;
mod load;
mod placement;
mod proc;
mod stats;
mod stub;

use checks::*;
use load::*;
use placement::*;

use std::io::Read;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{json, Value};

use args::Args;
use client::{Conn, Target};
use proc::ChildGuard;
use stats::{round1, round3, Samples};
use stub::{HitCounts, Hits, StreamShape};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

const CHAT_BODY: &str =
    r#"{"model":"bench-model","messages":[{"role":"user","content":"Say hello"}]}"#;
const STREAM_BODY: &str =
    r#"{"model":"bench-model","messages":[{"role":"user","content":"Say hello"}],"stream":true}"#;

/// Targets the report compares against.
const TARGET_ADDED_P50_US: f64 = 50.0;
const TARGET_RATIO: f64 = 0.4;
const TARGET_ADDED_TTFB_US: f64 = 100.0;

/// Sequential phases alternate legs in blocks of this many requests so slow
/// drift on a shared machine hits both legs alike.
const SEQ_BLOCK: usize = 250;
const STREAM_BLOCK: usize = 50;
/// A leg that fails this many times in a row is not worth measuring.
const MAX_CONSECUTIVE_ERRORS: u64 = 100;

fn main() -> std::process::ExitCode {
    match real_main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("switchboard-bench: error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn real_main() -> Result<(), BoxError> {
    let args = args::parse(std::env::args().skip(1))?;
    if args.help {
        print!("{}", args::HELP);
        return Ok(());
    }
    let shape = StreamShape {
        chunks: args.stream_chunks,
        interval: args.chunk_interval,
    };
    if let Some(port) = args.serve_stub_port {
        return serve_stub_only(port, shape);
    }

    // Pin before the runtime exists so every thread inherits the affinity.
    let mut warnings = Vec::new();
    let pinning = pinning(&args, &mut warnings);

    // One thread: the load generator and the stub share the bench's core.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // On Ctrl-C / SIGTERM the `run` future is dropped, and with it the guards
    // that kill the gateway and the other children.
    rt.block_on(async {
        tokio::select! {
            r = run(args, shape, pinning, warnings) => r,
            s = interrupted() => Err(format!("interrupted by {s}").into()),
        }
    })
}

#[cfg(not(unix))]
async fn interrupted() -> &'static str {
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C"
}

#[cfg(unix)]
async fn interrupted() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = tokio::signal::ctrl_c() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        },
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}

/// The `--stand-in` child: only the stub, until stdin closes (the bench died
/// or dropped us) or we are killed.
fn serve_stub_only(port: u16, shape: StreamShape) -> Result<(), BoxError> {
    std::thread::spawn(|| {
        let mut buf = [0u8; 64];
        let mut stdin = std::io::stdin();
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => std::process::exit(0),
                Ok(_) => {}
            }
        }
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let stub = stub::start(port, shape).await?;
        eprintln!("stand-in stub listening on {}", stub.addr);
        std::future::pending::<()>().await;
        Ok(())
    })
}

async fn run(
    args: Args,
    shape: StreamShape,
    pin: Pinning,
    mut warnings: Vec<String>,
) -> Result<(), BoxError> {
    let started_at = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let stub = stub::start(0, shape).await?;
    let hits = stub.hits.clone();
    let key = args.api_key.as_deref();
    let direct = Target::new(stub.addr, "", key)?;

    // ---- the gateway leg ------------------------------------------------------
    let scratch = proc::scratch_dir()?;
    let mut guard: Option<ChildGuard> = None;
    let (mode, gateway, gateway_desc) = if let Some(url) = &args.gateway_url {
        let (addr, prefix) = parse_url(url).await?;
        (
            Mode::External,
            Target::new(addr, &prefix, key)?,
            url.clone(),
        )
    } else if args.stand_in {
        let port = proc::free_port()?;
        let g = spawn_stub_child(
            "the stand-in stub",
            port,
            shape,
            pin.gateway_cpu,
            scratch.join("stand-in.log"),
        )?;
        guard = Some(g);
        let desc = "this binary with --serve-stub-port".to_string();
        (Mode::StandIn, Target::new(loopback(port), "", key)?, desc)
    } else {
        let bin = match &args.gateway_bin {
            Some(b) => b.clone(),
            None => proc::default_gateway_bin()?,
        };
        if !bin.is_file() {
            return Err(format!(
                "gateway binary not found at {}.\n\
                 Build it first:  CARGO_TARGET_DIR=/root/.cache/switchboard/target \
                 cargo build --release -p switchboard-gateway\n\
                 or pass --gateway-bin PATH (or --stand-in / --gateway-url URL to test the harness)",
                bin.display()
            )
            .into());
        }
        let port = proc::free_port()?;
        let config = scratch.join("switchboard.toml");
        let data_dir = scratch.join("data");
        std::fs::write(
            &config,
            proc::gateway_config(stub.addr.port(), stub::MODEL, &data_dir, args.logs),
        )?;
        let child_args: Vec<String> = [
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--config",
            &config.display().to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let desc = format!("{} {}", bin.display(), child_args.join(" "));
        guard = Some(ChildGuard::spawn(
            "the gateway",
            &bin,
            &child_args,
            pin.gateway_cpu,
            scratch.join("gateway.log"),
            &[("RUST_LOG", "warn")],
        )?);
        (Mode::Spawned, Target::new(loopback(port), "", key)?, desc)
    };

    // ---- the no-op hop: a second stub where the gateway runs ------------------
    // It does no proxying at all, so "hop − direct" is what merely putting a
    // process on the gateway's CPU in the path costs on this machine.
    let mut hop_guard: Option<ChildGuard> = None;
    let hop = if mode == Mode::StandIn || args.no_baseline {
        None
    } else {
        let port = proc::free_port()?;
        hop_guard = Some(spawn_stub_child(
            "the no-op hop stub",
            port,
            shape,
            pin.hop_cpu,
            scratch.join("hop.log"),
        )?);
        Some(Target::new(loopback(port), "", key)?)
    };

    println!(
        "Switchboard bench{}",
        if args.quick { " (--quick)" } else { "" }
    );
    println!("  stub upstream   http://{} (in this process)", stub.addr);
    println!("  gateway leg     {} — {}", gateway.url(), mode.name());
    println!("                  {gateway_desc}");
    if let Some(h) = &hop {
        println!(
            "  no-op hop leg   {} — a second stub in a child process on the gateway's CPU",
            h.url()
        );
    }
    let gateway_cpu_desc = match (mode, pin.gateway_cpu) {
        (Mode::External, _) => "not ours to pin".to_string(),
        (_, Some(cpu)) => format!("taskset -c {cpu}"),
        (_, None) => "not pinned".to_string(),
    };
    println!(
        "  CPUs            bench: {}; gateway: {gateway_cpu_desc}",
        pin.bench
    );
    println!(
        "  request log     {}",
        if args.logs {
            "on (SQLite, scratch data directory)"
        } else {
            "off (--logs off)"
        }
    );
    let latency_cpu = if args.same_cpu_latency {
        match (pin.gateway_cpu, &guard) {
            (Some(_), Some(_)) if !pin.bench.starts_with("not") => {
                println!(
                    "                  (--same-cpu-latency: moved to CPU {} for phases 1 and 3)",
                    args.bench_cpu
                );
                Some(args.bench_cpu)
            }
            _ => {
                warnings.push("--same-cpu-latency ignored: nothing is pinned".into());
                None
            }
        }
    } else {
        None
    };

    let startup = match guard.as_mut() {
        Some(g) => {
            println!("  child pid       {} (log: {})", g.pid(), g.log.display());
            wait_healthy(&gateway, Some(g), Duration::from_secs(30)).await?
        }
        None => wait_healthy(&gateway, None, Duration::from_secs(30)).await?,
    };
    println!("  healthy after   {:.0} ms", startup.as_secs_f64() * 1000.0);
    if let (Some(h), Some(g)) = (&hop, hop_guard.as_mut()) {
        wait_healthy(h, Some(g), Duration::from_secs(30)).await?;
    }
    if mode == Mode::StandIn {
        warnings.push("measured against a STAND-IN (a second stub), not the gateway".into());
    }
    for w in &warnings {
        println!("  WARNING: {w}");
    }

    // ---- sanity: does the gateway really pass the stub's answers through? ----
    let chat_body = Bytes::from_static(CHAT_BODY.as_bytes());
    let stream_body = Bytes::from_static(STREAM_BODY.as_bytes());
    let sanity = sanity_check(&direct, &gateway, &chat_body, &stream_body, &hits, mode).await?;
    for w in &sanity.warnings {
        println!("  WARNING: {w}");
    }
    warnings.extend(sanity.warnings.iter().cloned());
    println!("  sanity          {}", sanity.summary);

    let mut legs = vec![direct.clone(), gateway.clone()];
    legs.extend(hop.clone());

    // ---- 1. sequential non-streaming ------------------------------------------
    println!();
    println!(
        "[1/3] sequential: {} warm-up + {} requests per leg, one keep-alive connection each, legs alternating every {SEQ_BLOCK}",
        args.warmup, args.requests
    );
    place(&[&guard, &hop_guard], latency_cpu)?;
    let mut seq = interleaved(
        Kind::Chat,
        &legs,
        &chat_body,
        args.warmup,
        args.requests,
        SEQ_BLOCK,
        &hits,
    )
    .await?;
    place(&[&guard, &hop_guard], latency_cpu.and(pin.gateway_cpu))?;
    check_alive(&mut guard)?;
    println!("      latency µs      p50       p90       p99      mean       max   errors");
    for (i, leg) in seq.legs.iter_mut().enumerate() {
        let s = &mut leg.primary;
        println!(
            "      {:<9} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>8}",
            LEG_NAMES[i],
            s.pct_us(50.0),
            s.pct_us(90.0),
            s.pct_us(99.0),
            s.mean_us(),
            s.max_us(),
            s.errors
        );
    }
    let seq_added = seq
        .added(GATEWAY, |s| &mut s.primary)
        .ok_or("no gateway leg")?;
    let seq_hop = seq.added(HOP, |s| &mut s.primary);
    println!(
        "      added by the gateway  p50 {:+.1} µs   p99 {:+.1} µs",
        seq_added.0, seq_added.1
    );
    if let Some((p50, p99)) = seq_hop {
        println!("      added by a no-op hop  p50 {p50:+.1} µs   p99 {p99:+.1} µs");
    }
    println!("      {}", seq.connects_note());

    // ---- 2. concurrency N --------------------------------------------------------
    println!();
    println!(
        "[2/3] throughput: {} keep-alive connections, {:.1} s warm-up + {:.1} s measured, direct then gateway",
        args.concurrency,
        args.warmup_secs.as_secs_f64(),
        args.duration.as_secs_f64()
    );
    let mut conc_direct = concurrent(
        &direct,
        args.concurrency,
        args.warmup_secs,
        args.duration,
        &chat_body,
        &hits,
    )
    .await?;
    let mut conc_gw = concurrent(
        &gateway,
        args.concurrency,
        args.warmup_secs,
        args.duration,
        &chat_body,
        &hits,
    )
    .await?;
    check_alive(&mut guard)?;
    let ratio = conc_gw.rps / conc_direct.rps;
    println!("                   req/s    p50 µs    p99 µs   errors  connections opened");
    for (name, c) in [("direct", &mut conc_direct), ("gateway", &mut conc_gw)] {
        println!(
            "      {name:<9} {:>9.0} {:>9.1} {:>9.1} {:>8} {:>8}",
            c.rps,
            c.latency.pct_us(50.0),
            c.latency.pct_us(99.0),
            c.latency.errors,
            c.connects
        );
        if let Some(e) = &c.first_error {
            println!("      {name}: first error: {e}");
        }
    }
    println!("      ratio gateway/direct {ratio:.3}×");
    if mode.upstream_is_ours() {
        println!(
            "      upstream hits during the gateway leg: {} for {} requests sent",
            conc_gw.upstream_hits, conc_gw.sent
        );
    }

    // ---- 3. streaming TTFB ---------------------------------------------------------
    println!();
    println!(
        "[3/3] streaming: {} warm-up + {} streams per leg ({} chunks {} ms apart after the first), legs alternating every {STREAM_BLOCK}",
        args.stream_warmup,
        args.streams,
        shape.chunks,
        shape.interval.as_millis()
    );
    place(&[&guard, &hop_guard], latency_cpu)?;
    let mut streaming = interleaved(
        Kind::Stream,
        &legs,
        &stream_body,
        args.stream_warmup,
        args.streams,
        STREAM_BLOCK,
        &hits,
    )
    .await?;
    place(&[&guard, &hop_guard], latency_cpu.and(pin.gateway_cpu))?;
    check_alive(&mut guard)?;
    println!("      µs           TTFB p50  TTFB p99  TTFB max total p50 total p99   errors");
    for (i, leg) in streaming.legs.iter_mut().enumerate() {
        println!(
            "      {:<9} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>8}",
            LEG_NAMES[i],
            leg.primary.pct_us(50.0),
            leg.primary.pct_us(99.0),
            leg.primary.max_us(),
            leg.secondary.pct_us(50.0),
            leg.secondary.pct_us(99.0),
            leg.primary.errors
        );
    }
    let ttfb_added = streaming
        .added(GATEWAY, |s| &mut s.primary)
        .ok_or("no gateway leg")?;
    let ttfb_hop = streaming.added(HOP, |s| &mut s.primary);
    println!(
        "      added TTFB by the gateway  p50 {:+.1} µs   p99 {:+.1} µs",
        ttfb_added.0, ttfb_added.1
    );
    if let Some((p50, p99)) = ttfb_hop {
        println!("      added TTFB by a no-op hop  p50 {p50:+.1} µs   p99 {p99:+.1} µs");
    }
    if ttfb_added.0 > 20_000.0 {
        println!("      NOTE: the gateway adds tens of ms before the first byte: a Nagle/delayed-ACK stall, or buffering?");
    }

    // ---- summary ---------------------------------------------------------------------
    let (seq_added_p50, seq_added_p99) = seq_added;
    let (ttfb_added_p50, ttfb_added_p99) = ttfb_added;
    let pass_seq = seq_added_p50 <= TARGET_ADDED_P50_US;
    let pass_ratio = ratio >= TARGET_RATIO;
    let pass_ttfb = ttfb_added_p50 <= TARGET_ADDED_TTFB_US;
    let verdict = |ok: bool| if ok { "PASS" } else { "MISS" };
    let hop_cell = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:+.1}"));
    let [sd, sg] = [DIRECT, GATEWAY].map(|i| seq.legs[i].primary.clone());
    let [td, tg] = [DIRECT, GATEWAY].map(|i| streaming.legs[i].primary.clone());
    let (mut sd, mut sg, mut td, mut tg) = (sd, sg, td, tg);
    println!();
    println!(
        "== Summary: {} {}",
        mode.name(),
        "=".repeat(78usize.saturating_sub(mode.name().len()))
    );
    println!("                                 direct    gateway      added  no-op hop  target        result");
    println!(
        "  sequential latency p50 µs {:>10.1} {:>10.1} {:>+10.1} {:>10}  added ≤ {:<5} {}",
        sd.pct_us(50.0),
        sg.pct_us(50.0),
        seq_added_p50,
        hop_cell(seq_hop.map(|h| h.0)),
        TARGET_ADDED_P50_US,
        verdict(pass_seq)
    );
    println!(
        "  sequential latency p99 µs {:>10.1} {:>10.1} {:>+10.1} {:>10}",
        sd.pct_us(99.0),
        sg.pct_us(99.0),
        seq_added_p99,
        hop_cell(seq_hop.map(|h| h.1)),
    );
    println!(
        "  c={:<3} throughput req/s    {:>10.0} {:>10.0} {:>9.3}× {:>10}  ratio ≥ {:<5} {}",
        args.concurrency,
        conc_direct.rps,
        conc_gw.rps,
        ratio,
        "",
        TARGET_RATIO,
        verdict(pass_ratio)
    );
    println!(
        "  streaming TTFB p50 µs     {:>10.1} {:>10.1} {:>+10.1} {:>10}  added ≤ {:<5} {}",
        td.pct_us(50.0),
        tg.pct_us(50.0),
        ttfb_added_p50,
        hop_cell(ttfb_hop.map(|h| h.0)),
        TARGET_ADDED_TTFB_US,
        verdict(pass_ttfb)
    );
    println!(
        "  streaming TTFB p99 µs     {:>10.1} {:>10.1} {:>+10.1} {:>10}",
        td.pct_us(99.0),
        tg.pct_us(99.0),
        ttfb_added_p99,
        hop_cell(ttfb_hop.map(|h| h.1)),
    );
    if hop.is_some() {
        println!(
            "  (no-op hop = what a do-nothing process {} adds: this machine's floor for any gateway)",
            if latency_cpu.is_some() {
                "on the bench's CPU"
            } else {
                "on the gateway's CPU"
            }
        );
    }
    let stub_hits = hits.snapshot();
    println!(
        "  stub hits: {} chat, {} streaming, {} models, {} health, {} other",
        stub_hits.chat, stub_hits.chat_stream, stub_hits.models, stub_hits.health, stub_hits.other
    );
    if !warnings.is_empty() {
        println!("  {} warning(s):", warnings.len());
        for w in &warnings {
            println!("    - {w}");
        }
    }

    // ---- JSON ------------------------------------------------------------------------
    let hop_json = |r: &mut Interleaved, which: fn(&mut LegResult) -> &mut Samples| {
        r.legs.get_mut(HOP).map(|l| which(l).json())
    };
    let report = json!({
        "schema": 1,
        "started_at_unix": started_at,
        "mode": match mode { Mode::Spawned => "gateway", Mode::External => "gateway-url", Mode::StandIn => "stand-in" },
        "gateway": {
            "url": gateway.url(),
            "command": gateway_desc,
            "cpu": pin.gateway_cpu,
            "latency_phases_cpu": latency_cpu,
            "startup_ms": round1(startup.as_secs_f64() * 1000.0),
        },
        "bench": { "pinning": pin.bench, "git_rev": git_rev() },
        "quick": args.quick,
        "warnings": warnings,
        "sanity": sanity.json,
        "sequential": {
            "warmup": args.warmup,
            "requests": args.requests,
            "direct": sd.json(),
            "gateway": sg.json(),
            "noop_hop": hop_json(&mut seq, |l| &mut l.primary),
            "added_p50_us": round1(seq_added_p50),
            "added_p99_us": round1(seq_added_p99),
            "noop_hop_added_p50_us": seq_hop.map(|h| round1(h.0)),
            "noop_hop_added_p99_us": seq_hop.map(|h| round1(h.1)),
            "connections_opened": seq.legs.iter().map(|l| l.connects).collect::<Vec<_>>(),
            "gateway_upstream_hits": mode.upstream_is_ours().then_some(seq.upstream_hits),
            "gateway_requests_sent": seq.sent,
        },
        "concurrency": {
            "connections": args.concurrency,
            "warmup_s": args.warmup_secs.as_secs_f64(),
            "duration_s": args.duration.as_secs_f64(),
            "direct": conc_direct.json(),
            "gateway": conc_gw.json(),
            "ratio": round3(ratio),
            "gateway_upstream_hits": mode.upstream_is_ours().then_some(conc_gw.upstream_hits),
        },
        "streaming": {
            "warmup": args.stream_warmup,
            "streams": args.streams,
            "chunks": shape.chunks,
            "chunk_interval_ms": u64::try_from(shape.interval.as_millis()).unwrap_or(u64::MAX),
            "direct": { "ttfb": td.json(), "total": streaming.legs[DIRECT].secondary.json() },
            "gateway": { "ttfb": tg.json(), "total": streaming.legs[GATEWAY].secondary.json() },
            "noop_hop": hop_json(&mut streaming, |l| &mut l.primary).map(|ttfb| json!({
                "ttfb": ttfb,
                "total": streaming.legs.get_mut(HOP).map(|l| l.secondary.json()),
            })),
            "added_ttfb_p50_us": round1(ttfb_added_p50),
            "added_ttfb_p99_us": round1(ttfb_added_p99),
            "noop_hop_added_ttfb_p50_us": ttfb_hop.map(|h| round1(h.0)),
            "noop_hop_added_ttfb_p99_us": ttfb_hop.map(|h| round1(h.1)),
            "gateway_upstream_hits": mode.upstream_is_ours().then_some(streaming.upstream_hits),
            "gateway_requests_sent": streaming.sent,
        },
        "targets": {
            "sequential_added_p50_us_max": TARGET_ADDED_P50_US,
            "throughput_ratio_min": TARGET_RATIO,
            "streaming_added_ttfb_p50_us_max": TARGET_ADDED_TTFB_US,
        },
        "verdict": {
            "sequential_added_p50": pass_seq,
            "throughput_ratio": pass_ratio,
            "streaming_added_ttfb": pass_ttfb,
        },
        "stub_hits": {
            "chat": stub_hits.chat,
            "chat_stream": stub_hits.chat_stream,
            "models": stub_hits.models,
            "health": stub_hits.health,
            "other": stub_hits.other,
        },
    });
    if let Some(dir) = args.json.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.json, serde_json::to_string_pretty(&report)? + "\n")?;
    println!("  results written to {}", args.json.display());

    // Stop the children before removing their scratch directory.
    drop(guard);
    drop(hop_guard);
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_sse_events() {
        let (n, done) = sse_event_count(b"data: {}\n\ndata: {}\n\ndata: [DONE]\n\n");
        assert_eq!((n, done), (3, true));
        let (n, done) = sse_event_count(b"data: {}\n\n");
        assert_eq!((n, done), (1, false));
    }

    #[test]
    fn config_points_at_stub() {
        let c = proc::gateway_config(4321, "bench-model", std::path::Path::new("/tmp/d"), true);
        assert!(c.contains("base_url = \"http://127.0.0.1:4321/v1\""));
        assert!(c.contains("enabled = false"));
    }

    #[test]
    fn default_json_path_is_in_bench_results() {
        let p = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/results/latest.json"));
        assert!(p.ends_with("bench/results/latest.json"));
    }
}
