//! `switchboard`: the headless gateway for servers, containers, CI and machines without a display.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use switchboard_gateway::config::{parse_host, Config, Env};
use switchboard_gateway::{Gateway, Options};

/// mimalloc instead of the system allocator: a request allocates and frees many small buffers;
/// glibc's malloc/free took ~17% of the gateway's core in the c=50 bench, and mimalloc gave +8%
/// throughput there (see ARCHITECTURE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Print the settings that point a client tool at the gateway (the dashboard's Connect page).
    Snippet(SnippetArgs),
}

#[derive(clap::Args)]
struct SnippetArgs {
    /// The tool: cursor, continue, cline, vscode-copilot, open-webui, librechat, zed, jetbrains,
    /// codex, claude-code, aider, llm, goose, python, node, langchain, llamaindex, curl, env.
    /// Without it, the tools are listed.
    tool: Option<String>,
    /// The model the tool should ask for [default: routing.default, else mock-gpt-3.5-turbo].
    #[arg(long)]
    model: Option<String>,
    /// The gateway's base URL, with /v1 [default: from the config's host and port].
    #[arg(long)]
    base_url: Option<String>,
    /// A gateway key to put in the snippet [default: a dummy key, or a placeholder when keys exist].
    #[arg(long)]
    key: Option<String>,
    /// A model for embeddings (Continue's embed role).
    #[arg(long)]
    embed_model: Option<String>,
    /// A model for tab autocomplete (Continue's autocomplete role; uses /v1/completions).
    #[arg(long)]
    autocomplete_model: Option<String>,
    /// Print the snippet as the admin API's JSON (blocks, notes, warnings).
    #[arg(long)]
    json: bool,
    #[arg(long, env = "SWITCHBOARD_CONFIG")]
    config: Option<PathBuf>,
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
        Command::Snippet(args) => snippet(args),
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

/// Whether the gateway's data directory holds gateway keys (then snippets need a real key).
fn keys_exist(cfg: &Config) -> bool {
    let Some(dir) = &cfg.server.data_dir else {
        return false;
    };
    std::fs::read(dir.join("keys.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Vec<serde_json::Value>>(&b).ok())
        .is_some_and(|k| !k.is_empty())
}

fn snippet(args: SnippetArgs) -> ExitCode {
    use switchboard_gateway::snippets;
    let Some(tool) = args.tool else {
        let mut category = "";
        for t in snippets::list() {
            if t.category != category {
                category = t.category;
                println!("{category}:");
            }
            println!("  {:<16} {} — {}", t.id, t.label, t.summary);
        }
        println!("\nswitchboard snippet <tool> [--model M] [--base-url URL] [--key KEY]");
        return ExitCode::SUCCESS;
    };
    let (cfg, _) = match load(args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let request = snippets::Request {
        base_url: args
            .base_url
            .unwrap_or_else(|| snippets::local_base_url(cfg.server.host, cfg.server.port)),
        model: args.model.or_else(|| cfg.routing.default.clone()),
        api_key: args.key,
        keys_required: keys_exist(&cfg),
        embed_model: args.embed_model,
        autocomplete_model: args.autocomplete_model,
    };
    let rendered = snippets::find(&tool)
        .and_then(|t| snippets::Context::new(&request).map(|c| snippets::render(t, &c)));
    match rendered {
        Ok(r) if args.json => match serde_json::to_string_pretty(&r) {
            Ok(s) => {
                println!("{s}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Ok(r) => {
            print!("{}", r.text);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
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
