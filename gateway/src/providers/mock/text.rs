//! Deterministic text for the mock provider: the same conversation always gets the same reply.
//!
//! Replies are a few sentences (tens of tokens) built from a fixed bank, chosen by a hash of the
//! conversation, and they quote the user's last words so a developer can tell answers apart.

/// FNV-1a over several strings, with a separator so ("ab","c") and ("a","bc") differ.
pub fn seed_of<'a>(parts: impl IntoIterator<Item = &'a str>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// A small deterministic generator (splitmix64) for choices within one reply.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
}

const OPENINGS: &[&str] = &[
    "You asked about \"{q}\", and this is a reply from Switchboard's built-in mock provider.",
    "Thanks for your message, \"{q}\". This answer comes from Switchboard's offline mock provider.",
    "Here is a mock answer to \"{q}\", generated locally by Switchboard without any network access.",
    "Regarding \"{q}\": this response was produced by the Switchboard mock provider for testing.",
];

const BODY: &[&str] = &[
    "The same request always receives the same words, which makes tests repeatable.",
    "Token counts in the usage block are measured with a real tokenizer.",
    "Streaming sends this text one token at a time, just like a hosted model would.",
    "You can switch to a real provider later without changing your client code.",
    "Nothing here was sent to a remote service, so it works on a plane or behind a firewall.",
    "Point any OpenAI-compatible tool at the gateway and it will answer the same way.",
    "Limits such as max_tokens and stop sequences are honoured exactly.",
    "Configure time to first token and tokens per second to mimic a slow or fast model.",
    "Fault injection headers can simulate rate limits, server errors and dropped connections.",
    "Tool calls and structured outputs are generated to match the schema you provide.",
    "This sentence exists to give the reply a realistic length for user interfaces.",
    "Latency and throughput numbers you see with the mock come from the gateway itself.",
];

const THOUGHTS: &[&str] = &[
    "First I restate the question to be sure I understand what is being asked.",
    "I should compare the options carefully before settling on an answer.",
    "Breaking the problem into smaller steps makes the reasoning easier to check.",
    "It helps to consider an example before generalising.",
    "I will double-check the result so the final answer is consistent.",
];

/// The first words of `text`, short enough to quote: eight words, or 24 characters of unspaced text.
pub fn quote(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let words: Vec<&str> = flat.split(' ').collect();
    let mut q = if words.len() > 8 {
        format!("{}…", words[..8].join(" "))
    } else {
        flat.clone()
    };
    if q.chars().count() > 60 {
        q = format!("{}…", q.chars().take(24).collect::<String>());
    }
    q.replace('"', "'")
}

/// A reply of two to four sentences to a message whose text is `last_user`.
pub fn reply(seed: u64, last_user: &str) -> String {
    let mut rng = Rng::new(seed);
    let q = quote(last_user);
    let mut out = if q.is_empty() {
        "This is a reply from Switchboard's built-in mock provider.".to_owned()
    } else {
        rng.pick(OPENINGS).replace("{q}", &q)
    };
    let extra = 2 + (rng.next_u64() % 2) as usize;
    let start = (rng.next_u64() % BODY.len() as u64) as usize;
    for i in 0..extra {
        out.push(' ');
        out.push_str(BODY[(start + i * 5) % BODY.len()]);
    }
    out
}

/// A chain of thought for reasoning models.
pub fn reasoning(seed: u64, last_user: &str) -> String {
    let mut rng = Rng::new(seed ^ 0x5eed);
    let q = quote(last_user);
    let mut out = if q.is_empty() {
        "The user sent an empty message.".to_owned()
    } else {
        format!("The user wrote \"{q}\".")
    };
    let start = (rng.next_u64() % THOUGHTS.len() as u64) as usize;
    for i in 0..2 {
        out.push(' ');
        out.push_str(THOUGHTS[(start + i * 2) % THOUGHTS.len()]);
    }
    out
}

/// The answer after a tool has returned its result.
pub fn after_tool(tool_name: &str, result: &str) -> String {
    let q = quote(result);
    format!(
        "The {tool_name} tool returned \"{q}\". Based on that result, this is the final answer from Switchboard's mock provider."
    )
}

/// A continuation for legacy text completions.
pub fn continuation(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let start = (rng.next_u64() % BODY.len() as u64) as usize;
    format!(" {} {}", BODY[start], BODY[(start + 7) % BODY.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_deterministic_and_realistically_long() {
        let a = reply(seed_of(["m", "hello"]), "hello");
        assert_eq!(a, reply(seed_of(["m", "hello"]), "hello"));
        let tokens = super::super::tokens::count(&a);
        assert!((20..=120).contains(&tokens), "{tokens} tokens: {a}");
    }

    #[test]
    fn seeds_separate_their_parts() {
        assert_ne!(seed_of(["ab", "c"]), seed_of(["a", "bc"]));
    }

    #[test]
    fn quotes_are_short() {
        assert_eq!(quote("a b c"), "a b c");
        assert!(quote(&"word ".repeat(40)).ends_with('…'));
        assert!(quote(&"字".repeat(100)).chars().count() <= 25);
    }
}
