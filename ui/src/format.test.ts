import { describe, expect, it } from "vitest";
import { ago, bucketize, bytes, count, ms, prettyBody, statusClass, usd } from "./format";
import { pageOf, hrefOf } from "./router";
import { errorMessage, withQuery } from "./api";

describe("format", () => {
  it("durations", () => {
    expect(ms(null)).toBe("—");
    expect(ms(0.5)).toBe("0.50 ms");
    expect(ms(412.4)).toBe("412 ms");
    expect(ms(1234)).toBe("1.23 s");
    expect(ms(75_000)).toBe("1 min 15 s");
  });
  it("sizes, counts, money", () => {
    expect(bytes(512)).toBe("512 B");
    expect(bytes(1536)).toBe("1.5 KB");
    expect(bytes(50 * 1024 * 1024)).toBe("50 MB");
    expect(count(999)).toBe("999");
    expect(count(1500)).toBe("1.5k");
    expect(count(2_500_000)).toBe("2.5M");
    expect(usd(0)).toBe("$0");
    expect(usd(0.00123)).toBe("$0.0012");
    expect(usd(3.456)).toBe("$3.46");
  });
  it("relative times and statuses", () => {
    expect(ago(1000, 2000)).toBe("just now");
    expect(ago(0, 125_000)).toBe("2 min ago");
    expect(statusClass(200)).toBe("ok");
    expect(statusClass(429)).toBe("warn");
    expect(statusClass(502)).toBe("err");
    expect(statusClass(0)).toBe("err");
  });
  it("pretty bodies", () => {
    expect(prettyBody('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyBody("data: {}\n\n")).toBe("data: {}\n\n");
    expect(prettyBody("{broken")).toBe("{broken");
  });
  it("buckets requests, with empty buckets and p95", () => {
    const recs = [
      { started_at: 60_000, latency_ms: 10, status: 200 },
      { started_at: 61_000, latency_ms: 30, status: 500 },
      { started_at: 185_000, latency_ms: 5, status: 200 },
    ];
    const b = bucketize(recs, 60, 60_000, 240_000);
    expect(b.map((x) => x.requests)).toEqual([2, 0, 1]);
    expect(b[0].errors).toBe(1);
    expect(b[0].avgLatency).toBe(20);
    expect(b[0].p95Latency).toBe(30);
    expect(b[1].avgLatency).toBeNull();
    expect(b[0].t).toBe(60);
  });
});

describe("router", () => {
  it("maps paths to pages", () => {
    expect(pageOf("/ui/")).toBe("overview");
    expect(pageOf("/ui")).toBe("overview");
    expect(pageOf("/ui/logs")).toBe("logs");
    expect(pageOf("/ui/keys/")).toBe("keys");
    expect(pageOf("/ui/nope")).toBe("overview");
    expect(hrefOf("overview")).toBe("/ui/");
    expect(hrefOf("logs", { id: "r1" })).toBe("/ui/logs?id=r1");
  });
});

describe("api", () => {
  it("keeps the gateway's error message", () => {
    const e = errorMessage(400, '{"error":{"message":"no provider \'x\'","type":"invalid_request_error","param":"id"}}');
    expect(e.message).toBe("no provider 'x'");
    expect(e.status).toBe(400);
    expect(e.param).toBe("id");
    expect(errorMessage(502, "Bad gateway").message).toBe("Bad gateway");
    expect(errorMessage(500, "").message).toContain("500");
  });
  it("builds queries without empty values", () => {
    expect(withQuery("/admin/logs", { status: "5xx", q: "", limit: 50, x: undefined })).toBe("/admin/logs?status=5xx&limit=50");
    expect(withQuery("/x")).toBe("/x");
  });
});
