//! Schema-driven value generation for the mock provider.
//!
//! When a client asks the mock provider for a tool call (OpenAI function `parameters`) or for
//! `response_format: json_schema` output, the reply must validate against the schema the client
//! sent, or client libraries that parse structured output fail. [`instance_for`] walks the schema
//! and builds a plausible value: strings look like real words (drawn from the user's message where
//! possible), numbers respect ranges and `multipleOf`, and objects carry every declared property,
//! as OpenAI's strict mode expects.
//!
//! The output is deterministic: each node draws its randomness from an FNV-1a hash of the seed and
//! the node's JSON-pointer path, so the same schema, seed and hint always give the same value.
//! There is no global RNG and no clock.
//!
//! Coverage is best effort. `$ref` resolves only local pointers (`#`, `#/$defs/..`,
//! `#/definitions/..`) against the root schema; recursion through `$ref` is cut off by producing
//! minimal values. `pattern` is honoured by a small generator for common regex syntax (literals,
//! classes, `\d\w\s`, groups, alternation, quantifiers); patterns with lookaround, backreferences
//! or unicode classes are not supported, and the string produced for them may not match.
//! `not`, `if`/`then`/`else`, `patternProperties`, `propertyNames`, `maxProperties` and
//! `dependent*` are ignored. Unsatisfiable or garbage schemas never panic; they give `{}` or
//! `null`.

use serde_json::{json, Map, Value};
use std::cell::Cell;

type Obj = Map<String, Value>;

const MAX_REF_DEPTH: usize = 8;
const SOFT_REF_DEPTH: usize = 3;
const BUDGET: usize = 20_000;
const MAX_ITEMS: u64 = 64;
const MAX_LEN: u64 = 4096;
const FALLBACK_WORDS: &[&str] = &[
    "sample", "quick", "report", "summary", "blue", "river", "note", "status", "update", "alpha",
];
const STOP_WORDS: &[&str] = &[
    "the", "and", "for", "with", "what", "whats", "you", "your", "are", "can", "could", "would",
    "please", "tell", "about", "this", "that", "how", "from", "into", "give", "show", "get",
    "find", "want", "need", "like", "some", "any", "was", "were", "will", "should", "does", "did",
    "have", "has", "there", "which", "when", "where", "who", "why",
];
const CITIES: &[&str] = &["Paris", "Tokyo", "San Francisco, CA", "Berlin", "Toronto"];
const NAMES: &[&str] = &["Alex Morgan", "Sam Lee", "Jordan Kim", "Taylor Reed"];

/// Builds a JSON value that validates against `schema`. `seed` makes it deterministic; `hint` is free
/// text (e.g. the user's last message) that string values may draw words from so answers look relevant.
///
/// Anything but an object or boolean schema is treated as "no schema" and yields `{}`.
pub fn instance_for(schema: &Value, seed: u64, hint: &str) -> Value {
    if !matches!(schema, Value::Object(_) | Value::Bool(_)) {
        return Value::Object(Map::new());
    }
    let words = hint_words(hint);
    let g = Gen {
        root: schema,
        seed,
        words,
        budget: Cell::new(BUDGET),
    };
    g.gen(schema, "", "", 0)
}

struct Gen<'a> {
    root: &'a Value,
    seed: u64,
    words: Vec<String>,
    /// Work left; once it runs low generation switches to minimal values, at zero it stops.
    budget: Cell<usize>,
}

fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

fn pick<'s>(list: &[&'s str], r: u64) -> &'s str {
    let i = (r % list.len().max(1) as u64) as usize;
    list.get(i).map_or("", |s| s)
}

fn types(t: Option<&Value>) -> Vec<String> {
    match t {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|t| Some(t.as_str()?.into())).collect(),
        _ => Vec::new(),
    }
}

fn num(s: &Obj, k: &str) -> Option<f64> {
    s.get(k)?.as_f64().filter(|v| v.is_finite())
}

fn get_u(s: &Obj, k: &str) -> Option<u64> {
    num(s, k).map(|v| v.clamp(0.0, 1e15) as u64)
}

fn st<'a>(s: &'a Obj, k: &str) -> Option<&'a str> {
    s.get(k)?.as_str()
}

fn arr<'a>(s: &'a Obj, k: &str) -> &'a [Value] {
    s.get(k)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn is_true(s: &Obj, k: &str) -> bool {
    s.get(k) == Some(&Value::Bool(true))
}

fn is_null_only(s: &Value) -> bool {
    let Some(m) = s.as_object() else { return false };
    let e = arr(m, "enum");
    types(m.get("type")) == ["null"]
        || m.get("const") == Some(&Value::Null)
        || (!e.is_empty() && e.iter().all(Value::is_null))
}

/// Combines two schemas that must both hold (allOf, `$ref` siblings, a chosen anyOf branch).
fn merge(mut a: Obj, b: Obj) -> Obj {
    for (k, v) in b {
        let nv = match a.get(&k) {
            None => v,
            Some(c) => combine(&k, c, v),
        };
        a.insert(k, nv);
    }
    a
}

fn combine(k: &str, c: &Value, v: Value) -> Value {
    let nums = (c.as_f64(), v.as_f64());
    match (k, c, &v) {
        ("properties", Value::Object(p), Value::Object(q)) => {
            let mut p = p.clone();
            for (pk, pv) in q {
                let e = match p.get(pk) {
                    Some(old) => json!({ "allOf": [old, pv] }),
                    None => pv.clone(),
                };
                p.insert(pk.clone(), e);
            }
            Value::Object(p)
        }
        ("required", Value::Array(r), Value::Array(q)) => {
            let mut r = r.clone();
            for x in q
                .iter()
                .filter(|x| !c.as_array().is_some_and(|c| c.contains(x)))
            {
                r.push(x.clone());
            }
            Value::Array(r)
        }
        ("type", _, _) => {
            let (a, b) = (types(Some(c)), types(Some(&v)));
            let has = |t: &str| b.iter().any(|x| x == t);
            let out: Vec<&str> = a
                .iter()
                .filter_map(|t| match t.as_str() {
                    t if has(t) => Some(t),
                    "integer" if has("number") => Some("integer"),
                    "number" if has("integer") => Some("integer"),
                    _ => None,
                })
                .collect();
            match out.is_empty() {
                true => v,
                false => json!(out),
            }
        }
        ("minimum" | "exclusiveMinimum" | "minLength" | "minItems" | "minProperties", _, _) => {
            let m = nums.0.zip(nums.1);
            m.map_or(c.clone(), |(x, y)| json!(x.max(y)))
        }
        ("maximum" | "exclusiveMaximum" | "maxLength" | "maxItems" | "maxProperties", _, _) => {
            let m = nums.0.zip(nums.1);
            m.map_or(c.clone(), |(x, y)| json!(x.min(y)))
        }
        ("enum", Value::Array(e), Value::Array(f)) => {
            Value::Array(e.iter().filter(|x| f.contains(x)).cloned().collect())
        }
        ("additionalProperties", _, Value::Bool(false)) => v,
        ("items" | "additionalProperties", _, _) => json!({ "allOf": [c, v] }),
        _ => c.clone(),
    }
}

impl Gen<'_> {
    fn rand(&self, ptr: &str, salt: &str) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let (seed, ptr, salt) = (self.seed.to_le_bytes(), ptr.as_bytes(), salt.as_bytes());
        for b in seed.iter().chain(ptr).chain(b"#").chain(salt) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        mix(h)
    }

    fn tick(&self) -> bool {
        let b = self.budget.get();
        self.budget.set(b.saturating_sub(1));
        b > 0
    }

    fn lookup(&self, r: &str) -> Option<&Value> {
        let p = r.strip_prefix('#')?;
        self.root.pointer(p)
    }

    /// Follows `$ref` and flattens `allOf` into one schema map; `None` once the ref depth or the
    /// work budget is exhausted.
    fn resolve(&self, s: &Value, depth: &mut usize) -> Option<Obj> {
        if !self.tick() {
            return None;
        }
        let mut m = match s {
            Value::Object(m) => m.clone(),
            Value::Bool(false) => Map::from_iter([("not".to_string(), json!({}))]),
            _ => Map::new(),
        };
        if let Some(Value::String(r)) = m.remove("$ref") {
            if let Some(t) = self.lookup(&r) {
                if *depth >= MAX_REF_DEPTH {
                    return None;
                }
                *depth += 1;
                m = merge(self.resolve(t, depth)?, m);
            }
        }
        if let Some(Value::Array(subs)) = m.remove("allOf") {
            for sub in &subs {
                m = merge(m, self.resolve(sub, depth)?);
            }
        }
        Some(m)
    }

    /// The smallest sensible value, used where recursion is cut off.
    fn shallow_min(&self, s: &Value) -> Value {
        let t = s.as_object().and_then(|m| self.lookup(st(m, "$ref")?));
        let Some(m) = t.unwrap_or(s).as_object() else {
            return Value::Null;
        };
        let t = types(m.get("type"));
        let alts = [arr(m, "anyOf"), arr(m, "oneOf")].concat();
        if is_true(m, "nullable") || t.iter().any(|x| x == "null") || alts.iter().any(is_null_only)
        {
            return Value::Null;
        }
        match t.first().map(String::as_str) {
            Some("object") => json!({}),
            Some("array") => json!([]),
            Some("string") => json!(""),
            Some("integer" | "number") => json!(0),
            Some("boolean") => json!(false),
            _ if m.contains_key("properties") => json!({}),
            _ => Value::Null,
        }
    }

    fn gen(&self, s: &Value, ptr: &str, key: &str, depth: usize) -> Value {
        let mut d = depth;
        match self.resolve(s, &mut d) {
            Some(m) => self.gen_map(m, ptr, key, d),
            None => self.shallow_min(s),
        }
    }

    fn gen_map(&self, mut s: Obj, ptr: &str, key: &str, d: usize) -> Value {
        let minimal = d >= SOFT_REF_DEPTH || self.budget.get() < BUDGET / 2;
        for kw in ["oneOf", "anyOf"] {
            let Some(Value::Array(bs)) = s.remove(kw) else {
                continue;
            };
            // Non-null branches first, unless recursion is being wound down.
            let mut order: Vec<usize> = (0..bs.len()).collect();
            order.sort_by_key(|&i| is_null_only(&bs[i]) != minimal);
            let mut first = None;
            for &i in order.iter().take(4) {
                let mut bd = d;
                let Some(b) = self.resolve(&bs[i], &mut bd) else {
                    continue;
                };
                let v = self.gen_map(merge(s.clone(), b), ptr, key, bd);
                let others = bs.iter().enumerate().filter(|(j, _)| *j != i);
                if kw == "anyOf" || !others.clone().any(|(_, o)| self.quick(&v, o, 0)) {
                    return v;
                }
                first.get_or_insert(v);
            }
            return first.unwrap_or_else(|| self.shallow_min(&Value::Object(s)));
        }
        if let Some(c) = s.get("const") {
            return c.clone();
        }
        let mut rest = s.clone();
        if let Some(Value::Array(e)) = rest.remove("enum") {
            let rest = Value::Object(rest);
            let mut pool: Vec<&Value> = e.iter().filter(|v| self.quick(v, &rest, 0)).collect();
            if pool.is_empty() {
                pool = e.iter().collect();
            }
            if pool.iter().any(|v| !v.is_null()) {
                pool.retain(|v| !v.is_null());
            }
            let i = self.rand(ptr, "enum") % pool.len().max(1) as u64;
            if let Some(v) = pool.get(i as usize) {
                return (*v).clone();
            }
        }
        let mut rest = s.clone();
        let mut ex = Vec::new();
        for k in ["examples", "example", "default"] {
            match rest.remove(k) {
                Some(Value::Array(a)) if k == "examples" => ex.extend(a),
                Some(v) => ex.push(v),
                None => {}
            }
        }
        let rest = Value::Object(rest);
        if let Some(v) = ex
            .into_iter()
            .find(|c| !c.is_null() && self.quick(c, &rest, 0))
        {
            return v;
        }
        let tys = types(s.get("type"));
        if minimal && (is_true(&s, "nullable") || tys.iter().any(|t| t == "null")) {
            return Value::Null;
        }
        let has = |ks: &[&str]| ks.iter().any(|k| s.contains_key(*k));
        let ty = match tys.iter().find(|t| *t != "null") {
            Some(t) => t.as_str(),
            None if !tys.is_empty() => "null",
            None if has(&["properties", "required", "additionalProperties"]) => "object",
            None if has(&["items", "prefixItems", "minItems", "maxItems", "contains"]) => "array",
            None if has(&["minLength", "maxLength", "pattern", "format"]) => "string",
            None if has(&["minimum", "maximum", "exclusiveMinimum", "multipleOf"]) => "number",
            None if has(&["exclusiveMaximum"]) => "number",
            None if ptr.is_empty() || has(&["minProperties"]) => "object",
            None => "string",
        };
        match ty {
            "object" => self.gen_object(&s, ptr, d, minimal),
            "array" => self.gen_array(&s, ptr, key, d, minimal),
            "string" => Value::String(self.gen_string(&s, ptr, key)),
            "integer" => self.gen_number(&s, ptr, true),
            "number" => self.gen_number(&s, ptr, false),
            "boolean" => Value::Bool(self.rand(ptr, "bool") & 1 == 0),
            _ => Value::Null,
        }
    }

    fn gen_object(&self, s: &Obj, ptr: &str, d: usize, minimal: bool) -> Value {
        let child = |k: &str| format!("{ptr}/{}", k.replace('~', "~0").replace('/', "~1"));
        let req: Vec<&str> = arr(s, "required")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let mut out = Map::new();
        let props = s.get("properties").and_then(Value::as_object);
        for (k, sub) in props.into_iter().flatten() {
            // Every property (strict mode wants them all), only required ones when winding down.
            if !minimal || req.contains(&k.as_str()) {
                out.insert(k.clone(), self.gen(sub, &child(k), k, d));
            }
        }
        let extra = match s.get("additionalProperties") {
            Some(Value::Bool(false)) => None,
            Some(v @ Value::Object(_)) => Some(v.clone()),
            _ => Some(Value::Bool(true)),
        };
        let extra_schema = extra.clone().unwrap_or(Value::Bool(true));
        let min_props = get_u(s, "minProperties").unwrap_or(0).min(MAX_ITEMS) as usize;
        let mut keys: Vec<String> = req.iter().map(|r| r.to_string()).collect();
        keys.retain(|k| !out.contains_key(k));
        for n in 1..=MAX_ITEMS {
            if extra.is_none() || out.len() + keys.len() >= min_props {
                break;
            }
            keys.push(format!("extra_{n}"));
            keys.retain(|k| !out.contains_key(k));
        }
        for k in keys {
            let v = self.gen(&extra_schema, &child(&k), &k, d);
            out.insert(k, v);
        }
        Value::Object(out)
    }

    fn gen_array(&self, s: &Obj, ptr: &str, key: &str, d: usize, minimal: bool) -> Value {
        let (prefix, rest) = match (s.get("prefixItems"), s.get("items")) {
            (Some(Value::Array(p)), r) => (p.as_slice(), r),
            (_, Some(Value::Array(p))) => (p.as_slice(), s.get("additionalItems")),
            (_, r) => (&[][..], r),
        };
        let min = get_u(s, "minItems").unwrap_or(0).min(MAX_ITEMS) as usize;
        let max = get_u(s, "maxItems").unwrap_or(MAX_ITEMS).min(MAX_ITEMS) as usize;
        let contains = s.get("contains");
        let want = min
            .max(usize::from(!minimal))
            .max(prefix.len() * usize::from(!minimal));
        let mut n = want.max(usize::from(contains.is_some())).min(max.max(min));
        if rest == Some(&Value::Bool(false)) {
            n = n.min(prefix.len());
        }
        let tries = if is_true(s, "uniqueItems") { 6 } else { 1 };
        let mut out: Vec<Value> = Vec::new();
        for i in 0..n {
            let base = prefix.get(i).or(rest).cloned().unwrap_or(Value::Bool(true));
            let sch = match contains {
                Some(c) if i == prefix.len() => json!({ "allOf": [base, c] }),
                _ => base,
            };
            let mut v = Value::Null;
            for t in 0..tries {
                let p = format!(
                    "{ptr}/{i}{}",
                    if t == 0 {
                        String::new()
                    } else {
                        format!("~{t}")
                    }
                );
                v = self.gen(&sch, &p, key, d);
                if !out.contains(&v) {
                    break;
                }
            }
            out.push(v);
        }
        Value::Array(out)
    }

    fn gen_number(&self, s: &Obj, ptr: &str, integer: bool) -> Value {
        let f = |k: &str| num(s, k);
        let (lo, lx) = match (f("minimum"), f("exclusiveMinimum")) {
            (Some(m), Some(e)) if e < m => (Some(m), false),
            (_, Some(e)) => (Some(e), true),
            (m, None) => (m, is_true(s, "exclusiveMinimum")),
        };
        let (hi, hx) = match (f("maximum"), f("exclusiveMaximum")) {
            (Some(m), Some(e)) if e > m => (Some(m), false),
            (_, Some(e)) => (Some(e), true),
            (m, None) => (m, is_true(s, "exclusiveMaximum")),
        };
        let m = f("multipleOf").filter(|m| *m > 0.0);
        // Candidates are k * step; plain numbers use quarter steps so they read as non-integers.
        let step = match (integer, m) {
            (true, Some(m)) => (1..=64).map(|k| k as f64 * m).find(|v| v.fract() == 0.0),
            (false, m) => Some(m.unwrap_or(0.25)),
            (true, None) => None,
        };
        let step = step.unwrap_or(1.0);
        let wide = 100.0 * step.max(1.0);
        let (a, b) = match (lo, hi) {
            (Some(l), Some(h)) => (l, h),
            (Some(l), None) => (l, l + wide),
            (None, Some(h)) if h > 1.0 => (1.0, h.min(wide)),
            (None, Some(h)) => (h - wide, h),
            (None, None) => (1.0, wide),
        };
        let ok = |v: f64| {
            lo.is_none_or(|l| if lx { v > l } else { v >= l })
                && hi.is_none_or(|h| if hx { v < h } else { v <= h })
        };
        let (mut kmin, mut kmax) = ((a / step).ceil(), (b / step).floor());
        for _ in 0..3 {
            kmin += f64::from(u8::from(!ok(kmin * step)));
            kmax -= f64::from(u8::from(!ok(kmax * step)));
        }
        let dec = format!("{step}")
            .split_once('.')
            .map_or(0, |p| p.1.len().min(15));
        let v = if kmin <= kmax && kmin.is_finite() {
            let span = (kmax - kmin + 1.0).min(1e6) as u64;
            let v = (kmin + (self.rand(ptr, "num") % span.max(1)) as f64) * step;
            // Round away binary noise (0.30000000000000004) when that stays in range.
            let rounded = format!("{v:.dec$}").parse().unwrap_or(v);
            [rounded, v][usize::from(!ok(rounded))]
        } else if let (Some(l), Some(h), None, false) = (lo, hi, m, integer) {
            (l + h) / 2.0
        } else {
            a
        };
        let v = if v.is_finite() { v } else { 0.0 };
        match integer {
            true => json!(v as i64),
            false => json!(v),
        }
    }

    fn gen_string(&self, s: &Obj, ptr: &str, key: &str) -> String {
        let minl = get_u(s, "minLength").unwrap_or(0).min(MAX_LEN) as usize;
        let maxl = get_u(s, "maxLength").map(|m| m as usize);
        let fits = |t: &str| (minl..=maxl.unwrap_or(usize::MAX)).contains(&t.chars().count());
        let r = self.rand(ptr, "str");
        if let Some(t) = st(s, "format")
            .and_then(|f| format_value(f, r))
            .filter(|t| fits(t))
        {
            return t;
        }
        if let Some(t) = st(s, "pattern").and_then(|p| Rx::generate(p, r)) {
            return t;
        }
        let desc = st(s, "description").and_then(desc_example);
        let t = desc.or_else(|| self.by_key(key, r));
        let t = t.unwrap_or_else(|| self.phrase(r, 2 + (r >> 8) as usize % 3));
        let mut t = if fits(&t) { t } else { self.phrase(r, 2) };
        let mut i = 0;
        while t.chars().count() < minl {
            t.push(' ');
            t.push_str(pick(FALLBACK_WORDS, r.wrapping_add(i)));
            i += 1;
        }
        if let Some(m) = maxl.filter(|m| t.chars().count() > *m) {
            t = t.chars().take(m).collect();
            if t.trim_end().chars().count() >= minl {
                t.truncate(t.trim_end().len());
            }
        }
        t
    }

    /// A value suggested by the property name, e.g. `city` -> "Paris".
    fn by_key(&self, key: &str, r: u64) -> Option<String> {
        let k = key.to_lowercase();
        let any = |l: &[&str]| l.iter().any(|x| k.contains(x));
        let fmt = |f| format_value(f, r);
        match () {
            _ if any(&["email"]) => fmt("email"),
            _ if any(&["url", "uri", "link", "website", "href"]) => fmt("uri"),
            _ if any(&["city", "location", "place", "destination", "origin"]) => {
                Some(pick(CITIES, r).into())
            }
            _ if any(&["country"]) => Some(pick(&["France", "Japan", "Canada"], r).into()),
            _ if k.ends_with("name") && !any(&["file", "host", "path"]) || any(&["author"]) => {
                Some(pick(NAMES, r).into())
            }
            _ if any(&["date"]) => fmt("date"),
            _ if any(&["phone"]) => Some(format!("+1-555-01{:02}", r % 100)),
            _ if any(&["currency"]) => Some(pick(&["USD", "EUR", "JPY"], r).into()),
            _ if k == "id" || k.ends_with("_id") || key.ends_with("Id") => {
                Some(format!("id_{:06x}", r & 0xff_ffff))
            }
            _ if any(&["query", "search", "prompt", "question", "topic"]) || k == "q" => {
                Some(self.phrase(0, 8))
            }
            _ => None,
        }
    }

    /// `n` consecutive words from the hint (or a fixed list), starting at an offset taken from `r`.
    fn phrase(&self, r: u64, n: usize) -> String {
        let words: Vec<&str> = if self.words.is_empty() {
            FALLBACK_WORDS.to_vec()
        } else {
            self.words.iter().map(String::as_str).collect()
        };
        let n = n.min(words.len());
        let start = (r % (words.len() - n + 1) as u64) as usize;
        words.get(start..start + n).unwrap_or_default().join(" ")
    }

    /// An approximate validator (ignores `format`, `pattern` and `not`), used to pick enum values,
    /// vet examples and keep `oneOf` branches exclusive. Answers `true` when unsure.
    fn quick(&self, v: &Value, s: &Value, depth: usize) -> bool {
        let m = match s {
            Value::Bool(b) => return *b,
            Value::Object(m) if depth < 16 && self.tick() => m,
            _ => return true,
        };
        let d = depth + 1;
        let ok = |x: &Value| self.quick(v, x, d);
        let (any, one, e) = (arr(m, "anyOf"), arr(m, "oneOf"), arr(m, "enum"));
        if st(m, "$ref")
            .and_then(|r| self.lookup(r))
            .is_some_and(|t| !ok(t))
            || !arr(m, "allOf").iter().all(ok)
            || (!any.is_empty() && !any.iter().any(ok))
            || (!one.is_empty() && one.iter().filter(|x| ok(x)).count() != 1)
            || m.get("const").is_some_and(|c| c != v)
            || (!e.is_empty() && !e.contains(v))
        {
            return false;
        }
        let type_ok = |t: &String| match (t.as_str(), v) {
            ("integer", Value::Number(n)) => n.as_f64().is_some_and(|x| x.fract() == 0.0),
            ("number", Value::Number(_)) | ("null", Value::Null) => true,
            ("boolean", Value::Bool(_)) | ("string", Value::String(_)) => true,
            ("array", Value::Array(_)) | ("object", Value::Object(_)) => true,
            _ => false,
        };
        let tys = types(m.get("type"));
        if !tys.is_empty() && !tys.iter().any(type_ok) {
            return false;
        }
        let num = |k: &str| num(m, k);
        let within = |x: f64, lo: &str, hi: &str| {
            !num(lo).is_some_and(|b| x < b) && !num(hi).is_some_and(|b| x > b)
        };
        match v {
            Value::Number(n) => {
                let x = n.as_f64().unwrap_or(0.0);
                let off = |m: f64| ((x / m).round() * m - x).abs() > 1e-9 * x.abs().max(1.0);
                within(x, "minimum", "maximum")
                    && !num("exclusiveMinimum").is_some_and(|b| x <= b)
                    && !num("exclusiveMaximum").is_some_and(|b| x >= b)
                    && !num("multipleOf").filter(|m| *m > 0.0).is_some_and(off)
            }
            Value::String(t) => within(t.chars().count() as f64, "minLength", "maxLength"),
            Value::Array(a) => {
                let prefix = arr(m, "prefixItems");
                let items = m.get("items").filter(|i| !i.is_array());
                let tail = |i: &Value| a.iter().skip(prefix.len()).all(|x| self.quick(x, i, d));
                within(a.len() as f64, "minItems", "maxItems")
                    && prefix.iter().zip(a).all(|(s, x)| self.quick(x, s, d))
                    && items.is_none_or(tail)
            }
            Value::Object(o) => {
                let props = m.get("properties").and_then(Value::as_object);
                let closed = m.get("additionalProperties") == Some(&Value::Bool(false))
                    && !m.contains_key("patternProperties");
                let req = arr(m, "required").iter().filter_map(Value::as_str);
                req.clone().all(|k| o.contains_key(k))
                    && o.iter().all(|(k, x)| match props.and_then(|p| p.get(k)) {
                        Some(ps) => self.quick(x, ps, d),
                        None => !closed,
                    })
            }
            _ => true,
        }
    }
}

mod pattern;
#[cfg(test)]
mod tests;
mod words;

use pattern::Rx;
use words::{desc_example, format_value, hint_words};
