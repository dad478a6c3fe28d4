//! Export, aggregates, retention, clearing and crash safety of the request log.

use std::time::{Duration, Instant};

use super::*;

#[test]
fn csv_fields_are_quoted_and_formulas_defused() {
    let field = |v: &str| {
        let mut s = String::new();
        export::csv_field(&mut s, v);
        s
    };
    assert_eq!(field("plain"), "plain");
    assert_eq!(field(""), "");
    assert_eq!(field("a,b"), "\"a,b\"");
    assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(field("two\nlines"), "\"two\nlines\"");
    assert_eq!(field("cr\rhere"), "\"cr\rhere\"");
    assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    assert_eq!(field("@SUM(A1)"), "\"'@SUM(A1)\"");
    assert_eq!(field("-1+2"), "\"'-1+2\"");
    assert_eq!(field("naïve, ok"), "\"naïve, ok\"");
}

#[test]
fn csv_export_has_a_header_and_one_quoted_row_per_request() {
    let (store, _dir) = open("csv", no_retention());
    let mut r = rec("req_1", 1_738_000_000_123);
    r.error_message = Some("bad \"thing\",\nsecond line".into());
    r.client = "=cmd".into();
    insert(&store, &[r]);
    let mut export = Export::new(
        Filter::default(),
        ExportFormat::Csv,
        false,
        PriceTable::default(),
    );
    let mut text = String::new();
    while let Some(chunk) = export.next_chunk(&store).unwrap_or_else(|e| panic!("{e}")) {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let header = "id,time,started_at,client,key_name,method,endpoint,requested_model,provider,upstream_model,stream,status,error_type,error_message,latency_ms,ttft_ms,upstream_ms,tokens_in,tokens_out,tokens_estimated,cost_usd,attempts,bytes_in,bytes_out,client_disconnected\r\n";
    assert!(text.starts_with(header), "{text}");
    let row = &text[header.len()..];
    assert_eq!(
        row,
        "req_1,2025-01-27T17:46:40.123Z,1738000000123,\"'=cmd\",,POST,/v1/chat/completions,gpt-4o,openai,gpt-4o-2024-08-06,false,200,,\"bad \"\"thing\"\",\nsecond line\",100.000,,,10,20,false,0.000225,\"[{\"\"provider\"\":\"\"openai\"\",\"\"model\"\":\"\"gpt-4o-2024-08-06\"\",\"\"outcome\"\":\"\"ok\"\",\"\"status\"\":200,\"\"ms\"\":90.0}]\",0,0,false\r\n"
    );
}

#[test]
fn export_of_many_rows_streams_in_bounded_chunks() {
    let (store, _dir) = open("export", no_retention());
    let total = 12_000;
    let batch: Vec<RequestRecord> = (0..total)
        .map(|i| rec(&format!("req_{i:06}"), 1_000_000 + i as i64))
        .collect();
    for chunk in batch.chunks(512) {
        insert(&store, chunk);
    }
    for format in [ExportFormat::Jsonl, ExportFormat::Csv] {
        let mut export = Export::new(Filter::default(), format, false, PriceTable::default())
            .with_chunk_rows(500);
        let (mut chunks, mut lines, mut largest, mut bytes) = (0, 0, 0, 0);
        let mut first_line = None;
        let mut ids = HashSet::new();
        while let Some(chunk) = export.next_chunk(&store).unwrap_or_else(|e| panic!("{e}")) {
            chunks += 1;
            largest = largest.max(chunk.len());
            bytes += chunk.len();
            let text = String::from_utf8_lossy(&chunk);
            for line in text.lines() {
                lines += 1;
                if format == ExportFormat::Jsonl {
                    let v: serde_json::Value =
                        serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
                    ids.insert(v["id"].as_str().unwrap_or("").to_owned());
                    first_line.get_or_insert(v["id"].as_str().unwrap_or("").to_owned());
                }
            }
        }
        let header = usize::from(format == ExportFormat::Csv);
        assert_eq!(lines, total + header, "{format:?}");
        assert_eq!(chunks, total / 500, "{format:?}");
        // Each chunk holds 500 rows of a few hundred bytes: memory is bounded by the chunk, not the
        // export.
        assert!(largest < 400 * 1024, "{format:?}: largest chunk {largest}");
        assert!(
            bytes > 10 * largest,
            "{format:?}: {bytes} in chunks of {largest}"
        );
        if format == ExportFormat::Jsonl {
            assert_eq!(ids.len(), total);
            assert_eq!(first_line.as_deref(), Some("req_011999"), "newest first");
        }
    }
}

#[test]
fn aggregates_count_tokens_latency_and_cost_per_group() {
    let (store, _dir) = open("stats", no_retention());
    let prices = PriceTable::default();
    let day = 86_400_000;
    let base = 1_737_936_000_000; // 2025-01-27T00:00:00Z
    let mut records = Vec::new();
    // 20 gpt-4o requests from Cursor on day one, latencies 1..=20 ms, one million tokens each way
    // in total.
    for i in 0..20 {
        let mut r = rec(&format!("a{i}"), base + i * 1000);
        r.client = "Cursor".into();
        r.latency_ms = (i + 1) as f64;
        r.tokens_in = Some(50_000);
        r.tokens_out = Some(50_000);
        records.push(r);
    }
    // Day two: a free mock request streamed, an unpriced local model, and an error without tokens.
    let mut r = rec("m", base + day + 1000);
    r.provider = Some("mock".into());
    r.upstream_model = Some("mock-gpt-3.5-turbo".into());
    r.stream = true;
    r.ttft_ms = Some(30.0);
    r.latency_ms = 40.0;
    records.push(r);
    let mut r = rec("q", base + day + 2000);
    r.provider = Some("vllm".into());
    r.upstream_model = Some("Qwen/Qwen2.5-7B".into());
    r.latency_ms = 60.0;
    records.push(r);
    let mut r = rec("e", base + day + 3000);
    r.status = 502;
    r.tokens_in = None;
    r.tokens_out = None;
    r.latency_ms = 80.0;
    records.push(r);
    insert(&store, &records);

    let stats = store
        .stats(&Filter::default(), GroupBy::Provider, 0, &prices)
        .unwrap_or_else(|e| panic!("{e}"));
    let by: std::collections::HashMap<Option<String>, &StatsRow> =
        stats.groups.iter().map(|g| (g.key.clone(), g)).collect();
    let openai = by[&Some("openai".into())];
    assert_eq!(
        (
            openai.requests,
            openai.errors,
            openai.tokens_in,
            openai.tokens_out
        ),
        (21, 1, 1_000_000, 1_000_000)
    );
    // $2.50 + $10 per million at gpt-4o prices.
    assert!((openai.cost_usd - 12.5).abs() < 1e-9, "{}", openai.cost_usd);
    assert_eq!(openai.unpriced_requests, 0);
    // Nearest rank: the 20th of 21 sorted latencies (1..=20, 80) is 20.
    assert_eq!(openai.p95_latency_ms, Some(20.0));
    let mock = by[&Some("mock".into())];
    assert_eq!((mock.cost_usd, mock.avg_ttft_ms), (0.0, Some(30.0)));
    let vllm = by[&Some("vllm".into())];
    assert_eq!((vllm.cost_usd, vllm.unpriced_requests), (0.0, 1));
    assert_eq!(
        stats.groups[0].key.as_deref(),
        Some("openai"),
        "largest first"
    );
    assert_eq!(stats.total.requests, 23);
    assert_eq!(stats.total.errors, 1);
    assert!((stats.total.cost_usd - 12.5).abs() < 1e-9);
    assert_eq!(stats.total.unpriced_requests, 1);
    assert_eq!(stats.total.p95_latency_ms, Some(60.0));
    assert_eq!(stats.total.first_at, Some(base));

    let days = store
        .stats(&Filter::default(), GroupBy::Day, 0, &prices)
        .unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<_> = days.groups.iter().map(|g| g.key.clone()).collect();
    assert_eq!(
        keys,
        [Some("2025-01-27".to_owned()), Some("2025-01-28".to_owned())]
    );
    assert_eq!(days.groups[0].requests, 20);
    // Seen from UTC-1, the first requests fall on the day before.
    let shifted = store
        .stats(&Filter::default(), GroupBy::Day, -60, &prices)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(shifted.groups[0].key.as_deref(), Some("2025-01-26"));

    let models = store
        .stats(&Filter::default(), GroupBy::Model, 0, &prices)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        models.groups[0].key.as_deref(),
        Some("gpt-4o-2024-08-06"),
        "the upstream model"
    );
    let clients = store
        .stats(
            &Filter {
                status: StatusMatch::parse_list("2xx").unwrap_or_default(),
                ..Filter::default()
            },
            GroupBy::Client,
            0,
            &prices,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<_> = clients
        .groups
        .iter()
        .map(|g| (g.key.clone().unwrap_or_default(), g.requests))
        .collect();
    assert_eq!(
        keys,
        [("Cursor".to_owned(), 20), ("curl/8.5.0".to_owned(), 2)]
    );
}

#[test]
fn retention_keeps_the_newest_rows_up_to_the_limit() {
    let (store, _dir) = open(
        "retain-count",
        StoreSettings {
            max_rows: Some(100),
            max_age: None,
            retention_every_batches: 1000,
            retention_interval: Duration::from_secs(3600),
        },
    );
    let now = now_ms();
    for b in 0..5 {
        let batch: Vec<RequestRecord> = (0..50)
            .map(|i| {
                let mut r = rec(&format!("r{:03}", b * 50 + i), now + b * 50 + i);
                r.response_body = Some("x".repeat(2000));
                r
            })
            .collect();
        store.write_batch(&batch).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(store.count().unwrap_or(0), 250, "not due yet");
    assert_eq!(store.apply_retention().unwrap_or(0), 150);
    let left = all_ids(&store, &Filter::default());
    assert_eq!(left.len(), 100);
    assert_eq!(left.first().map(String::as_str), Some("r249"));
    assert_eq!(left.last().map(String::as_str), Some("r150"));
    let orphans: i64 = lock(&store.writer)
        .conn
        .query_row(
            "SELECT COUNT(*) FROM bodies WHERE seq NOT IN (SELECT seq FROM requests)",
            [],
            |r| r.get(0),
        )
        .unwrap_or(-1);
    assert_eq!(orphans, 0, "bodies go with their request");

    // Retention also runs by itself every N batches.
    store.set_settings(StoreSettings {
        max_rows: Some(100),
        max_age: None,
        retention_every_batches: 2,
        retention_interval: Duration::from_secs(3600),
    });
    for b in 5..7 {
        let batch: Vec<RequestRecord> = (0..50)
            .map(|i| rec(&format!("r{:03}", b * 50 + i), now + b * 50 + i))
            .collect();
        store.write_batch(&batch).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(store.count().unwrap_or(0), 100);

    // … and when its interval has passed, however few batches came.
    store.set_settings(StoreSettings {
        max_rows: Some(10),
        max_age: None,
        retention_every_batches: 1000,
        retention_interval: Duration::ZERO,
    });
    store
        .write_batch(&[rec("last", now + 10_000)])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(store.count().unwrap_or(0), 10);
}

#[test]
fn retention_drops_requests_older_than_the_age_limit() {
    let dir = temp_dir("retain-age");
    let now = now_ms();
    {
        let store = SqliteStore::open(&dir, no_retention()).unwrap_or_else(|e| panic!("{e}"));
        let records: Vec<RequestRecord> = (0..10)
            .map(|i| rec(&format!("r{i}"), now - i * 3_600_000))
            .collect();
        insert(&store, &records);
    }
    let settings = StoreSettings {
        max_rows: None,
        max_age: Some(Duration::from_secs(4 * 3600 + 60)),
        ..StoreSettings::default()
    };
    // Retention runs at open.
    let store = SqliteStore::open(&dir, settings).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        all_ids(&store, &Filter::default()),
        ["r0", "r1", "r2", "r3", "r4"]
    );
}

#[test]
fn clear_deletes_everything_and_shrinks_the_file() {
    let (store, dir) = open("clear", no_retention());
    let batch: Vec<RequestRecord> = (0..2000)
        .map(|i| {
            let mut r = rec(&format!("r{i}"), i);
            r.request_body = Some(format!("secret prompt {i} {}", "y".repeat(500)));
            r
        })
        .collect();
    insert(&store, &batch);
    let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let wal = dir.join(format!("{FILE_NAME}-wal"));
    let before = size(&dir.join(FILE_NAME)) + size(&wal);
    assert_eq!(store.clear().unwrap_or(0), 2000);
    assert_eq!(store.count().unwrap_or(1), 0);
    let after = size(&dir.join(FILE_NAME)) + size(&wal);
    assert!(after < before / 4, "{before} → {after}");
    assert_eq!(size(&wal), 0, "the WAL is truncated");
    let raw = std::fs::read(dir.join(FILE_NAME)).unwrap_or_default();
    assert!(
        !raw.windows(13).any(|w| w == b"secret prompt"),
        "cleared bodies leave no trace in the file"
    );
}

/// Not a test on its own: the child process of `kill_9_mid_write_never_corrupts_the_log`, which
/// runs it with `SB_STORE_CRASH_DIR` set. It writes batches of 512 until it is killed.
#[test]
fn crash_child_writer() {
    let Ok(dir) = std::env::var("SB_STORE_CRASH_DIR") else {
        return;
    };
    let round = std::env::var("SB_STORE_CRASH_ROUND").unwrap_or_default();
    let store = SqliteStore::open(std::path::Path::new(&dir), no_retention())
        .unwrap_or_else(|e| panic!("child open: {e}"));
    // Bounded, in case the parent died without killing it.
    let started = Instant::now();
    for b in 0.. {
        if started.elapsed() > Duration::from_secs(60) {
            break;
        }
        let batch: Vec<RequestRecord> = (0..512)
            .map(|i| {
                let mut r = rec(&format!("r{round}_{b}_{i}"), now_ms());
                r.request_body = Some(format!("{{\"batch\":{b},\"i\":{i}}}"));
                r.response_body = Some("z".repeat(300));
                r
            })
            .collect();
        store
            .write_batch(&batch)
            .unwrap_or_else(|e| panic!("child write: {e}"));
    }
}

#[test]
fn kill_9_mid_write_never_corrupts_the_log() {
    let dir = temp_dir("kill9");
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let mut last = 0;
    for round in 0..5 {
        let mut child = std::process::Command::new(&exe)
            .args([
                "--exact",
                "observe::store::tests::files::crash_child_writer",
                "--test-threads=1",
                "--nocapture",
            ])
            .env("SB_STORE_CRASH_DIR", &dir)
            .env("SB_STORE_CRASH_ROUND", round.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn: {e}"));
        // Wait until the child has written a few batches past what was there, then kill it at a
        // random point of a write.
        let started = Instant::now();
        let count = || -> i64 {
            rusqlite::Connection::open(dir.join(FILE_NAME))
                .and_then(|c| {
                    c.busy_timeout(Duration::from_secs(5))?;
                    c.query_row("SELECT COUNT(*) FROM requests", [], |r| r.get(0))
                })
                .unwrap_or(0)
        };
        while count() < last + 3 * 512 {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the child wrote nothing"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(fastrand::u64(0..40)));
        child.kill().unwrap_or_else(|e| panic!("kill: {e}")); // SIGKILL on Unix
        let _ = child.wait();

        let store = SqliteStore::open(&dir, no_retention())
            .unwrap_or_else(|e| panic!("reopen after kill -9: {e}"));
        let check: String = lock(&store.writer)
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(check, "ok", "round {round}");
        let rows = store
            .rows(&Filter::default(), None, 1_000_000, true)
            .unwrap_or_else(|e| panic!("rows unreadable after kill -9: {e}"));
        let n = rows.len() as i64;
        assert_eq!(n % 512, 0, "whole batches only: {n} rows");
        assert!(n >= last + 3 * 512, "committed batches survive: {n}");
        assert!(rows
            .iter()
            .all(|(r, has)| *has && r.request_body.is_some() && r.response_body.is_some()));
        last = n;
    }
}

/// Insert rate for batches of 512 (run with `--ignored --nocapture`; numbers depend on the build
/// profile: the bundled SQLite is compiled without optimisation in dev builds).
#[test]
#[ignore = "measurement, not a check"]
fn insert_rate_for_batches_of_512() {
    let (store, _dir) = open("rate", StoreSettings::default());
    let now = now_ms();
    // Enough rows to go past the default 100,000-row limit, so retention runs as in a long day.
    let batches = 400;
    let data: Vec<Vec<RequestRecord>> = (0..batches)
        .map(|b| {
            (0..512)
                .map(|i| {
                    let at = now + (b * 512 + i) / 16;
                    rec(&crate::observe::new_request_id(at), at)
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    for batch in &data {
        store.write_batch(batch).unwrap_or_else(|e| panic!("{e}"));
    }
    let secs = started.elapsed().as_secs_f64();
    let rows = (batches * 512) as f64;
    println!(
        "inserted {rows} rows in batches of 512 in {secs:.3} s: {:.0} rows/s, {:.2} ms per batch",
        rows / secs,
        secs * 1000.0 / batches as f64
    );
    let prices = PriceTable::default();
    let t = Instant::now();
    let _ = store.query(&Filter::default(), None, 50, &prices);
    let first_page = t.elapsed();
    let t = Instant::now();
    let _ = store.stats(&Filter::default(), GroupBy::Model, 0, &prices);
    let stats = t.elapsed();
    let t = Instant::now();
    let _ = store.query(
        &Filter {
            text: Some("nothing".into()),
            ..Filter::default()
        },
        None,
        50,
        &prices,
    );
    let scan = t.elapsed();
    let deep = Cursor {
        started_at: now + 1000,
        id: "r1_488".into(),
    };
    let t = Instant::now();
    let _ = store.query(&Filter::default(), Some(&deep), 50, &prices);
    let deep_page = t.elapsed();
    let by_provider = Filter {
        provider: Some("openai".into()),
        status: StatusMatch::parse_list("5xx").unwrap_or_default(),
        ..Filter::default()
    };
    let t = Instant::now();
    let _ = store.query(&by_provider, None, 50, &prices);
    let filtered = t.elapsed();
    let t = Instant::now();
    let mut export = Export::new(Filter::default(), ExportFormat::Csv, false, prices.clone());
    let mut bytes = 0;
    while let Ok(Some(chunk)) = export.next_chunk(&store) {
        bytes += chunk.len();
    }
    let exported = t.elapsed();
    println!("over {rows} rows: first page {first_page:?}, page after a cursor {deep_page:?}, provider+5xx (no match) {filtered:?}, stats by model {stats:?}, full-text miss {scan:?}, CSV export {bytes} bytes in {exported:?}");
    let (conditions, mut params) = Filter::default().sql();
    params.push(rusqlite::types::Value::Integer(1));
    params.push(rusqlite::types::Value::Text("x".into()));
    let plan: Vec<String> = lock(&store.writer)
        .conn
        .prepare(&format!(
            "EXPLAIN QUERY PLAN SELECT r.id FROM requests r WHERE {conditions} AND (r.started_at, r.id) < (?, ?) ORDER BY r.started_at DESC, r.id DESC LIMIT 50"
        ))
        .and_then(|mut s| {
            s.query_map(rusqlite::params_from_iter(params), |r| r.get::<_, String>(3))?
                .collect()
        })
        .unwrap_or_default();
    println!("cursor page plan: {plan:?}");
}
