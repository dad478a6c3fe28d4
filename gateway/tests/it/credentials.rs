//! Upstream credentials: literal, `{ env }`, `{ keychain }` (the secrets file where no OS keychain
//! runs), pass-through of the client's own key, and the promise that no key ever shows up in a
//! response, `/health`, `/v1/models` or a log line.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use switchboard_gateway::config::{Config, Env, ProxyEnv, Secret};
use switchboard_gateway::secrets::SecretStore;

use crate::support::*;

fn chat(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "Hello"}]})
}

fn ok_reply() -> axum::response::Response {
    json_response(
        200,
        &json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}]}),
    )
}

/// POSTs a chat request with extra headers; returns the status and the body text.
async fn post_with(url: &str, body: &Value, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = client().post(url).json(body);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let r = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

fn config_error(toml: &str, env: &Env) -> String {
    Config::from_toml_str(toml, env)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| panic!("config should be refused: {toml}"))
}

#[tokio::test]
async fn passthrough_sends_the_client_s_own_key_and_refuses_requests_without_one() {
    let (base, hits) = recording_upstream(|_| ok_reply()).await;
    let gw = gateway(&proxy_config(
        &base,
        "models = [\"m\"]\napi_key = { passthrough = true }",
    ))
    .await;
    let url = format!("{}/chat/completions", gw.base_url());
    let (s, _) = post_with(
        &url,
        &chat("m"),
        &[("authorization", "Bearer sk-client-own-1")],
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = post_with(&url, &chat("m"), &[("x-api-key", "sk-client-own-2")]).await;
    assert_eq!(s, 200);
    let (s, text) = post_with(&url, &chat("m"), &[]).await;
    assert_eq!(s, 401, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap_or_default();
    assert!(
        envelope(&v)["message"]
            .as_str()
            .unwrap_or("")
            .contains("'up'"),
        "{text}"
    );
    let auths: Vec<Option<String>> = hits
        .all()
        .iter()
        .map(|h| h.header("authorization").map(str::to_owned))
        .collect();
    assert_eq!(
        auths,
        [
            Some("Bearer sk-client-own-1".to_owned()),
            Some("Bearer sk-client-own-2".to_owned())
        ],
        "the 401 never reached the upstream"
    );
}

#[tokio::test]
async fn passthrough_falls_back_to_the_provider_key_and_keeps_the_provider_s_header() {
    let (base, hits) = recording_upstream(|_| ok_reply()).await;
    let env = env_with_vars(&[("AZ_FALLBACK", "azure-fallback-key-1")]);
    let toml = format!(
        "[mock]\nenabled = false\n[[providers]]\nid = \"az\"\nkind = \"azure\"\nbase_url = \"{base}\"\nmodels = [\"d\"]\n\
         api_key = {{ passthrough = true, env = \"AZ_FALLBACK\" }}\n"
    );
    let gw = gateway_with_env(&toml, &env).await;
    let url = format!("{}/chat/completions", gw.base_url());
    // The AzureOpenAI SDKs send `api-key`; OpenAI's send a bearer token. Both pass as they are.
    let (s, _) = post_with(&url, &chat("d"), &[("api-key", "client-azure-key")]).await;
    assert_eq!(s, 200);
    let (s, _) = post_with(&url, &chat("d"), &[]).await;
    assert_eq!(s, 200);
    let keys: Vec<Option<String>> = hits
        .all()
        .iter()
        .map(|h| h.header("api-key").map(str::to_owned))
        .collect();
    assert_eq!(
        keys,
        [
            Some("client-azure-key".to_owned()),
            Some("azure-fallback-key-1".to_owned())
        ]
    );
}

#[tokio::test]
async fn env_and_keychain_file_keys_reach_the_upstream() {
    let (base, hits) = recording_upstream(|_| ok_reply()).await;
    let dir = temp_dir("keychain");
    SecretStore::without_keychain(Some(&dir))
        .set("stored", &Secret::new("sk-from-secrets-file-1"))
        .unwrap_or_else(|e| panic!("{e}"));
    let env = Env {
        data_dir: Some(dir.clone()),
        ..env_with_vars(&[("SB_UP_KEY", "sk-from-env-var-2")])
    };
    let toml = format!(
        "[mock]\nenabled = false\n\
         [[providers]]\nid = \"a\"\nkind = \"openai\"\nbase_url = \"{base}/a\"\nmodels = [\"ma\"]\napi_key = {{ keychain = \"stored\" }}\n\
         [[providers]]\nid = \"b\"\nkind = \"openai\"\nbase_url = \"{base}/b\"\nmodels = [\"mb\"]\napi_key = {{ env = \"SB_UP_KEY\" }}\n"
    );
    let gw = gateway_with_env(&toml, &env).await;
    for model in ["ma", "mb"] {
        let (s, _) = post_json(&format!("{}/chat/completions", gw.base_url()), &chat(model)).await;
        assert_eq!(s, 200);
    }
    assert_eq!(
        hits.to("/a/chat/completions")[0].header("authorization"),
        Some("Bearer sk-from-secrets-file-1")
    );
    assert_eq!(
        hits.to("/b/chat/completions")[0].header("authorization"),
        Some("Bearer sk-from-env-var-2")
    );

    let missing = config_error(&toml.replace("\"stored\"", "\"nobody\""), &env);
    assert!(
        missing.contains("'nobody'") && missing.contains("'a'"),
        "{missing}"
    );
    let unset = config_error(
        &toml,
        &Env {
            data_dir: Some(dir.clone()),
            ..env_with_vars(&[])
        },
    );
    assert!(
        unset.contains("SB_UP_KEY") && unset.contains("not set"),
        "{unset}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn malformed_api_keys_are_config_errors_with_a_line() {
    let env = Env::default();
    let base =
        "[[providers]]\nid = \"x\"\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\n";
    for (api_key, expect) in [
        ("{ env = \"A\", keychain = \"b\" }", "not both"),
        ("{ vault = \"a\" }", "unknown key 'vault'"),
        ("{ passthrough = \"yes\" }", "true or false"),
        ("42", "cannot be a integer"),
    ] {
        let err = config_error(&format!("{base}api_key = {api_key}\n"), &env);
        assert!(
            err.contains(expect) && err.contains("line 5"),
            "{api_key}: {err}"
        );
    }
}

/// Everything logged while the guard lives, on this thread (tokio tests run on one thread).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

const CANARIES: &[&str] = &[
    "sk-canary-literal-7f3a9c2e5b1d",
    "sk-canary-env-0a1b2c3d4e5f",
    "sk-canary-client-99887766aa",
    "hdr-canary-value-1234abcd",
    "proxy-canary-password",
];

#[tokio::test]
async fn keys_never_appear_in_responses_health_listings_or_logs() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // An upstream that repeats the credentials it was sent in its errors, as some do.
    let (base, _) = recording_upstream(|h| {
        let sent = format!(
            "{} {} {}",
            h.header("authorization").unwrap_or(""),
            h.header("api-key").unwrap_or(""),
            h.header("x-secret").unwrap_or("")
        );
        if h.path.starts_with("/plain") {
            return axum::response::Response::builder()
                .status(500)
                .body(axum::body::Body::from(format!("internal error for {sent}")))
                .unwrap_or_default();
        }
        json_response(401, &json!({"error": {"message": format!("Incorrect API key provided: {sent}"), "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}))
    })
    .await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9);
    let env = Env {
        proxy: ProxyEnv {
            http: Some(Secret::new(format!(
                "http://user:proxy-canary-password@127.0.0.1:{closed}"
            ))),
            ..ProxyEnv::default()
        },
        ..env_with_vars(&[("CANARY_KEY", "sk-canary-env-0a1b2c3d4e5f")])
    };
    let toml = format!(
        "[mock]\nenabled = false\n\
         [[providers]]\nid = \"echo\"\nkind = \"openai\"\nbase_url = \"{base}/echo\"\nmodels = [\"m1\"]\napi_key = \"sk-canary-literal-7f3a9c2e5b1d\"\nheaders = {{ \"X-Secret\" = \"hdr-canary-value-1234abcd\" }}\n\
         [[providers]]\nid = \"plain\"\nkind = \"azure\"\nbase_url = \"{base}/plain\"\nmodels = [\"m2\"]\napi_key = {{ env = \"CANARY_KEY\" }}\n\
         [[providers]]\nid = \"pass\"\nkind = \"openai\"\nbase_url = \"{base}/pass\"\nmodels = [\"m3\"]\napi_key = {{ passthrough = true }}\n\
         [[providers]]\nid = \"dead\"\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:{closed}/v1\"\napi_key = \"sk-canary-literal-7f3a9c2e5b1d\"\n\
         [[providers]]\nid = \"far\"\nkind = \"openai\"\nbase_url = \"http://upstream.invalid/v1\"\nmodels = [\"m5\"]\napi_key = {{ env = \"CANARY_KEY\" }}\n"
    );
    let config = Config::from_toml_str(&toml, &env).unwrap_or_else(|e| panic!("{e}"));
    let mut outputs = vec![format!("{config:?}")];
    let gw = gateway_with_env(&toml, &env).await;
    let url = format!("{}/chat/completions", gw.base_url());
    let client_key = [("authorization", "Bearer sk-canary-client-99887766aa")];
    for (model, stream) in [
        ("m1", false),
        ("m2", false),
        ("m3", false),
        ("m1", true),
        ("dead:x", false),
        ("dead:x", true),
        ("m5", false),
    ] {
        let mut body = chat(model);
        body["stream"] = json!(stream);
        let (status, text) = post_with(&url, &body, &client_key).await;
        assert!(status >= 400, "{model}: {status} {text}");
        outputs.push(text);
    }
    outputs.push(
        get_json(&format!("{}/models", gw.base_url()))
            .await
            .1
            .to_string(),
    );
    outputs.push(
        get_json(&format!("http://{}/health", gw.local_addr()))
            .await
            .1
            .to_string(),
    );
    outputs.push(format!("{:?}", gw.health()));

    let logged = logs.text();
    assert!(
        logged.contains("model discovery failed"),
        "the capture works: {logged}"
    );
    outputs.push(logged);
    for (i, out) in outputs.iter().enumerate() {
        for canary in CANARIES {
            assert!(!out.contains(canary), "output {i} leaks {canary}: {out}");
        }
    }
    // The masked form is what a user sees instead.
    assert!(
        outputs.iter().any(|o| o.contains("sk-…5b1d")),
        "{outputs:?}"
    );
}

// ------------------------------------------------------------------------------------------------
// Trusting an upstream: extra root certificates.

/// A self-signed certificate for 127.0.0.1 and its key, made for this test alone.
const TEST_CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBrDCCAVKgAwIBAgIUVVJlRby3N/G7SHS8scHzmMUn1Y0wCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTc3dpdGNoYm9hcmQgdGVzdCBDQTAgFw0yNjExMjEwNjE2Mzda
GA8yMTI2MTAyODA2MTYzN1owHjEcMBoGA1UEAwwTc3dpdGNoYm9hcmQgdGVzdCBD
QTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABHpw5JuYtWgVc+/uBPhiADy3Tyoe
wy7VZEQ+pDIq1XfGqc9UWKOMjavXi408Dn44MulHOoBRQhJnCXhqjhzxyf6jbDBq
MB0GA1UdDgQWBBRNQfHSlPgcbVdV9z9PwWa1H0F83DAfBgNVHSMEGDAWgBRNQfHS
lPgcbVdV9z9PwWa1H0F83DAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwDAYD
VR0TAQH/BAIwADAKBggqhkjOPQQDAgNIADBFAiAX/+oBK8B84Pnge22NAF7WDccK
yzro6UMgRynla4pLXgIhAMSqI9MR2NdO5NA/ePNx+vrQ1pQpe9ECWgbIlcZn9n56
-----END CERTIFICATE-----
";
const TEST_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgayKP1WQmmj1qqumF
HPq4qep5PErVnPowmkS/K0gWjq2hRANCAAR6cOSbmLVoFXPv7gT4YgA8t08qHsMu
1WREPqQyKtV3xqnPVFijjI2r14uNPA5+ODLpRzqAUUISZwl4ao4c8cn+
-----END PRIVATE KEY-----
";

/// An HTTPS upstream on 127.0.0.1 with [`TEST_CERT`], answering every request with a chat completion.
async fn tls_upstream() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls::{self, pki_types::pem::PemObject, pki_types::CertificateDer};
    let cert =
        CertificateDer::from_pem_slice(TEST_CERT.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(TEST_KEY.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .and_then(|b| b.with_no_client_auth().with_single_cert(vec![cert], key))
    .unwrap_or_else(|e| panic!("{e}"));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && tls.read(&mut byte).await.unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                let length = text
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                let mut body = vec![0u8; length];
                let _ = tls.read_exact(&mut body).await;
                let reply = json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "over tls"}, "finish_reason": "stop"}]})
                .to_string();
                let response = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}", reply.len());
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    format!("https://127.0.0.1:{port}")
}

#[tokio::test]
async fn ca_file_makes_a_private_ca_trusted_per_provider_or_for_all() {
    let base = tls_upstream().await;
    let dir = temp_dir("ca");
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, TEST_CERT).unwrap_or_else(|e| panic!("{e}"));
    let provider = format!(
        "[[providers]]\nid = \"tls\"\nkind = \"openai\"\nbase_url = \"{base}/v1\"\nmodels = [\"m\"]\n"
    );
    let ca_path = ca.display().to_string();
    let untrusted = gateway(&format!("[mock]\nenabled = false\n{provider}")).await;
    let (s, v) = post_json(
        &format!("{}/chat/completions", untrusted.base_url()),
        &chat("m"),
    )
    .await;
    assert_eq!(s, 502, "an unknown CA is refused: {v}");
    for toml in [
        format!("[mock]\nenabled = false\n{provider}ca_file = \"{ca_path}\"\n"),
        format!("[server]\nca_file = \"{ca_path}\"\n[mock]\nenabled = false\n{provider}"),
    ] {
        let gw = gateway(&toml).await;
        let (s, v) = post_json(&format!("{}/chat/completions", gw.base_url()), &chat("m")).await;
        assert_eq!(s, 200, "{toml}: {v}");
        assert_eq!(v["choices"][0]["message"]["content"], "over tls");
    }
    let not_pem = dir.join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap_or_else(|e| panic!("{e}"));
    for (file, expect) in [
        (not_pem, "no PEM certificate"),
        (dir.join("missing.pem"), "cannot read ca_file"),
    ] {
        let err = config_error(
            &format!("{provider}ca_file = \"{}\"\n", file.display()),
            &Env::default(),
        );
        assert!(err.contains(expect) && err.contains("'tls'"), "{err}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
