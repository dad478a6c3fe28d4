//! Token log probabilities from the mock provider, in OpenAI's shape (`logprobs.content[]` with
//! `token`, `logprob`, `bytes`, `top_logprobs`): deterministic and plausible (between -2 and 0, the
//! chosen token always the most likely), so clients that ask for them get something to work with.

use serde_json::{json, Value};

use super::text::seed_of;
use super::tokens;

/// Tokens offered as the less likely alternatives.
const ALTERNATIVES: &[&str] = &[
    " the", " a", " and", ",", ".", " to", " of", " is", " in", " it",
];

fn logprob(piece: &str, position: usize) -> f64 {
    let h = seed_of([piece, &position.to_string()]);
    -((h % 2000) as f64 / 1000.0) - 0.001
}

fn bytes(token: &str) -> Vec<u8> {
    token.as_bytes().to_vec()
}

/// The entry for one token at `position`, with `top` alternatives (the token itself first).
pub fn entry(piece: &str, position: usize, top: u32) -> Value {
    let lp = logprob(piece, position);
    let mut alternatives = vec![json!({ "token": piece, "logprob": lp, "bytes": bytes(piece) })];
    let start = (seed_of([piece]) % ALTERNATIVES.len() as u64) as usize;
    let mut k = 0;
    while alternatives.len() < top as usize && k < ALTERNATIVES.len() {
        let alt = ALTERNATIVES[(start + k) % ALTERNATIVES.len()];
        k += 1;
        if alt == piece {
            continue;
        }
        let alt_lp = lp - 1.0 - alternatives.len() as f64 * 0.75;
        alternatives.push(json!({ "token": alt, "logprob": alt_lp, "bytes": bytes(alt) }));
    }
    if top == 0 {
        alternatives.clear();
    }
    json!({ "token": piece, "logprob": lp, "bytes": bytes(piece), "top_logprobs": alternatives })
}

/// `logprobs` for a whole message's content.
pub fn for_content(text: &str, top: u32) -> Value {
    let content: Vec<Value> = tokens::pieces(text)
        .iter()
        .enumerate()
        .map(|(i, (p, _))| entry(p, i, top))
        .collect();
    json!({ "content": content, "refusal": null })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_have_openais_shape_and_the_chosen_token_leads() {
        let v = for_content("Hello there, world", 3);
        let content = v["content"].as_array().cloned().unwrap_or_default();
        assert_eq!(content.len(), tokens::pieces("Hello there, world").len());
        for e in &content {
            let lp = e["logprob"].as_f64().unwrap_or(1.0);
            assert!((-2.1..0.0).contains(&lp), "{e}");
            let top = e["top_logprobs"].as_array().cloned().unwrap_or_default();
            assert_eq!(top.len(), 3);
            assert_eq!(top[0]["token"], e["token"]);
            assert!(top
                .iter()
                .skip(1)
                .all(|t| t["logprob"].as_f64().unwrap_or(0.0) < lp));
            assert_eq!(
                e["bytes"].as_array().map(Vec::len),
                e["token"].as_str().map(str::len)
            );
        }
        assert_eq!(
            for_content("Hello", 3),
            for_content("Hello", 3),
            "deterministic"
        );
    }
}
