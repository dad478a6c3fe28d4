import { describe, expect, it } from "vitest";
import { usableLanguage } from "./locale";

describe("usableLanguage", () => {
  it("keeps a valid language tag", () => {
    expect(usableLanguage("de-DE")).toBe("de-DE");
    expect(usableLanguage("en")).toBe("en");
  });

  it("replaces what Intl refuses (the C locale, junk) and a missing tag with en-US", () => {
    expect(() => new Intl.NumberFormat("C")).toThrow(RangeError);
    expect(usableLanguage("C")).toBe("en-US");
    expect(usableLanguage("not a tag")).toBe("en-US");
    expect(usableLanguage("")).toBe("en-US");
    expect(usableLanguage(undefined)).toBe("en-US");
  });
});
