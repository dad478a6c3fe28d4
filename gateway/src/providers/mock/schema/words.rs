//! Text for string values: words from the hint, examples from descriptions, formatted values.

use super::*;

pub(super) fn hint_words(hint: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in hint.to_lowercase().split(|c: char| !c.is_alphanumeric()) {
        let w = w.to_string();
        if w.chars().count() >= 3 && !STOP_WORDS.contains(&w.as_str()) && !out.contains(&w) {
            out.push(w);
        }
        if out.len() >= 24 {
            break;
        }
    }
    out
}

/// Pulls an example out of a description such as "The city and state, e.g. San Francisco, CA".
pub(super) fn desc_example(desc: &str) -> Option<String> {
    let markers = ["e.g.", "E.g.", "for example", "For example", "such as"];
    let found = markers.iter().filter_map(|m| Some(desc.find(m)? + m.len()));
    let rest = desc
        .get(found.min()?..)?
        .trim_start_matches([',', ':', ' ', '\t', '\n']);
    let t = match rest.chars().next().filter(|c| "\"'`".contains(*c)) {
        Some(q) => rest.get(1..)?.split(q).next()?,
        None => {
            let ends = [")", ";", "\n", ". ", " or ", " and "];
            let end = ends.iter().filter_map(|d| rest.find(d)).min();
            rest.get(..end.unwrap_or(rest.len()))?
                .trim()
                .trim_end_matches('.')
        }
    };
    (!t.is_empty() && t.chars().count() <= 60).then(|| t.to_string())
}

pub(super) fn format_value(f: &str, r: u64) -> Option<String> {
    let (mo, day) = (r % 12 + 1, (r >> 8) % 28 + 1);
    let (h, mi) = ((r >> 16) % 10 + 8, (r >> 24) % 60);
    let r2 = mix(r ^ 0x9e37_79b9_7f4a_7c15);
    let host = ["api.example.com", "www.example.org"];
    let path = ["docs", "items/42", "reports/2024"];
    Some(match f {
        "date" => format!("2024-{mo:02}-{day:02}"),
        "date-time" => format!("2024-{mo:02}-{day:02}T{h:02}:{mi:02}:00Z"),
        "time" => format!("{h:02}:{mi:02}:00Z"),
        "email" | "idn-email" => format!("{}@example.com", pick(&["alex.morgan", "sam.lee"], r)),
        "uri" | "url" | "iri" | "uri-reference" | "iri-reference" => {
            format!("https://example.com/{}", pick(&path, r))
        }
        "uuid" => format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            r >> 32,
            (r >> 16) & 0xffff,
            r & 0xfff,
            0x8000 | ((r2 >> 48) & 0x3fff),
            r2 & 0xffff_ffff_ffff
        ),
        "ipv4" => format!("192.0.2.{}", r % 254 + 1),
        "ipv6" => format!("2001:db8::{:x}", r % 0xfffe + 1),
        "hostname" | "idn-hostname" => pick(&host, r).into(),
        "duration" => format!("P{day}DT{h}H"),
        "json-pointer" => "/items/0".into(),
        "regex" => "^[a-z]+$".into(),
        _ => return None,
    })
}
