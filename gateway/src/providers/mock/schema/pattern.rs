//! Strings that match a `pattern` keyword: a generator for a common subset of ECMA-262 regexes.

use super::mix;

type CharSet = (bool, Vec<(char, char)>);

/// Generates a string matching a regex written in a common subset of ECMA-262 syntax. Yields
/// `None` for what it does not support (lookaround, backreferences, unicode classes, flags).
pub(super) struct Rx {
    c: Vec<char>,
    i: usize,
    r: u64,
}

impl Rx {
    pub(super) fn generate(pattern: &str, r: u64) -> Option<String> {
        let mut rx = Rx {
            c: pattern.chars().collect(),
            i: 0,
            r,
        };
        rx.alt(0).filter(|_| rx.i == rx.c.len())
    }

    fn rnd(&mut self) -> u64 {
        self.r = mix(self.r.wrapping_add(0x9e37_79b9_7f4a_7c15));
        self.r
    }

    fn peek(&self) -> Option<char> {
        self.c.get(self.i).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek();
        self.i += 1;
        c
    }

    fn alt(&mut self, depth: usize) -> Option<String> {
        let mut outs = vec![self.seq(depth)?];
        while self.peek() == Some('|') {
            self.i += 1;
            outs.push(self.seq(depth)?);
        }
        let k = (self.rnd() % outs.len() as u64) as usize;
        Some(outs.swap_remove(k))
    }

    fn seq(&mut self, depth: usize) -> Option<String> {
        let mut out = String::new();
        while !matches!(self.peek(), None | Some('|' | ')')) {
            let start = self.i;
            let mut piece = self.atom(depth)?;
            let (lo, hi) = self.quant()?;
            let (after, count) = (self.i, if lo > 0 { lo.min(256) } else { hi.min(1) });
            if count == 0 {
                piece.clear();
            }
            // Repeat by re-parsing the atom so each repetition draws fresh characters.
            for _ in 1..count {
                self.i = start;
                piece += &self.atom(depth)?;
                if piece.len() > 10_000 {
                    return None;
                }
            }
            self.i = after;
            out += &piece;
            if out.len() > 10_000 {
                return None;
            }
        }
        Some(out)
    }

    fn quant(&mut self) -> Option<(u32, u32)> {
        let q = match self.peek() {
            Some('*') => (0, 9),
            Some('+') => (1, 9),
            Some('?') => (0, 1),
            Some('{') => {
                let len = self.c.get(self.i..)?.iter().position(|c| *c == '}')?;
                let body: String = self.c.get(self.i + 1..self.i + len)?.iter().collect();
                let (a, b) = body.split_once(',').unwrap_or((&body, &body));
                self.i += len;
                let b = if b.is_empty() { "9" } else { b };
                (a.parse().ok()?, b.parse().ok()?)
            }
            _ => return Some((1, 1)),
        };
        self.i += 1;
        if matches!(self.peek(), Some('?' | '+')) {
            self.i += 1;
        }
        Some(q)
    }

    fn atom(&mut self, depth: usize) -> Option<String> {
        let set = match self.bump()? {
            '^' | '$' => return Some(String::new()),
            '\\' if self.peek() == Some('b') => {
                self.i += 1;
                return Some(String::new());
            }
            '(' if depth < 40 => return self.group(depth),
            '[' => self.class()?,
            '\\' => self.escape()?,
            '.' => (false, vec![('a', 'z')]),
            '*' | '+' | '?' | '{' | '(' | ')' | '|' => return None,
            c => (false, vec![(c, c)]),
        };
        self.pick(set).map(String::from)
    }

    fn group(&mut self, depth: usize) -> Option<String> {
        if self.peek() == Some('?') {
            self.i += 1;
            match self.bump()? {
                ':' => {}
                '<' | 'P' if !matches!(self.peek(), Some('=' | '!')) => {
                    self.i += self.c.get(self.i..)?.iter().position(|c| *c == '>')? + 1;
                }
                _ => return None,
            }
        }
        let s = self.alt(depth + 1)?;
        (self.bump()? == ')').then_some(s)
    }

    fn hex(&mut self, n: usize) -> Option<char> {
        let s: String = self.c.get(self.i..self.i + n)?.iter().collect();
        self.i += n;
        char::from_u32(u32::from_str_radix(&s, 16).ok()?)
    }

    fn escape(&mut self) -> Option<CharSet> {
        let c = self.bump()?;
        let set = match c.to_ascii_lowercase() {
            'd' => vec![('0', '9')],
            'w' => vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')],
            's' => vec![(' ', ' ')],
            _ => {
                let l = match c {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    'u' => self.hex(4)?,
                    'x' => self.hex(2)?,
                    c if c.is_ascii_alphanumeric() => return None,
                    c => c,
                };
                return Some((false, vec![(l, l)]));
            }
        };
        Some((c.is_ascii_uppercase(), set))
    }

    /// A single escaped or plain character inside a class; `None` for `\d`-style sets.
    fn class_char(&mut self, c: char) -> Option<char> {
        if c != '\\' {
            return Some(c);
        }
        match self.escape()? {
            (false, v) if v.len() == 1 && v[0].0 == v[0].1 => Some(v[0].0),
            _ => None,
        }
    }

    fn class(&mut self) -> Option<CharSet> {
        let neg = self.peek() == Some('^');
        self.i += usize::from(neg);
        let mut set = Vec::new();
        while self.peek()? != ']' {
            let start = self.i;
            let c = self.bump()?;
            let Some(lo) = self.class_char(c) else {
                self.i = start + 1;
                match self.escape()? {
                    (false, v) => set.extend(v),
                    _ => return None,
                }
                continue;
            };
            if self.peek() == Some('-') && self.c.get(self.i + 1).is_some_and(|c| *c != ']') {
                self.i += 1;
                let c = self.bump()?;
                set.push((lo, self.class_char(c)?.max(lo)));
            } else {
                set.push((lo, lo));
            }
        }
        self.i += 1;
        Some((neg, set))
    }

    fn pick(&mut self, (neg, set): CharSet) -> Option<char> {
        let inside = |c: &char| set.iter().any(|(a, z)| a <= c && c <= z);
        if neg {
            return "axQ07_-.~@ ".chars().find(|c| !inside(c));
        }
        let (a, z) = *set.get((self.rnd() % set.len().max(1) as u64) as usize)?;
        let span = u64::from(z).saturating_sub(u64::from(a)) + 1;
        char::from_u32(u32::from(a) + (self.rnd() % span) as u32).or(Some(a))
    }
}
