//! `switchboard`: the headless gateway for servers, containers, CI and machines without a display.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use switchboard_gateway::config::{parse_host, Config, Env};
use switchboard_gateway::{Gateway, Options};

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "A local OpenAI-compatible LLM gateway"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway (with no config file: the built-in mock provider, offline).
    Serve {
        /// Address to listen on; only loopback addresses are accepted for now.
        #[arg(long)]
        host: Option<String>,
        /// Port to listen on [default: 4242].
        #[arg(long)]
        port: Option<u16>,
        /// Config file [default: the platform config directory's switchboard/config.toml, if present].
        #[arg(long, env = "SWITCHBOARD_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Validate a config file and print what it sets up.
    Check {
        #[arg(long, env = "SWITCHBOARD_CONFIG")]
        config: Option<PathBuf>,
    },
}

/// The platform's default config file (it may not exist).
fn default_config_path() -> Option<PathBuf> {
    Some(dirs::config_dir()?.join("switchboard").join("config.toml"))
}

/// The config file to read: the one given, else the default location when a file exists there.
fn config_path(given: Option<PathBuf>) -> Option<PathBuf> {
    given.or_else(|| default_config_path().filter(|p| p.exists()))
}

/// The environment, plus the platform data directory (the library never picks one itself): keychain
/// fallback secrets and gateway state live there unless the file sets `server.data_dir`.
fn process_env() -> Env {
    let mut env = Env::from_process();
    env.data_dir = dirs::data_dir().map(|d| d.join("switchboard"));
    env
}

fn load(given: Option<PathBuf>) -> Result<(Config, Option<PathBuf>), String> {
    let env = process_env();
    let mut loaded = match config_path(given) {
        Some(path) => Config::load(&path, &env)
            .map(|c| (c, Some(path)))
            .map_err(|e| e.to_string())?,
        None => Config::from_toml_str("", &env)
            .map(|c| (c, None))
            .map_err(|e| e.to_string())?,
    };
    if loaded.0.server.data_dir.is_none() {
        loaded.0.server.data_dir = dirs::data_dir().map(|d| d.join("switchboard"));
    }
    Ok(loaded)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Check { config } => match load(config) {
            Ok((cfg, path)) => {
                let source = path.map_or("no config file (defaults)".to_owned(), |p| {
                    p.display().to_string()
                });
                println!("config ok: {source}");
                println!("  listen: {}:{}", cfg.server.host, cfg.server.port);
                println!(
                    "  mock provider: {}",
                    if cfg.mock.enabled { "on" } else { "off" }
                );
                for p in &cfg.providers {
                    let preset = p.preset.map_or(String::new(), |n| format!(", preset {n}"));
                    let passthrough = if p.passthrough {
                        ", the client's own key passed through"
                    } else {
                        ""
                    };
                    println!(
                        "  provider {} ({}{preset}) at {}; key: {}{passthrough}",
                        p.id,
                        p.kind.as_str(),
                        p.base_url,
                        p.key_source
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Serve { host, port, config } => {
            let (mut cfg, path) = match load(config) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            if let Some(h) = host {
                match parse_host(&h) {
                    Ok(ip) => cfg.server.host = ip,
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            if let Some(p) = port {
                cfg.server.port = p;
            }
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: cannot start the async runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            runtime.block_on(serve(cfg, path))
        }
    }
}

async fn serve(cfg: Config, path: Option<PathBuf>) -> ExitCode {
    // Admin changes are written to the file in use, or to the default location when there is none yet.
    let options = Options {
        config_path: path.clone().or_else(default_config_path),
        env: process_env(),
    };
    let data_dir = cfg.server.data_dir.clone();
    let gateway = match Gateway::start_with(cfg, options).await {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "switchboard {} listening on {}",
        env!("CARGO_PKG_VERSION"),
        gateway.base_url()
    );
    match &path {
        Some(p) => println!("  config: {}", p.display()),
        None => println!("  config: none (built-in mock provider; see README.md to add providers)"),
    }
    for (id, kind, models) in gateway.summary() {
        let listed = if models.is_empty() {
            "models discovered on first use".to_owned()
        } else {
            models.join(", ")
        };
        println!("  provider {id} ({kind}): {listed}");
    }
    println!(
        "  health: http://{}/health   dashboard: http://{}/ui/",
        gateway.local_addr(),
        gateway.local_addr()
    );
    if let Some(dir) = data_dir {
        println!("  state: {} (gateway keys, admin token)", dir.display());
    }

    shutdown_signal().await;
    eprintln!("switchboard: shutting down (in-flight requests get a few seconds to finish)");
    gateway.shutdown().await;
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
