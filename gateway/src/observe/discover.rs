//! Local-runtime discovery: which of Ollama, LM Studio, vLLM, llama.cpp's server, Jan and LocalAI are
//! answering on this machine, found by asking their model lists on their usual ports (short timeouts),
//! with running process names as a hint. Each finding comes with the provider entry that adds it.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};

/// A runtime the gateway knows how to find.
#[derive(Debug, Clone, Copy)]
pub struct Known {
    pub id: &'static str,
    pub name: &'static str,
    pub port: u16,
    /// `ollama` (native `/api/tags`) or `openai` (`/v1/models`).
    pub kind: &'static str,
    /// Substrings of process names that suggest this runtime.
    pub processes: &'static [&'static str],
}

pub const KNOWN: &[Known] = &[
    Known {
        id: "ollama",
        name: "Ollama",
        port: 11434,
        kind: "ollama",
        processes: &["ollama"],
    },
    Known {
        id: "lmstudio",
        name: "LM Studio",
        port: 1234,
        kind: "openai",
        processes: &["lm studio", "lmstudio", "lms"],
    },
    Known {
        id: "vllm",
        name: "vLLM",
        port: 8000,
        kind: "openai",
        processes: &["vllm"],
    },
    Known {
        id: "llamacpp",
        name: "llama.cpp server",
        port: 8080,
        kind: "openai",
        processes: &["llama-server", "llama_server", "server"],
    },
    Known {
        id: "jan",
        name: "Jan",
        port: 1337,
        kind: "openai",
        processes: &["jan"],
    },
    Known {
        id: "localai",
        name: "LocalAI",
        port: 8080,
        kind: "openai",
        processes: &["local-ai", "localai"],
    },
];

#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub id: String,
    pub name: String,
    pub base_url: String,
    pub models: Vec<String>,
    /// A process of this runtime seems to be running.
    pub process_seen: bool,
    /// The `[[providers]]` entry (as the admin API's `PUT /admin/providers/{id}` takes it).
    pub provider: Value,
}

fn model_ids(body: &Value) -> Vec<String> {
    let list = body
        .get("data")
        .or_else(|| body.get("models"))
        .and_then(Value::as_array);
    list.into_iter()
        .flatten()
        .filter_map(|m| {
            m.get("id")
                .or_else(|| m.get("name"))
                .or_else(|| m.get("model"))
                .and_then(Value::as_str)
        })
        .map(str::to_owned)
        .collect()
}

/// Probes every known runtime (ports overridable by id) concurrently.
pub async fn discover(
    ports: &BTreeMap<String, u16>,
    processes: &[String],
    timeout: Duration,
) -> Vec<Found> {
    let client = match reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .no_proxy()
        .build()
    {
        Ok(c) => c,
        Err(_) => return Vec::new(),
    };
    let mut seen_ports = std::collections::HashSet::new();
    let probes = KNOWN.iter().map(|k| {
        let port = ports.get(k.id).copied().unwrap_or(k.port);
        let client = client.clone();
        async move {
            let root = format!("http://127.0.0.1:{port}");
            let url = if k.kind == "ollama" {
                format!("{root}/api/tags")
            } else {
                format!("{root}/v1/models")
            };
            let body: Value = client
                .get(&url)
                .send()
                .await
                .ok()?
                .error_for_status()
                .ok()?
                .json()
                .await
                .ok()?;
            Some((k, port, root, model_ids(&body)))
        }
    });
    let mut found = Vec::new();
    for (k, port, root, models) in futures_util::future::join_all(probes)
        .await
        .into_iter()
        .flatten()
    {
        let process_seen = processes
            .iter()
            .any(|p| k.processes.iter().any(|h| p.contains(h)));
        // llama.cpp and LocalAI share port 8080: keep one finding per port, preferring the one whose
        // process is running.
        if !seen_ports.insert(port) {
            if process_seen {
                found.retain(|f: &Found| {
                    !f.base_url.ends_with(&format!(":{port}/v1"))
                        && !f.base_url.ends_with(&format!(":{port}"))
                });
            } else {
                continue;
            }
        }
        let base_url = if k.kind == "ollama" {
            root.clone()
        } else {
            format!("{root}/v1")
        };
        found.push(Found {
            id: k.id.into(),
            name: k.name.into(),
            base_url: base_url.clone(),
            models,
            process_seen,
            provider: json!({ "kind": k.kind, "base_url": base_url }),
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_lists_of_every_shape() {
        assert_eq!(model_ids(&json!({"data": [{"id": "a"}]})), vec!["a"]);
        assert_eq!(
            model_ids(&json!({"models": [{"name": "llama3:8b", "model": "llama3:8b"}]})),
            vec!["llama3:8b"]
        );
        assert!(model_ids(&json!({"nothing": 1})).is_empty());
    }
}
