//! What a request cost: a price table per million input and output tokens, shipped with defaults
//! for common hosted models and overridable by the user.
//!
//! The defaults are approximate public list prices in USD, as of [`DEFAULTS_AS_OF`], for standard
//! (not batch, not cached-input) usage. They are a convenience for estimating spend, not a bill:
//! providers change prices, and discounts, caching and regional pricing are not modelled. Users
//! override or add entries (the gateway's config feeds [`PriceTable::new`]).
//!
//! Lookup, for a request served by `provider` with model `model` (the upstream model, else the
//! requested one), case-insensitively:
//! 1. a provider that is free (the mock provider, local runtimes): cost 0;
//! 2. an exact entry for `provider:model`, then for `model`;
//! 3. the longest entry that is a prefix of `model` (so `gpt-4o-2024-08-06` is priced as `gpt-4o`
//!    and `gpt-4o-mini-2024-07-18` as `gpt-4o-mini`);
//! 4. the same again with a vendor prefix removed (`openai/gpt-4o` on OpenRouter is `gpt-4o`).
//!
//! User entries win over defaults for the same key; an unknown model has no price (not zero), so
//! aggregates can say how many requests they could not price.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// When the default prices were last checked.
pub const DEFAULTS_AS_OF: &str = "2025-10";

/// Price of one model, in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Price {
    pub input_per_million: f64,
    pub output_per_million: f64,
}

impl Price {
    pub const FREE: Price = Price {
        input_per_million: 0.0,
        output_per_million: 0.0,
    };

    /// Cost of `tokens_in` and `tokens_out` at this price.
    pub fn cost(&self, tokens_in: u64, tokens_out: u64) -> f64 {
        (tokens_in as f64 * self.input_per_million + tokens_out as f64 * self.output_per_million)
            / 1_000_000.0
    }
}

/// Approximate list prices (USD per 1M tokens: input, output), as of [`DEFAULTS_AS_OF`].
const DEFAULTS: &[(&str, f64, f64)] = &[
    // OpenAI
    ("gpt-5", 1.25, 10.0),
    ("gpt-5-mini", 0.25, 2.0),
    ("gpt-5-nano", 0.05, 0.40),
    ("gpt-4.1", 2.0, 8.0),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1-nano", 0.10, 0.40),
    ("gpt-4o", 2.50, 10.0),
    ("gpt-4o-mini", 0.15, 0.60),
    ("chatgpt-4o-latest", 5.0, 15.0),
    ("gpt-4-turbo", 10.0, 30.0),
    ("gpt-4", 30.0, 60.0),
    ("gpt-3.5-turbo", 0.50, 1.50),
    ("o1", 15.0, 60.0),
    ("o1-mini", 1.10, 4.40),
    ("o1-pro", 150.0, 600.0),
    ("o3", 2.0, 8.0),
    ("o3-mini", 1.10, 4.40),
    ("o3-pro", 20.0, 80.0),
    ("o4-mini", 1.10, 4.40),
    ("text-embedding-3-small", 0.02, 0.0),
    ("text-embedding-3-large", 0.13, 0.0),
    ("text-embedding-ada-002", 0.10, 0.0),
    // Anthropic: families first, then the generations priced differently.
    ("claude-opus", 15.0, 75.0),
    ("claude-opus-4-5", 5.0, 25.0),
    ("claude-opus-4.5", 5.0, 25.0),
    ("claude-sonnet", 3.0, 15.0),
    ("claude-haiku", 1.0, 5.0),
    ("claude-3-opus", 15.0, 75.0),
    ("claude-3-sonnet", 3.0, 15.0),
    ("claude-3-5-sonnet", 3.0, 15.0),
    ("claude-3.5-sonnet", 3.0, 15.0),
    ("claude-3-7-sonnet", 3.0, 15.0),
    ("claude-3.7-sonnet", 3.0, 15.0),
    ("claude-3-5-haiku", 0.80, 4.0),
    ("claude-3.5-haiku", 0.80, 4.0),
    ("claude-3-haiku", 0.25, 1.25),
    // DeepSeek (standard hours, cache miss).
    ("deepseek-chat", 0.28, 0.42),
    ("deepseek-reasoner", 0.28, 0.42),
    // Google
    ("gemini-2.5-pro", 1.25, 10.0),
    ("gemini-2.5-flash", 0.30, 2.50),
    ("gemini-2.5-flash-lite", 0.10, 0.40),
    ("gemini-2.0-flash", 0.10, 0.40),
    ("gemini-2.0-flash-lite", 0.075, 0.30),
    // Mistral
    ("mistral-large", 2.0, 6.0),
    ("mistral-medium", 0.40, 2.0),
    ("mistral-small", 0.10, 0.30),
    ("codestral", 0.30, 0.90),
    // xAI
    ("grok-4", 3.0, 15.0),
    ("grok-3", 3.0, 15.0),
    ("grok-3-mini", 0.30, 0.50),
];

/// Where an entry of the table comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    Default,
    Override,
}

/// One row of the table, as the admin API lists it.
#[derive(Debug, Clone, Serialize)]
pub struct PriceEntry {
    pub model: String,
    #[serde(flatten)]
    pub price: Price,
    pub source: PriceSource,
}

/// The effective price table: defaults, then the user's overrides, plus the providers that cost
/// nothing.
#[derive(Debug, Clone)]
pub struct PriceTable {
    /// Lowercased key → entry.
    entries: HashMap<String, PriceEntry>,
    free_providers: HashSet<String>,
}

impl Default for PriceTable {
    fn default() -> Self {
        PriceTable::new(&HashMap::new())
    }
}

impl PriceTable {
    /// The defaults with `overrides` on top (keys are model ids, id prefixes, or `provider:model`).
    /// The mock provider is always free.
    pub fn new(overrides: &HashMap<String, Price>) -> PriceTable {
        let mut entries = HashMap::new();
        for (model, input, output) in DEFAULTS {
            entries.insert(
                model.to_ascii_lowercase(),
                PriceEntry {
                    model: (*model).to_owned(),
                    price: Price {
                        input_per_million: *input,
                        output_per_million: *output,
                    },
                    source: PriceSource::Default,
                },
            );
        }
        for (model, price) in overrides {
            let key = model.trim();
            if key.is_empty() {
                continue;
            }
            entries.insert(
                key.to_ascii_lowercase(),
                PriceEntry {
                    model: key.to_owned(),
                    price: *price,
                    source: PriceSource::Override,
                },
            );
        }
        PriceTable {
            entries,
            free_providers: HashSet::from(["mock".to_owned()]),
        }
    }

    /// Adds providers whose requests cost nothing (local runtimes).
    pub fn with_free_providers(mut self, providers: impl IntoIterator<Item = String>) -> Self {
        self.free_providers.extend(providers);
        self
    }

    /// The providers that cost nothing, sorted.
    pub fn free_providers(&self) -> Vec<String> {
        let mut out: Vec<String> = self.free_providers.iter().cloned().collect();
        out.sort();
        out
    }

    pub fn is_free_provider(&self, provider: &str) -> bool {
        self.free_providers.contains(provider)
    }

    /// The entries, sorted by model id.
    pub fn entries(&self) -> Vec<PriceEntry> {
        let mut out: Vec<PriceEntry> = self.entries.values().cloned().collect();
        out.sort_by(|a, b| a.model.cmp(&b.model));
        out
    }

    /// The entry that prices `model` (exact, then longest prefix, then without a vendor prefix).
    pub fn lookup(&self, model: &str) -> Option<&PriceEntry> {
        let model = model.trim().to_ascii_lowercase();
        if model.is_empty() {
            return None;
        }
        self.find(&model).or_else(|| {
            let (_, bare) = model.rsplit_once('/')?;
            self.find(bare)
        })
    }

    fn find(&self, model: &str) -> Option<&PriceEntry> {
        if let Some(e) = self.entries.get(model) {
            return Some(e);
        }
        self.entries
            .iter()
            .filter(|(k, _)| model.starts_with(k.as_str()))
            .max_by_key(|(k, _)| k.len())
            .map(|(_, e)| e)
    }

    /// The price of a request: free providers cost nothing; `provider:model` entries win.
    pub fn price(&self, provider: Option<&str>, model: Option<&str>) -> Option<Price> {
        if let Some(p) = provider {
            if self.is_free_provider(p) {
                return Some(Price::FREE);
            }
        }
        let model = model?;
        if let Some(p) = provider {
            let key = format!("{p}:{model}").to_ascii_lowercase();
            if let Some(e) = self.entries.get(&key) {
                return Some(e.price);
            }
        }
        self.lookup(model).map(|e| e.price)
    }

    /// What a request cost, or `None` when its model has no price or its tokens are unknown.
    pub fn cost(
        &self,
        provider: Option<&str>,
        model: Option<&str>,
        tokens_in: Option<u64>,
        tokens_out: Option<u64>,
    ) -> Option<f64> {
        if tokens_in.is_none() && tokens_out.is_none() {
            return None;
        }
        let price = self.price(provider, model)?;
        Some(price.cost(tokens_in.unwrap_or(0), tokens_out.unwrap_or(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(input: f64, output: f64) -> Price {
        Price {
            input_per_million: input,
            output_per_million: output,
        }
    }

    #[test]
    fn exact_then_longest_prefix_then_vendor_prefix() {
        let t = PriceTable::default();
        let p = |m: &str| t.price(Some("openai"), Some(m));
        assert_eq!(p("gpt-4o"), Some(price(2.5, 10.0)));
        assert_eq!(p("gpt-4o-2024-08-06"), Some(price(2.5, 10.0)));
        assert_eq!(p("gpt-4o-mini-2024-07-18"), Some(price(0.15, 0.60)));
        assert_eq!(p("GPT-4.1-mini"), Some(price(0.40, 1.60)));
        assert_eq!(p("o3-mini-2025-01-31"), Some(price(1.10, 4.40)));
        assert_eq!(p("openai/gpt-4o"), Some(price(2.5, 10.0)));
        assert_eq!(p("claude-sonnet-4-20250514"), Some(price(3.0, 15.0)));
        assert_eq!(p("claude-opus-4-5-20251101"), Some(price(5.0, 25.0)));
        assert_eq!(p("claude-opus-4-1-20250805"), Some(price(15.0, 75.0)));
        assert_eq!(p("anthropic/claude-3.5-haiku"), Some(price(0.80, 4.0)));
        assert_eq!(p("Qwen/Qwen2.5-7B-Instruct"), None);
        assert_eq!(p(""), None);
    }

    #[test]
    fn mock_and_local_providers_are_free() {
        let t = PriceTable::default().with_free_providers(["ollama".to_owned()]);
        assert_eq!(
            t.cost(Some("mock"), Some("gpt-4o"), Some(1000), Some(1000)),
            Some(0.0)
        );
        assert_eq!(
            t.cost(Some("ollama"), Some("llama3"), Some(1000), None),
            Some(0.0)
        );
        assert_eq!(t.cost(Some("vllm"), Some("llama3"), Some(1000), None), None);
    }

    #[test]
    fn overrides_win_and_can_be_per_provider() {
        let overrides = HashMap::from([
            ("gpt-4o".to_owned(), price(1.0, 2.0)),
            ("my-model".to_owned(), price(3.0, 4.0)),
            ("openrouter:openai/gpt-4o".to_owned(), price(5.0, 6.0)),
        ]);
        let t = PriceTable::new(&overrides);
        assert_eq!(
            t.price(Some("openai"), Some("gpt-4o")),
            Some(price(1.0, 2.0))
        );
        assert_eq!(
            t.price(Some("openai"), Some("gpt-4o-mini")),
            Some(price(0.15, 0.60)),
            "a longer default prefix still wins over a shorter override"
        );
        assert_eq!(t.price(None, Some("my-model-v2")), Some(price(3.0, 4.0)));
        assert_eq!(
            t.price(Some("openrouter"), Some("openai/gpt-4o")),
            Some(price(5.0, 6.0))
        );
        let listed = t.entries();
        assert!(listed
            .iter()
            .any(|e| e.model == "gpt-4o" && e.source == PriceSource::Override));
    }

    #[test]
    fn cost_is_per_million_and_unknown_without_tokens() {
        let t = PriceTable::default();
        let c = t.cost(
            Some("openai"),
            Some("gpt-4o"),
            Some(1_000_000),
            Some(500_000),
        );
        assert!(c.is_some_and(|c| (c - 7.5).abs() < 1e-9), "{c:?}");
        assert_eq!(t.cost(Some("openai"), Some("gpt-4o"), None, None), None);
    }
}
