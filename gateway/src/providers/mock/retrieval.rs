//! Embeddings and rerank responses from the mock provider.

use serde_json::{json, Value};

use super::embed::{embed, relevance, to_base64};
use super::{completion_id, tokens};
use crate::config::MockModelConfig;
use crate::error::GatewayError;
use crate::wire::{EmbeddingRequest, EncodingFormat, RerankRequest, TextOrTokens};

/// The length of vectors when the request does not ask for `dimensions` (as text-embedding-ada-002).
const DEFAULT_DIMENSIONS: usize = 1536;

pub fn embeddings(model: &MockModelConfig, req: &EmbeddingRequest) -> Result<Value, GatewayError> {
    let bad = || {
        GatewayError::invalid(
            "'input' holds a token id outside the vocabulary",
            Some("input".into()),
        )
    };
    let (texts, prompt_tokens): (Vec<String>, u32) = match &req.input {
        TextOrTokens::Text(s) => (vec![s.clone()], tokens::count(s)),
        TextOrTokens::Texts(v) => (v.clone(), v.iter().map(|s| tokens::count(s)).sum()),
        TextOrTokens::Tokens(ids) => (vec![tokens::decode(ids).ok_or_else(bad)?], ids.len() as u32),
        TextOrTokens::TokenLists(lists) => (
            lists
                .iter()
                .map(|ids| tokens::decode(ids).ok_or_else(bad))
                .collect::<Result<_, _>>()?,
            lists.iter().map(|l| l.len() as u32).sum(),
        ),
    };
    let dims = req.dimensions.map_or(DEFAULT_DIMENSIONS, |d| d as usize);
    let base64 = req.encoding_format == Some(EncodingFormat::Base64);
    let data: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let v = embed(t, dims);
            let embedding = if base64 {
                json!(to_base64(&v))
            } else {
                json!(v)
            };
            json!({ "object": "embedding", "index": i, "embedding": embedding })
        })
        .collect();
    Ok(json!({
        "object": "list",
        "data": data,
        "model": model.id,
        "usage": { "prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens },
    }))
}

pub fn rerank(model: &MockModelConfig, req: &RerankRequest) -> Value {
    let docs: Vec<&str> = req.documents.iter().map(|d| d.text()).collect();
    let scores = relevance(&req.query, &docs);
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order.truncate(req.top_n.unwrap_or(docs.len()));
    let with_docs = req.return_documents.unwrap_or(true);
    let results: Vec<Value> = order
        .iter()
        .map(|&i| {
            let mut r = json!({ "index": i, "relevance_score": scores[i] });
            if with_docs {
                r["document"] = json!({ "text": docs[i] });
            }
            r
        })
        .collect();
    let total: u32 = tokens::count(&req.query) * docs.len().max(1) as u32
        + docs.iter().map(|d| tokens::count(d)).sum::<u32>();
    json!({
        "id": completion_id("rerank"),
        "model": model.id,
        "results": results,
        "usage": { "prompt_tokens": total, "total_tokens": total },
    })
}
