// The page's language as the Intl APIs see it. WebKitGTK takes navigator.language from LANG, and the
// bare "C"/"POSIX" locale of many Linux sessions (and CI machines) turns into a tag such as "C" that
// `new Intl.NumberFormat(navigator.language)` refuses with a RangeError. uPlot does exactly that when its
// module loads, so one bad locale blanked the whole dashboard. This module is imported before anything
// else: it replaces an unusable navigator.language with "en-US" and leaves a valid one alone.

export function usableLanguage(tag: string | undefined | null): string {
  if (!tag) return "en-US";
  try {
    new Intl.NumberFormat(tag);
    return tag;
  } catch {
    return "en-US";
  }
}

if (typeof navigator !== "undefined") {
  const fixed = usableLanguage(navigator.language);
  if (fixed !== navigator.language) {
    Object.defineProperty(navigator, "language", { value: fixed, configurable: true });
  }
}
