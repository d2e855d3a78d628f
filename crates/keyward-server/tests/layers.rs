//! The server's layers point one way (ARCHITECTURE.md): the services know nothing of
//! HTTP, and the console calls the services, never the REST API's handlers. A file that
//! must break the rule for a while is named in `NOT_YET`, so the exception is visible
//! and the list can only shrink: a test fails when one of them no longer needs to be on it.

use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// Files allowed to break the rule for now (none).
const NOT_YET: &[&str] = &[];

/// What a service may not name: the HTTP layer.
const HTTP: &[&str] = &[
    "axum",
    "AppState",
    "crate::state",
    "crate::error",
    "crate::api",
    "crate::console",
    "crate::auth",
];

/// What the console may not name: the API, whose handlers it used to call.
const API: &[&str] = &["crate::api", "api::"];

fn files(dir: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(Path::new(SRC).join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    out.sort();
    out
}

fn relative(p: &Path) -> String {
    p.strip_prefix(SRC).unwrap().display().to_string()
}

/// The lines of code (not comments) of `p` that name one of `words`.
fn offending(p: &Path, words: &[&str]) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .filter(|(_, l)| words.iter().any(|w| l.contains(w)))
        .map(|(i, l)| format!("{}:{}: {}", relative(p), i + 1, l.trim()))
        .collect()
}

fn check(dir: &str, words: &[&str]) {
    let mut found = Vec::new();
    for f in files(dir) {
        let name = relative(&f);
        let lines = offending(&f, words);
        if NOT_YET.contains(&name.as_str()) {
            assert!(
                !lines.is_empty(),
                "{name} no longer names {words:?}: take it off NOT_YET in tests/layers.rs"
            );
        } else {
            found.extend(lines);
        }
    }
    assert!(found.is_empty(), "across the layers:\n{}", found.join("\n"));
}

#[test]
fn services_know_nothing_of_http() {
    check("service", HTTP);
}

#[test]
fn the_console_calls_services_not_the_api() {
    check("console", API);
}
