//! Token counting and splitting with a real BPE tokenizer (`cl100k_base`, the GPT-3.5/4 encoding).
//!
//! Usage numbers from the mock provider are real token counts, and streams advance one token at a time.
//! A single token can end in the middle of a multi-byte character (common in Chinese text), so pieces
//! are cut at token boundaries that are also UTF-8 boundaries: a piece may hold more than one token.

use std::sync::OnceLock;

use tiktoken_rs::CoreBPE;

fn bpe() -> Option<&'static CoreBPE> {
    static BPE: OnceLock<Option<CoreBPE>> = OnceLock::new();
    BPE.get_or_init(|| tiktoken_rs::cl100k_base().ok()).as_ref()
}

/// Loads the tokenizer ahead of the first request (it takes a few hundred milliseconds).
pub fn warm_up() {
    let _ = bpe();
}

/// The number of tokens in `text`.
pub fn count(text: &str) -> u32 {
    if text.is_empty() {
        return 0;
    }
    match bpe() {
        Some(b) => b.encode_ordinary(text).len() as u32,
        // The tokenizer ships inside the binary; this fallback only guards against a broken build.
        None => text.split_whitespace().count() as u32,
    }
}

/// `text` cut into consecutive pieces of whole tokens, each valid UTF-8; the pieces concatenate to
/// `text`. Each piece is one token except where a character spans tokens.
pub fn pieces(text: &str) -> Vec<(String, u32)> {
    let Some(b) = bpe() else {
        return text
            .split_inclusive(' ')
            .map(|w| (w.to_owned(), 1))
            .collect();
    };
    let tokens = b.encode_ordinary(text);
    let mut out = Vec::with_capacity(tokens.len());
    let mut pending: Vec<u8> = Vec::new();
    let mut pending_tokens = 0;
    for bytes in b._decode_native_and_split(tokens) {
        pending.extend_from_slice(&bytes);
        pending_tokens += 1;
        if let Ok(s) = std::str::from_utf8(&pending) {
            out.push((s.to_owned(), pending_tokens));
            pending.clear();
            pending_tokens = 0;
        }
    }
    if !pending.is_empty() {
        out.push((
            String::from_utf8_lossy(&pending).into_owned(),
            pending_tokens,
        ));
    }
    out
}

/// The longest prefix of `text` with at most `limit` tokens, and its token count.
pub fn truncate(text: &str, limit: u32) -> (String, u32) {
    let mut out = String::new();
    let mut used = 0;
    for (piece, n) in pieces(text) {
        if used + n > limit {
            break;
        }
        out.push_str(&piece);
        used += n;
    }
    (out, used)
}

/// Decodes token ids back to text; `None` when an id is not in the vocabulary.
pub fn decode(ids: &[u32]) -> Option<String> {
    let b = bpe()?;
    let max = 100_255; // cl100k_base's ordinary vocabulary
    if ids.iter().any(|&id| id > max) {
        return None;
    }
    b.decode(ids.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_concatenate_to_the_text_and_count_every_token() {
        for text in [
            "Hello, world! This is a test.",
            "你好，世界。这是一个测试。",
            "emoji 🎉🎉 end",
        ] {
            let ps = pieces(text);
            let joined: String = ps.iter().map(|(s, _)| s.as_str()).collect();
            assert_eq!(joined, text);
            assert_eq!(ps.iter().map(|(_, n)| n).sum::<u32>(), count(text));
        }
    }

    #[test]
    fn truncate_respects_the_limit() {
        let text = "one two three four five six seven eight nine ten";
        let (cut, used) = truncate(text, 3);
        assert_eq!(used, 3);
        assert_eq!(count(&cut), 3);
        assert!(text.starts_with(&cut));
    }

    #[test]
    fn known_token_count() {
        // "hello world" is two tokens in cl100k_base.
        assert_eq!(count("hello world"), 2);
    }
}
