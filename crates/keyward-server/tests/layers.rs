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
    "http::",
    "StatusCode",
    "IntoResponse",
    "AppState",
    "ApiError",
    "ApiResult",
    "crate::state",
    "crate::error",
    "crate::api",
    "crate::console",
    "crate::auth",
    "super::super::",
];

/// What the console may not name: the API, whose handlers it used to call.
const API: &[&str] = &["crate::api", "api::"];

/// Every `.rs` file under `dir`, however deep.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn files(dir: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(&Path::new(SRC).join(dir), &mut out);
    out.sort();
    out
}

fn relative(p: &Path) -> String {
    p.strip_prefix(SRC).unwrap().display().to_string()
}

/// `crate::{a::X, b}` written out as `crate::a::X, crate::b`, so that a grouped import
/// is seen like separate ones.
fn ungroup(line: &str) -> String {
    let Some(at) = line.find("crate::{") else {
        return line.to_string();
    };
    let inner = &line[at + "crate::{".len()..];
    let inner = inner.split('}').next().unwrap_or("");
    let parts: Vec<String> = inner
        .split(',')
        .map(|p| format!("crate::{}", p.trim()))
        .collect();
    format!("{} {}", &line[..at], parts.join(", "))
}

/// The lines of code (not comments) of `p` that name one of `words`.
fn offending(p: &Path, words: &[&str]) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .filter(|(_, l)| {
            let l = ungroup(l);
            words.iter().any(|w| l.contains(w))
        })
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

/// The crate's top-level modules and which others each names (`crate::x`), comments
/// left out.
fn module_graph() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut files = Vec::new();
    walk(Path::new(SRC), &mut files);
    let mut graph = std::collections::BTreeMap::new();
    for f in files {
        let rel = relative(&f);
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let edges: &mut std::collections::BTreeSet<String> = graph.entry(top.clone()).or_default();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            let line = ungroup(line);
            let mut rest = line.as_str();
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() && name != top {
                    edges.insert(name);
                }
            }
        }
    }
    graph
}

/// No two top-level modules of the server import each other, however indirectly: the
/// dependencies point one way (the picture in ARCHITECTURE.md). A cycle is printed.
#[test]
fn the_modules_point_one_way() {
    let graph = module_graph();
    // Depth-first search with colours: grey on the current path, black when done.
    fn visit(
        m: &str,
        graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        colour: &mut std::collections::BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        colour.insert(m.to_string(), 1);
        path.push(m.to_string());
        for next in graph.get(m).into_iter().flatten() {
            if !graph.contains_key(next) {
                continue;
            }
            match colour.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let start = path.iter().position(|p| p == next).unwrap();
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(next, graph, colour, path) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        colour.insert(m.to_string(), 2);
        None
    }
    let mut colour = std::collections::BTreeMap::new();
    for m in graph.keys() {
        if colour.get(m.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(cycle) = visit(m, &graph, &mut colour, &mut Vec::new()) {
                panic!("modules import each other: {}", cycle.join(" -> "));
            }
        }
    }
    assert!(
        graph.contains_key("service") && graph["service"].contains("config"),
        "the graph was read"
    );
}
