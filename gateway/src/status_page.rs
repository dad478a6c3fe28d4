//! A small status page at `/ui/`: the base URL, the providers and their state, the models, and a
//! first snippet. It stands in for the dashboard when the binary was built without it (`ui/dist`
//! missing: see `ui_assets`), so `GET /` always leads a person somewhere useful.

use axum::http::header;
use axum::response::{Html, IntoResponse};

use crate::server::{display_host, AppState};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn render(state: &AppState) -> impl IntoResponse {
    let base = format!(
        "http://{}:{}/v1",
        display_host(state.server.host),
        state.server.port
    );
    let mut providers = String::new();
    let live = state.live();
    for p in live.registry.providers() {
        let health = p.health();
        let status = health["status"].as_str().unwrap_or("unknown");
        providers.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=\"{status}\">{status}</td><td>{}</td></tr>",
            escape(p.id()),
            p.kind(),
            p.models().len()
        ));
    }
    let models: Vec<String> = live
        .registry
        .models()
        .into_iter()
        .map(|m| format!("<li><code>{}</code></li>", escape(&m.id)))
        .collect();
    let first_model = live
        .registry
        .models()
        .into_iter()
        .next()
        .map(|m| m.id)
        .unwrap_or_else(|| "mock-gpt-3.5-turbo".into());
    let body = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard</title>
<style>
:root {{ color-scheme: light dark; font-family: system-ui, sans-serif; }}
body {{ max-width: 52rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }}
code, pre {{ font-family: ui-monospace, monospace; }}
pre {{ padding: .75rem; border-radius: .4rem; background: color-mix(in srgb, currentColor 8%, transparent); overflow-x: auto; }}
table {{ border-collapse: collapse; }} td, th {{ padding: .25rem .75rem; text-align: left; }}
.up, .configured {{ color: #1a7f37; }} .down {{ color: #cf222e; }} .unknown {{ color: #9a6700; }}
</style></head>
<body>
<h1>Switchboard is running</h1>
<p>Point your tools at <code id="base-url">{base}</code> (any API key works while no gateway key is set).</p>
<h2>Providers</h2>
<table><thead><tr><th>id</th><th>kind</th><th>state</th><th>models</th></tr></thead><tbody>{providers}</tbody></table>
<h2>Models</h2><ul>{models}</ul>
<h2>Try it</h2>
<pre>curl {base}/chat/completions -H 'content-type: application/json' \
  -d '{{"model":"{model}","messages":[{{"role":"user","content":"Hello"}}]}}'</pre>
<p>Health: <a href="/health">/health</a>. This binary was built without the dashboard: build it with <code>cd ui &amp;&amp; npm ci &amp;&amp; npm run build</code>, then rebuild the gateway (<code>./scripts/run</code> does both).</p>
</body></html>"#,
        base = escape(&base),
        providers = providers,
        models = models.join(""),
        model = escape(&first_model),
    );
    ([(header::CACHE_CONTROL, "no-cache")], Html(body))
}
