//! Copy-paste client configuration: one generator for every popular AI tool, shared by the dashboard's
//! Connect page (`GET /admin/snippets`) and `switchboard snippet <tool>`, so both print the same text.
//!
//! The tools are data ([`tools`], from `catalog.rs` and `catalog_code.rs`): each has blocks (a file, a command, GUI steps) written as
//! templates with `{placeholders}`, and notes (the gotchas from `shared/specs/client-configs.md`).
//! Rendering substitutes the gateway's real base URL, the chosen model and a key. Values are checked
//! against a conservative character set first ([`Context::new`]), so a substituted value is valid as
//! it is inside JSON, YAML and TOML strings, Python and JavaScript literals and shell words, and the
//! templates need no per-language escaping. A template line that starts with `?name|` is kept only when
//! the optional value `name` is set (Continue's autocomplete and embedding roles).
//!
//! The key: the gateway stores only hashes of its keys, so it cannot put a real one in a snippet. The
//! caller passes the key it has (the dashboard remembers a key it just created); otherwise a snippet
//! gets a placeholder when keys are required, or the dummy [`DUMMY_KEY`] when they are not (several
//! clients refuse an empty key).

mod catalog;
mod catalog_code;
mod http;
#[cfg(test)]
mod tests;

pub use catalog::all as tools;
pub use http::{local_base_url, routes};

use serde::Serialize;

/// The key put into snippets while the gateway requires none.
pub const DUMMY_KEY: &str = "sk-local";
/// The key put into snippets when the gateway requires one and the caller did not give it.
pub const KEY_PLACEHOLDER: &str = "YOUR_SWITCHBOARD_KEY";
/// The model used when none is chosen: the built-in mock provider's chat model.
pub const DEFAULT_MODEL: &str = "mock-gpt-3.5-turbo";

/// What kind of text a block holds (how the dashboard highlights it, what the tests parse it as).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Json,
    Yaml,
    Toml,
    Bash,
    Python,
    Javascript,
    /// Steps to follow in a tool's settings screen.
    Steps,
}

/// One block of a tool's snippet: a file to write, commands to run, or settings to fill in.
#[derive(Debug, Clone, Copy)]
pub struct Block {
    pub title: &'static str,
    pub lang: Lang,
    /// Where it goes (a file path per platform, a settings screen), or "" when it is a command.
    pub location: &'static str,
    pub template: &'static str,
}

/// A client tool and how to point it at the gateway.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    /// The name used in `switchboard snippet <id>` and `?tool=`.
    pub id: &'static str,
    pub label: &'static str,
    pub category: &'static str,
    /// One line: what the tool is and which API it calls.
    pub summary: &'static str,
    pub blocks: &'static [Block],
    /// Gotchas, as sentences (templates too).
    pub notes: &'static [&'static str],
    /// The requests come from the vendor's cloud, not this machine (Cursor): a loopback URL fails.
    pub needs_public_url: bool,
    /// The optional values the tool's snippet can use (`embed_model`, `autocomplete_model`).
    pub optional: &'static [&'static str],
}

/// Why a snippet could not be made.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SnippetError {
    #[error("unknown tool '{0}'; known tools: {known}", known = tool_ids())]
    UnknownTool(String),
    #[error(
        "{field} '{value}' cannot go into a snippet: use letters, digits and . _ - : / @ only"
    )]
    UnsafeValue { field: &'static str, value: String },
    #[error("base URL '{0}' must look like http://127.0.0.1:4242/v1 (http or https, host, optional port and path)")]
    BadBaseUrl(String),
}

fn tool_ids() -> String {
    tools().map(|t| t.id).collect::<Vec<_>>().join(", ")
}

/// The values a snippet is rendered with, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// The OpenAI-style base URL, with `/v1`, no trailing slash.
    pub base_url: String,
    pub model: String,
    pub api_key: String,
    /// Whether `api_key` is a stand-in (dummy or placeholder) rather than a real key.
    pub key_is_placeholder: bool,
    pub keys_required: bool,
    pub embed_model: Option<String>,
    pub autocomplete_model: Option<String>,
}

/// What a caller asks for; everything but the base URL is optional.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub base_url: String,
    pub model: Option<String>,
    pub api_key: Option<String>,
    pub keys_required: bool,
    pub embed_model: Option<String>,
    pub autocomplete_model: Option<String>,
}

fn safe_value(field: &'static str, value: &str) -> Result<String, SnippetError> {
    let ok = !value.is_empty()
        && value.len() <= 256
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-:/@".contains(c));
    if ok {
        Ok(value.to_owned())
    } else {
        Err(SnippetError::UnsafeValue {
            field,
            value: value.chars().take(80).collect(),
        })
    }
}

fn clean_base_url(url: &str) -> Result<String, SnippetError> {
    let trimmed = url.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"));
    let ok = rest.is_some_and(|r| {
        !r.is_empty()
            && !r.starts_with('/')
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-:/[]".contains(c))
    });
    if ok {
        Ok(trimmed.to_owned())
    } else {
        Err(SnippetError::BadBaseUrl(url.chars().take(120).collect()))
    }
}

impl Context {
    pub fn new(req: &Request) -> Result<Context, SnippetError> {
        let given_key = req
            .api_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty());
        let (api_key, key_is_placeholder) = match given_key {
            Some(k) => (safe_value("key", k)?, false),
            None if req.keys_required => (KEY_PLACEHOLDER.to_owned(), true),
            None => (DUMMY_KEY.to_owned(), true),
        };
        let optional = |field, v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(|m| safe_value(field, m))
                .transpose()
        };
        Ok(Context {
            base_url: clean_base_url(&req.base_url)?,
            model: optional("model", &req.model)?.unwrap_or_else(|| DEFAULT_MODEL.to_owned()),
            api_key,
            key_is_placeholder,
            keys_required: req.keys_required,
            embed_model: optional("embed model", &req.embed_model)?,
            autocomplete_model: optional("autocomplete model", &req.autocomplete_model)?,
        })
    }

    /// Scheme, host and port: the base URL without its `/v1` (Claude Code and Goose add it).
    pub fn origin(&self) -> String {
        let after_scheme = self.base_url.find("://").map_or(0, |i| i + 3);
        match self.base_url[after_scheme..].find('/') {
            Some(i) => self.base_url[..after_scheme + i].to_owned(),
            None => self.base_url.clone(),
        }
    }

    /// The base URL's path (`/v1`), or "" when there is none.
    fn path(&self) -> String {
        self.base_url[self.origin().len()..].to_owned()
    }

    pub fn port(&self) -> String {
        let origin = self.origin();
        let host_port = origin.split("://").nth(1).unwrap_or("");
        match host_port.rsplit_once(':') {
            Some((_, p)) if !p.contains(']') && !p.is_empty() => p.to_owned(),
            _ if origin.starts_with("https://") => "443".into(),
            _ => "80".into(),
        }
    }

    /// Whether the base URL names this machine (then clients in the cloud cannot reach it).
    pub fn is_local(&self) -> bool {
        let origin = self.origin();
        let host_port = origin.split("://").nth(1).unwrap_or("");
        let host = match host_port.rfind(':') {
            Some(i) if !host_port[i..].contains(']') => &host_port[..i],
            _ => host_port,
        };
        crate::server::is_loopback_host(host.trim_start_matches('[').trim_end_matches(']'))
            || host == "0.0.0.0"
    }

    /// The base URL as a Docker container on this machine reaches it (Docker Desktop's name for the host).
    fn docker_base_url(&self) -> String {
        if self.is_local() {
            format!("http://host.docker.internal:{}{}", self.port(), self.path())
        } else {
            self.base_url.clone()
        }
    }

    fn value(&self, name: &str) -> Option<String> {
        Some(match name {
            "base_url" => self.base_url.clone(),
            "origin" => self.origin(),
            "port" => self.port(),
            "api_key" => self.api_key.clone(),
            "model" => self.model.clone(),
            "small_model" => self.model.clone(),
            "docker_base_url" => self.docker_base_url(),
            "openai_base_path" => {
                format!("{}/chat/completions", self.path().trim_start_matches('/'))
                    .trim_start_matches('/')
                    .to_owned()
            }
            "embed_model" => self.embed_model.clone()?,
            "autocomplete_model" => self.autocomplete_model.clone()?,
            _ => return None,
        })
    }
}

/// Replaces `{name}` with the context's values and drops `?name|` lines whose value is unset.
pub fn fill(template: &str, ctx: &Context) -> String {
    let mut kept = String::with_capacity(template.len());
    for line in template.lines() {
        let line = match line.strip_prefix('?').and_then(|l| l.split_once('|')) {
            Some((name, rest)) => {
                if ctx.value(name).is_none() {
                    continue;
                }
                rest
            }
            None => line,
        };
        kept.push_str(line);
        kept.push('\n');
    }
    let mut out = String::with_capacity(kept.len() + 64);
    let mut rest = kept.as_str();
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        let value = (after[name_len..].starts_with('}') && name_len > 0)
            .then(|| ctx.value(&after[..name_len]))
            .flatten();
        match value {
            Some(v) => {
                out.push_str(&v);
                rest = &after[name_len + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// One rendered block.
#[derive(Debug, Clone, Serialize)]
pub struct RenderedBlock {
    pub title: String,
    pub lang: Lang,
    pub location: String,
    pub content: String,
}

/// A tool's snippet, ready to show or print.
#[derive(Debug, Clone, Serialize)]
pub struct Rendered {
    pub tool: &'static str,
    pub label: &'static str,
    pub summary: &'static str,
    pub base_url: String,
    pub model: String,
    pub key_is_placeholder: bool,
    pub blocks: Vec<RenderedBlock>,
    pub notes: Vec<String>,
    /// Problems with this setup that the user must fix (a loopback URL for a cloud client, a key to paste).
    pub warnings: Vec<String>,
    /// Everything above as plain text: what `switchboard snippet` prints.
    pub text: String,
}

pub fn find(tool: &str) -> Result<&'static Tool, SnippetError> {
    let wanted = tool.trim().to_ascii_lowercase();
    tools()
        .find(|t| t.id == wanted)
        .ok_or_else(|| SnippetError::UnknownTool(tool.chars().take(60).collect()))
}

/// Renders one tool's snippet.
pub fn render(tool: &'static Tool, ctx: &Context) -> Rendered {
    let blocks: Vec<RenderedBlock> = tool
        .blocks
        .iter()
        .map(|b| RenderedBlock {
            title: b.title.to_owned(),
            lang: b.lang,
            location: fill(b.location, ctx).trim_end().to_owned(),
            content: fill(b.template, ctx),
        })
        .collect();
    let notes: Vec<String> = tool
        .notes
        .iter()
        .map(|n| fill(n, ctx).trim_end().to_owned())
        .collect();
    let mut warnings = Vec::new();
    if tool.needs_public_url && ctx.is_local() {
        warnings.push(format!(
            "{} sends its requests from its own servers, so {} (this machine) cannot work: expose the gateway through an HTTPS tunnel (cloudflared, ngrok), create a gateway key first, and pass the tunnel's URL as the base URL",
            tool.label, ctx.base_url
        ));
    }
    if ctx.keys_required && ctx.key_is_placeholder {
        warnings.push(format!(
            "this gateway requires a key: replace {KEY_PLACEHOLDER} with a gateway key (create one on the Keys page or with POST /admin/auth/keys)"
        ));
    }
    let mut text = format!("# {} — {}\n", tool.label, tool.summary);
    for w in &warnings {
        text.push_str(&format!("# warning: {w}\n"));
    }
    for b in &blocks {
        text.push_str(&format!("\n# {}", b.title));
        if !b.location.is_empty() {
            text.push_str(&format!(" — {}", b.location));
        }
        text.push('\n');
        text.push_str(&b.content);
    }
    if !notes.is_empty() {
        text.push_str("\n# Notes\n");
        for n in &notes {
            text.push_str(&format!("# - {n}\n"));
        }
    }
    Rendered {
        tool: tool.id,
        label: tool.label,
        summary: tool.summary,
        base_url: ctx.base_url.clone(),
        model: ctx.model.clone(),
        key_is_placeholder: ctx.key_is_placeholder,
        blocks,
        notes,
        warnings,
        text,
    }
}

/// A tool as the picker lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    pub id: &'static str,
    pub label: &'static str,
    pub category: &'static str,
    pub summary: &'static str,
    pub needs_public_url: bool,
    pub optional: &'static [&'static str],
}

pub fn list() -> Vec<ToolInfo> {
    tools()
        .map(|t| ToolInfo {
            id: t.id,
            label: t.label,
            category: t.category,
            summary: t.summary,
            needs_public_url: t.needs_public_url,
            optional: t.optional,
        })
        .collect()
}
