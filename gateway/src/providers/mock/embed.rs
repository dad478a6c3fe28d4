//! Embeddings and reranking for the mock provider, with no model weights.
//!
//! Embeddings are a feature-hashed bag of words (plus character bigrams, so text without spaces, such
//! as Chinese, still shares features), L2-normalised: texts that share words get a higher cosine
//! similarity than unrelated ones, which is enough to exercise a retrieval pipeline end to end.
//! Reranking scores documents with BM25 over the documents of the request.

use std::collections::HashMap;

use super::text::seed_of;

/// Lowercased words: runs of alphanumeric characters.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Words, plus character bigrams of words that are not plain ASCII (scripts written without spaces).
fn features(text: &str) -> Vec<(String, f32)> {
    let mut out = Vec::new();
    for w in words(text) {
        if !w.is_ascii() {
            let chars: Vec<char> = w.chars().collect();
            for pair in chars.windows(2) {
                out.push((pair.iter().collect(), 0.7));
            }
            if chars.len() == 1 {
                out.push((w.clone(), 1.0));
            }
        } else {
            out.push((w, 1.0));
        }
    }
    out
}

/// A unit-length vector of `dims` floats for `text`.
pub fn embed(text: &str, dims: usize) -> Vec<f32> {
    let dims = dims.max(1);
    let mut v = vec![0f32; dims];
    let mut feats = features(text);
    if feats.is_empty() {
        // Only punctuation or symbols: the text itself is the one feature.
        feats.push((text.to_owned(), 1.0));
    }
    for (f, weight) in feats {
        let h = seed_of([f.as_str()]);
        let idx = (h % dims as u64) as usize;
        let sign = if h >> 63 == 1 { -1.0 } else { 1.0 };
        v[idx] += sign * weight;
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in &mut v {
            *x /= norm;
        }
    }
    v
}

/// Little-endian float32 bytes in standard base64: what both official SDKs decode.
pub fn to_base64(v: &[f32]) -> String {
    use base64::Engine as _;
    let mut bytes = Vec::with_capacity(v.len() * 4);
    for x in v {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// BM25 relevance of each document to `query`, squashed into 0..1 (higher is more relevant).
pub fn relevance(query: &str, documents: &[&str]) -> Vec<f64> {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;
    let docs: Vec<Vec<String>> = documents
        .iter()
        .map(|d| features(d).into_iter().map(|(f, _)| f).collect())
        .collect();
    let n = docs.len() as f64;
    let avg_len = (docs.iter().map(Vec::len).sum::<usize>() as f64 / n.max(1.0)).max(1.0);
    let mut df: HashMap<&str, f64> = HashMap::new();
    for d in &docs {
        let mut seen: Vec<&str> = d.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for t in seen {
            *df.entry(t).or_default() += 1.0;
        }
    }
    let mut query_terms: Vec<String> = features(query).into_iter().map(|(f, _)| f).collect();
    query_terms.sort_unstable();
    query_terms.dedup();
    docs.iter()
        .map(|d| {
            let len = d.len() as f64;
            let score: f64 = query_terms
                .iter()
                .map(|t| {
                    let tf = d.iter().filter(|w| *w == t).count() as f64;
                    if tf == 0.0 {
                        return 0.0;
                    }
                    let dfi = df.get(t.as_str()).copied().unwrap_or(0.0);
                    let idf = (1.0 + (n - dfi + 0.5) / (dfi + 0.5)).ln();
                    idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / avg_len))
                })
                .sum();
            score / (score + 1.0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cos(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn vectors_are_unit_length_and_similar_texts_are_closer() {
        let a = embed("the cat sat on the mat", 256);
        let b = embed("a cat sat on a mat", 256);
        let c = embed("quarterly revenue grew strongly", 256);
        assert!((cos(&a, &a) - 1.0).abs() < 1e-5);
        assert!(
            cos(&a, &b) > cos(&a, &c) + 0.3,
            "{} vs {}",
            cos(&a, &b),
            cos(&a, &c)
        );
    }

    #[test]
    fn chinese_text_shares_bigrams() {
        let a = embed("今天天气很好", 128);
        let b = embed("今天天气不错", 128);
        let c = embed("股票市场下跌", 128);
        assert!(cos(&a, &b) > cos(&a, &c));
    }

    #[test]
    fn base64_is_little_endian_f32() {
        use base64::Engine as _;
        let s = to_base64(&[1.0, -2.5]);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(s)
            .unwrap_or_default();
        assert_eq!(
            bytes,
            [1.0f32.to_le_bytes(), (-2.5f32).to_le_bytes()].concat()
        );
    }

    #[test]
    fn bm25_prefers_matching_documents() {
        let s = relevance(
            "rust web server",
            &[
                "a garden in spring",
                "a fast web server in rust",
                "web pages",
            ],
        );
        assert!(s[1] > s[2] && s[2] > s[0], "{s:?}");
        assert!(s.iter().all(|x| (0.0..1.0).contains(x)));
    }
}
