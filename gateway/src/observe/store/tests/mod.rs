//! Tests of the request log against real SQLite files in temporary directories.

use std::collections::HashSet;
use std::path::PathBuf;

use super::*;

mod files;
use crate::observe::prices::PriceTable;
use crate::observe::Attempt;

pub(super) fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "sb-store-{tag}-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir: {e}"));
    dir
}

pub(super) fn no_retention() -> StoreSettings {
    StoreSettings {
        max_rows: None,
        max_age: None,
        ..StoreSettings::default()
    }
}

pub(super) fn open(tag: &str, settings: StoreSettings) -> (SqliteStore, PathBuf) {
    let dir = temp_dir(tag);
    let store = SqliteStore::open(&dir, settings).unwrap_or_else(|e| panic!("open: {e}"));
    (store, dir)
}

pub(super) fn rec(id: &str, started_at: i64) -> RequestRecord {
    RequestRecord {
        id: id.into(),
        started_at,
        client: "curl/8.5.0".into(),
        method: "POST".into(),
        endpoint: "/v1/chat/completions".into(),
        requested_model: Some("gpt-4o".into()),
        provider: Some("openai".into()),
        upstream_model: Some("gpt-4o-2024-08-06".into()),
        status: 200,
        latency_ms: 100.0,
        tokens_in: Some(10),
        tokens_out: Some(20),
        attempts: vec![Attempt {
            provider: "openai".into(),
            model: "gpt-4o-2024-08-06".into(),
            outcome: "ok".into(),
            status: Some(200),
            ms: 90.0,
        }],
        ..RequestRecord::default()
    }
}

pub(super) fn ids(page: &Page) -> Vec<String> {
    page.data.iter().map(|l| l.record.id.clone()).collect()
}

pub(super) fn all_ids(store: &SqliteStore, filter: &Filter) -> Vec<String> {
    store
        .rows(filter, None, 100_000, false)
        .unwrap_or_else(|e| panic!("rows: {e}"))
        .into_iter()
        .map(|(r, _)| r.id)
        .collect()
}

pub(super) fn insert(store: &SqliteStore, records: &[RequestRecord]) {
    store
        .insert(records)
        .unwrap_or_else(|e| panic!("insert: {e}"));
}

#[test]
fn open_creates_a_private_wal_database_with_the_current_schema() {
    let (store, dir) = open("open", StoreSettings::default());
    let conn = rusqlite::Connection::open(dir.join(FILE_NAME)).unwrap_or_else(|e| panic!("{e}"));
    let pragma = |name: &str| -> String {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| {
            r.get::<_, rusqlite::types::Value>(0)
        })
        .map(|v| format!("{v:?}"))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    assert_eq!(pragma("journal_mode"), "Text(\"wal\")");
    assert_eq!(
        pragma("user_version"),
        format!("Integer({})", schema::VERSION)
    );
    assert_eq!(pragma("auto_vacuum"), "Integer(2)", "incremental");
    let sync: i64 = lock(&store.writer)
        .conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sync, 1, "NORMAL");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(FILE_NAME))
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o600);
    }
    drop(store);
    // Reopening an up-to-date log changes nothing.
    SqliteStore::open(&dir, StoreSettings::default()).unwrap_or_else(|e| panic!("reopen: {e}"));
}

#[test]
fn an_older_log_is_migrated_in_place_and_keeps_its_rows() {
    let (store, dir) = open("migrate", no_retention());
    insert(&store, &[rec("kept", 1_000)]);
    drop(store);
    // Put the file back to how version 2 left it: the provider and status indexes, user_version 2.
    {
        let conn =
            rusqlite::Connection::open(dir.join(FILE_NAME)).unwrap_or_else(|e| panic!("{e}"));
        conn.execute_batch(
            "CREATE INDEX requests_provider ON requests (provider, started_at);
             CREATE INDEX requests_status ON requests (status, started_at);
             PRAGMA user_version = 2;",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let store = SqliteStore::open(&dir, no_retention()).unwrap_or_else(|e| panic!("reopen: {e}"));
    let conn = lock(&store.writer);
    let version: i64 = conn
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(version, schema::VERSION);
    let indexes: Vec<String> = conn
        .conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(indexes, vec!["requests_started".to_string()]);
    drop(conn);
    assert_eq!(
        all_ids(&store, &Filter::default()),
        vec!["kept".to_string()]
    );
}

#[test]
fn request_ids_sort_by_time() {
    let ids: Vec<String> = [
        1_700_000_000_000i64,
        1_700_000_000_001,
        1_700_000_000_001,
        1_800_000_000_000,
    ]
    .iter()
    .map(|&t| crate::observe::new_request_id(t))
    .collect();
    for id in &ids {
        assert_eq!(id.len(), 26, "{id}");
        assert!(
            id.starts_with("req_") && id[4..].bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
    }
    assert!(
        ids[0] < ids[1] && ids[0] < ids[2] && ids[2] < ids[3],
        "{ids:?}"
    );
    assert_ne!(
        ids[1], ids[2],
        "the random part tells apart ids of the same millisecond"
    );
}

#[test]
fn a_log_from_a_newer_build_is_refused_and_a_broken_file_is_moved_aside() {
    let dir = temp_dir("versions");
    let path = dir.join(FILE_NAME);
    {
        let conn = rusqlite::Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
        conn.pragma_update(None, "user_version", 99)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let err = SqliteStore::open(&dir, StoreSettings::default()).err();
    assert!(
        matches!(err, Some(StoreError::NewerSchema { found: 99, .. })),
        "{err:?}"
    );
    let _ = std::fs::remove_file(&path);
    std::fs::write(
        &path,
        b"this is not a database, just some text that is long enough",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let store = SqliteStore::open(&dir, StoreSettings::default())
        .unwrap_or_else(|e| panic!("a broken file must not stop the log: {e}"));
    insert(&store, &[rec("a", 1)]);
    let moved = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().contains(".broken-"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(moved, 1);
}

#[test]
fn records_round_trip_and_bodies_are_kept_apart() {
    let (store, _dir) = open("roundtrip", no_retention());
    let prices = PriceTable::default();
    let mut with_bodies = rec("b", 2000);
    with_bodies.request_body = Some("{\"messages\":[]}".into());
    with_bodies.response_body = Some("hello".into());
    with_bodies.key_name = Some("laptop".into());
    with_bodies.ttft_ms = Some(12.5);
    with_bodies.stream = true;
    with_bodies.tokens_estimated = true;
    with_bodies.bytes_in = 42;
    with_bodies.bytes_out = u64::MAX;
    let mut odd = rec("c", 3000);
    odd.latency_ms = f64::NAN;
    odd.ttft_ms = Some(f64::INFINITY);
    odd.tokens_in = None;
    odd.tokens_out = None;
    insert(&store, &[rec("a", 1000), with_bodies.clone(), odd]);
    // A second write of the same id is skipped, not a failed batch.
    insert(&store, &[rec("a", 5000), rec("d", 4000)]);
    assert_eq!(store.count().unwrap_or(0), 4);

    let got = store
        .get("b", &prices)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("b is stored"));
    assert!(got.has_bodies);
    assert_eq!(got.record.request_body, with_bodies.request_body);
    assert_eq!(got.record.response_body.as_deref(), Some("hello"));
    assert_eq!(got.record.key_name.as_deref(), Some("laptop"));
    assert_eq!(got.record.attempts, with_bodies.attempts);
    assert_eq!(
        (
            got.record.stream,
            got.record.tokens_estimated,
            got.record.ttft_ms
        ),
        (true, true, Some(12.5))
    );
    assert_eq!(got.record.bytes_out, i64::MAX as u64);
    // gpt-4o: 10 in at $2.50/M + 20 out at $10/M.
    let cost = got.cost_usd.unwrap_or(-1.0);
    assert!((cost - 0.000225).abs() < 1e-12, "{cost}");

    let odd = store
        .get("c", &prices)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("c is stored"));
    assert_eq!((odd.record.latency_ms, odd.record.ttft_ms), (0.0, None));
    assert_eq!(odd.cost_usd, None, "no tokens, no cost");
    assert!(!odd.has_bodies);
    assert!(store
        .get("nope", &prices)
        .unwrap_or_else(|e| panic!("{e}"))
        .is_none());

    let page = store
        .query(&Filter::default(), None, 10, &prices)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids(&page), ["d", "c", "b", "a"]);
    assert!(page.data.iter().all(|l| l.record.request_body.is_none()));
    assert!(page.data[2].has_bodies);
    assert_eq!(page.next_cursor, None);
}

pub(super) fn filter_fixture() -> Vec<RequestRecord> {
    let mut v = Vec::new();
    let mut r = rec("req_ok_openai", 1_000);
    r.client = "openai-python/1.54.3".into();
    v.push(r);
    let mut r = rec("req_429", 2_000);
    r.status = 429;
    r.error_type = Some("rate_limit_error".into());
    r.error_message = Some("Rate limit reached for 100% of quota_x".into());
    r.client = "Cursor".into();
    v.push(r);
    let mut r = rec("req_502_vllm", 3_000);
    r.status = 502;
    r.provider = Some("vllm".into());
    r.requested_model = Some("qwen".into());
    r.upstream_model = Some("Qwen/Qwen2.5-7B".into());
    r.error_message = Some("could not connect".into());
    r.client = "OpenAI-Python/1.0".into();
    v.push(r);
    let mut r = rec("req_mock", 4_000);
    r.provider = Some("mock".into());
    r.requested_model = Some("mock-gpt-3.5-turbo".into());
    r.upstream_model = Some("mock-gpt-3.5-turbo".into());
    r.endpoint = "/v1/embeddings".into();
    r.key_name = Some("ci".into());
    r.client = "openai-pythonic".into();
    v.push(r);
    let mut r = rec("req_400", 5_000);
    r.status = 400;
    r.provider = None;
    r.upstream_model = None;
    r.requested_model = Some("gpt-4o".into());
    v.push(r);
    v
}

#[test]
fn filters_select_the_same_rows_in_sql_and_in_memory() {
    let (store, _dir) = open("filters", no_retention());
    let records = filter_fixture();
    insert(&store, &records);
    let status = |s: &str| StatusMatch::parse_list(s).unwrap_or_else(|e| panic!("{e}"));
    let some = |s: &str| Some(s.to_owned());
    let cases: Vec<(Filter, Vec<&str>)> = vec![
        (
            Filter::default(),
            vec![
                "req_400",
                "req_mock",
                "req_502_vllm",
                "req_429",
                "req_ok_openai",
            ],
        ),
        (
            Filter {
                since: Some(2_000),
                until: Some(4_000),
                ..Filter::default()
            },
            vec!["req_502_vllm", "req_429"],
        ),
        (
            Filter {
                status: status("2xx"),
                ..Filter::default()
            },
            vec!["req_mock", "req_ok_openai"],
        ),
        (
            Filter {
                status: status("4xx"),
                ..Filter::default()
            },
            vec!["req_400", "req_429"],
        ),
        (
            Filter {
                status: status("5xx,429"),
                ..Filter::default()
            },
            vec!["req_502_vllm", "req_429"],
        ),
        (
            Filter {
                status: status("error"),
                ..Filter::default()
            },
            vec!["req_400", "req_502_vllm", "req_429"],
        ),
        (
            Filter {
                provider: some("vllm"),
                ..Filter::default()
            },
            vec!["req_502_vllm"],
        ),
        (
            Filter {
                model: some("gpt-4o"),
                ..Filter::default()
            },
            vec!["req_400", "req_429", "req_ok_openai"],
        ),
        (
            Filter {
                model: some("Qwen/Qwen2.5-7B"),
                ..Filter::default()
            },
            vec!["req_502_vllm"],
        ),
        (
            Filter {
                client: some("openai-python"),
                ..Filter::default()
            },
            vec!["req_502_vllm", "req_ok_openai"],
        ),
        (
            Filter {
                client: some("Cursor"),
                ..Filter::default()
            },
            vec!["req_429"],
        ),
        (
            Filter {
                endpoint: some("/v1/embeddings"),
                ..Filter::default()
            },
            vec!["req_mock"],
        ),
        (
            Filter {
                key: some("ci"),
                ..Filter::default()
            },
            vec!["req_mock"],
        ),
        (
            Filter {
                text: some("RATE limit"),
                ..Filter::default()
            },
            vec!["req_429"],
        ),
        (
            Filter {
                text: some("100%"),
                ..Filter::default()
            },
            vec!["req_429"],
        ),
        (
            Filter {
                text: some("quota_x"),
                ..Filter::default()
            },
            vec!["req_429"],
        ),
        (
            Filter {
                text: some("a_x"),
                ..Filter::default()
            },
            vec!["req_429"],
        ),
        (
            Filter {
                text: some("%"),
                ..Filter::default()
            },
            vec!["req_429"],
        ),
        (
            Filter {
                text: some("qwen"),
                ..Filter::default()
            },
            vec!["req_502_vllm"],
        ),
        (
            Filter {
                text: some("req_mo"),
                ..Filter::default()
            },
            vec!["req_mock"],
        ),
        (
            Filter {
                text: some("nothing-like-this"),
                ..Filter::default()
            },
            vec![],
        ),
        (
            Filter {
                status: status("2xx"),
                provider: some("openai"),
                client: some("openai-python"),
                ..Filter::default()
            },
            vec!["req_ok_openai"],
        ),
    ];
    for (filter, want) in cases {
        assert_eq!(all_ids(&store, &filter), want, "sql: {filter:?}");
        let in_memory: Vec<&str> = records
            .iter()
            .rev()
            .filter(|r| filter.matches(r))
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(in_memory, want, "in memory: {filter:?}");
    }
}

#[test]
fn status_filters_parse_and_reject_nonsense() {
    assert_eq!(
        StatusMatch::parse_list("2xx, 5XX,429,error"),
        Ok(vec![
            StatusMatch::Class(2),
            StatusMatch::Class(5),
            StatusMatch::Exact(429),
            StatusMatch::Error
        ])
    );
    for bad in ["6xx", "abc", "42", "0xx"] {
        assert!(StatusMatch::parse_list(bad).is_err(), "{bad}");
    }
}

#[test]
fn pagination_is_stable_while_requests_arrive() {
    let (store, _dir) = open("pages", no_retention());
    let prices = PriceTable::default();
    // Ten pairs of requests that started in the same millisecond: ties are broken by id.
    let initial: Vec<RequestRecord> = (0..20)
        .map(|i| rec(&format!("req_{i:02}"), 1_000 + (i / 2) as i64))
        .collect();
    insert(&store, &initial);
    let mut seen = Vec::new();
    let mut cursor: Option<Cursor> = None;
    let mut newer = 0;
    loop {
        let page = store
            .query(&Filter::default(), cursor.as_ref(), 6, &prices)
            .unwrap_or_else(|e| panic!("{e}"));
        seen.extend(ids(&page));
        // Requests keep arriving while the user pages.
        newer += 1;
        insert(&store, &[rec(&format!("new_{newer}"), 10_000 + newer)]);
        match page.next_cursor {
            Some(c) => cursor = Some(Cursor::decode(&c).unwrap_or_else(|| panic!("cursor {c}"))),
            None => break,
        }
    }
    let want: Vec<String> = (0..20).rev().map(|i| format!("req_{i:02}")).collect();
    assert_eq!(seen, want, "every request exactly once, newest first");
    assert_eq!(newer, 4, "pages of 6, 6, 6, 2");
}

#[test]
fn cursors_are_opaque_and_checked() {
    let c = Cursor {
        started_at: 1_738_000_000_123,
        id: "req_00ab:cd".into(),
    };
    let text = c.encode();
    assert!(text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(Cursor::decode(&text), Some(c));
    for bad in ["", "!!!", "bm9jb2xvbg", "YWJjOmRlZg"] {
        assert_eq!(Cursor::decode(bad), None, "{bad}");
    }
}

#[test]
fn times_parse_and_format() {
    assert_eq!(parse_time("1738000000123"), Some(1_738_000_000_123));
    assert_eq!(parse_time("1970-01-01"), Some(0));
    assert_eq!(parse_time("2025-01-27"), Some(1_737_936_000_000));
    assert_eq!(parse_time("2025-01-27T17:46:40Z"), Some(1_738_000_000_000));
    assert_eq!(
        parse_time("2025-01-27T17:46:40.5Z"),
        Some(1_738_000_000_500)
    );
    assert_eq!(
        parse_time("2025-01-27T19:46:40+02:00"),
        Some(1_738_000_000_000)
    );
    assert_eq!(parse_time("2024-02-29T00:00"), Some(1_709_164_800_000));
    for bad in ["yesterday", "2025-13-01", "2025-01-01T25:00Z", "2025-01"] {
        assert_eq!(parse_time(bad), None, "{bad}");
    }
    assert_eq!(format_time(1_738_000_000_123), "2025-01-27T17:46:40.123Z");
    assert_eq!(format_time(0), "1970-01-01T00:00:00.000Z");
}
