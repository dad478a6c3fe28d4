import { describe, expect, it } from "vitest";
import { tokenize } from "./components/code";

const kinds = (text: string, lang: string) => tokenize(text, lang).filter((t) => t.t !== "txt").map((t) => `${t.t}:${t.s}`);

describe("highlighting", () => {
  it("keeps the text intact", () => {
    const text = 'model = "x" # note\n[a.b]\nn = 12\n';
    expect(tokenize(text, "toml").map((t) => t.s).join("")).toBe(text);
  });
  it("finds keys, strings and comments", () => {
    expect(kinds('{"a": "b"}', "json")).toEqual(['key:"a"', 'str:"b"']);
    expect(kinds("name: Switchboard\n  - apiBase: \"u\" # c", "yaml")).toEqual(["key:name", "key:apiBase", 'str:"u"', "com:# c"]);
    expect(kinds("export A=1 # x", "bash")).toEqual(["num:1", "com:# x"]);
  });
  it("does not take a # inside a word or a URL for a comment", () => {
    expect(kinds("curl http://h/#frag", "bash")).toEqual([]);
  });
});
