// A code block with a copy button and light highlighting (strings, comments, keys, numbers), built as
// elements rather than HTML so nothing in a snippet or a log body can inject markup.

import type { ComponentChildren } from "preact";
import { CopyButton } from "./ui";

type Tok = { t: "str" | "com" | "key" | "num" | "txt"; s: string };

const HASH_COMMENTS = new Set(["yaml", "toml", "bash", "python"]);

export function tokenize(text: string, lang: string): Tok[] {
  const out: Tok[] = [];
  const push = (t: Tok["t"], s: string) => {
    if (!s) return;
    const last = out[out.length - 1];
    if (last && last.t === t && t === "txt") last.s += s;
    else out.push({ t, s });
  };
  let i = 0;
  let lineStart = true;
  while (i < text.length) {
    const c = text[i];
    const rest = text.slice(i);
    const comment = (HASH_COMMENTS.has(lang) && c === "#" && (lineStart || /\s/.test(text[i - 1] ?? " "))) || (lang === "javascript" && rest.startsWith("//"));
    if (comment) {
      const end = text.indexOf("\n", i);
      const stop = end === -1 ? text.length : end;
      push("com", text.slice(i, stop));
      i = stop;
      continue;
    }
    if (c === '"' || (c === "'" && lang !== "steps")) {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      const s = text.slice(i, Math.min(j + 1, text.length));
      const isKey = (lang === "json" && /^\s*:/.test(text.slice(j + 1))) || false;
      push(isKey ? "key" : "str", s);
      i = j + 1;
      lineStart = false;
      continue;
    }
    if ((lang === "yaml" || lang === "toml") && lineStart) {
      const m = /^(\s*(?:- )?)([A-Za-z0-9_.\-[\]]+)(\s*[:=])/.exec(rest);
      if (m) {
        push("txt", m[1]);
        push("key", m[2]);
        push("txt", m[3]);
        i += m[0].length;
        lineStart = false;
        continue;
      }
    }
    if (/[0-9]/.test(c) && !/[A-Za-z0-9_.\-/:]/.test(text[i - 1] ?? " ")) {
      const m = /^[0-9][0-9.]*/.exec(rest);
      if (m && !/[A-Za-z\-/:]/.test(text[i + m[0].length] ?? " ")) {
        push("num", m[0]);
        i += m[0].length;
        lineStart = false;
        continue;
      }
    }
    push("txt", c);
    lineStart = c === "\n" ? true : lineStart && /\s/.test(c);
    i++;
  }
  return out;
}

export function Code({ text, lang = "text", copy = true, testid, children }: { text: string; lang?: string; copy?: boolean; testid?: string; children?: ComponentChildren }) {
  const toks = tokenize(text, lang);
  return (
    <div class="code" data-testid={testid}>
      <pre>
        <code data-lang={lang}>{toks.map((t, i) => (t.t === "txt" ? t.s : <span key={i} class={`tok-${t.t}`}>{t.s}</span>))}</code>
      </pre>
      {copy && <CopyButton text={text} class="code-copy" testid={testid ? `${testid}-copy` : undefined} />}
      {children}
    </div>
  );
}
