//! Forward auth's required permission taken from the request a gateway forwards: a set
//! of rules, each a path prefix and methods mapped to a permission, and the path
//! normalisation that comes before matching. Pure: the server reads the method and URI
//! from the gateway's headers and hands them here.
//!
//! Matching: the longest prefix that covers the path wins (prefixes match whole segments:
//! `/orders` covers `/orders` and `/orders/1`, not `/orders-admin`); among the rules of
//! that prefix a rule naming the method beats one of `*`. If the longest prefix has no
//! rule for the method, the request is refused: a shorter prefix is never a fallback, so
//! a specific rule cannot be bypassed through a broader one. No rule at all: refused.

use crate::permission::Permission;
use serde::Deserialize;

/// One rule as an operator writes it (a `[[forward_rules.NAME]]` table of the config file).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// A path prefix, starting with `/`, already normal (no `.`, `..`, `//`, `%`, `?`).
    pub prefix: String,
    /// Upper-case HTTP methods (`GET`, `DELETE`, …), or `["*"]` for every method.
    pub methods: Vec<String>,
    /// The permission a request under this prefix with one of these methods needs.
    pub permission: String,
}

/// Why a set of rules is refused, with the rule's position (from 1) in its set.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RuleError {
    #[error("rule {0}: the prefix {1:?} must start with '/'")]
    PrefixWithoutSlash(usize, String),
    #[error("rule {0}: the prefix {1:?} is not a normal path (no '.' or '..' segments, '//', '%', '?', '#', ';' or '\\'); write it as requests are matched")]
    PrefixNotNormal(usize, String),
    #[error("rule {0}: list at least one method, or [\"*\"] for every method")]
    NoMethods(usize),
    #[error("rule {0}: {1:?} is not an HTTP method: use upper-case letters (GET, POST, DELETE, …), or \"*\" alone for every method")]
    BadMethod(usize, String),
    #[error("rule {0}: the permission is empty")]
    EmptyPermission(usize),
    #[error("rule {0}: {1}")]
    BadPermission(usize, String),
    #[error("rule {0}: the permission {1:?} ends with '*': a rule names the one permission a request needs, not a pattern")]
    WildcardPermission(usize, String),
    #[error("rule {0}: prefix {1:?} with method {2} is already mapped by an earlier rule")]
    Duplicate(usize, String, String),
    #[error("the set has no rules")]
    Empty,
}

/// Why a forwarded request is refused without a check.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The URI cannot be normalised into one path that every server would agree on.
    Unnormal(&'static str),
    /// No rule covers the method and path.
    NoRule,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Methods {
    Any,
    Listed(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    /// Normal, without a trailing `/`; the root is the empty string.
    prefix: String,
    methods: Methods,
    permission: Permission,
}

/// A validated set of rules, longest prefix first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardRules {
    rules: Vec<Rule>,
}

fn is_method(m: &str) -> bool {
    (1..=32).contains(&m.len()) && m.bytes().all(|b| b.is_ascii_uppercase())
}

impl ForwardRules {
    pub fn new(specs: &[RuleSpec]) -> Result<Self, RuleError> {
        if specs.is_empty() {
            return Err(RuleError::Empty);
        }
        let mut rules: Vec<Rule> = Vec::with_capacity(specs.len());
        for (i, s) in specs.iter().enumerate() {
            let n = i + 1;
            if !s.prefix.starts_with('/') {
                return Err(RuleError::PrefixWithoutSlash(n, s.prefix.clone()));
            }
            let trimmed = s.prefix.strip_suffix('/').unwrap_or(&s.prefix);
            // A prefix must already be what normalisation makes of it, so that what the
            // operator reads is what is matched.
            match normalise(&s.prefix) {
                Ok(p) if p == trimmed || (trimmed.is_empty() && p == "/") => {}
                _ => return Err(RuleError::PrefixNotNormal(n, s.prefix.clone())),
            }
            let methods = match s.methods.as_slice() {
                [] => return Err(RuleError::NoMethods(n)),
                [star] if star == "*" => Methods::Any,
                list => {
                    if let Some(bad) = list.iter().find(|m| !is_method(m)) {
                        return Err(RuleError::BadMethod(n, bad.clone()));
                    }
                    Methods::Listed(list.to_vec())
                }
            };
            if s.permission.trim().is_empty() {
                return Err(RuleError::EmptyPermission(n));
            }
            if s.permission.ends_with('*') {
                return Err(RuleError::WildcardPermission(n, s.permission.clone()));
            }
            let permission = Permission::parse(&s.permission)
                .map_err(|e| RuleError::BadPermission(n, e.to_string()))?;
            let rule = Rule {
                prefix: trimmed.to_string(),
                methods,
                permission,
            };
            let names = |m: &Methods| match m {
                Methods::Any => vec!["*".to_string()],
                Methods::Listed(l) => l.clone(),
            };
            for earlier in rules.iter().filter(|r| r.prefix == rule.prefix) {
                let before = names(&earlier.methods);
                if let Some(m) = names(&rule.methods)
                    .into_iter()
                    .find(|m| before.contains(m))
                {
                    return Err(RuleError::Duplicate(n, s.prefix.clone(), m));
                }
            }
            rules.push(rule);
        }
        // Longest prefix first; a stable sort keeps the operator's order otherwise.
        rules.sort_by_key(|r| std::cmp::Reverse(r.prefix.len()));
        Ok(Self { rules })
    }

    /// The permission a request of `method` to `uri` (as the gateway forwards it: path and
    /// query) needs, or why it is refused.
    pub fn permission_for(&self, method: &str, uri: &str) -> Result<&Permission, Refusal> {
        let path = normalise(uri).map_err(Refusal::Unnormal)?;
        let covers = |prefix: &str| {
            prefix.is_empty()
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        let Some(longest) = self.rules.iter().find(|r| covers(&r.prefix)) else {
            return Err(Refusal::NoRule);
        };
        let same = || self.rules.iter().filter(|r| r.prefix == longest.prefix);
        same()
            .find(|r| matches!(&r.methods, Methods::Listed(l) if l.iter().any(|m| m == method)))
            .or_else(|| same().find(|r| r.methods == Methods::Any))
            .map(|r| &r.permission)
            .ok_or(Refusal::NoRule)
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The path of `uri` as one normal form: the query and fragment cut off, each segment
/// percent-decoded, empty segments (`//`) and `.` dropped, `..` resolved. Refused (with
/// the reason) is whatever servers could read two ways: a path that does not start with
/// `/`, that climbs above the root, a bad or encoded escape of `/`, `\`, `%` or `.` in a
/// dot segment, `;` (path parameters, which some servers strip), control characters,
/// anything not UTF-8 once decoded.
pub fn normalise(uri: &str) -> Result<String, &'static str> {
    let path = uri.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return Err("the forwarded URI does not start with '/'");
    }
    let mut out: Vec<String> = Vec::new();
    for raw in path.split('/') {
        if raw
            .bytes()
            .any(|b| b <= b' ' || b >= 0x7f || b == b'\\' || b == b';')
        {
            return Err("the forwarded path holds a space, a control character, '\\', ';' or a byte that is not ASCII");
        }
        let mut bytes = Vec::with_capacity(raw.len());
        let mut it = raw.bytes();
        while let Some(b) = it.next() {
            if b != b'%' {
                bytes.push(b);
                continue;
            }
            let (Some(h), Some(l)) = (it.next().and_then(hex), it.next().and_then(hex)) else {
                return Err("the forwarded path holds a '%' that is not a percent-escape");
            };
            bytes.push(h << 4 | l);
        }
        if bytes
            .iter()
            .any(|&b| b < b' ' || b == 0x7f || matches!(b, b'/' | b'\\' | b'%' | b';'))
        {
            return Err("the forwarded path encodes '/', '\\', '%', ';' or a control character");
        }
        let Ok(segment) = String::from_utf8(bytes) else {
            return Err("the forwarded path does not decode to UTF-8");
        };
        match segment.as_str() {
            "" => {}
            "." | ".." if segment != raw => {
                return Err("the forwarded path holds a percent-encoded '.' or '..' segment")
            }
            "." => {}
            ".." => {
                if out.pop().is_none() {
                    return Err("the forwarded path climbs above the root with '..'");
                }
            }
            _ => out.push(segment),
        }
    }
    Ok(format!("/{}", out.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(prefix: &str, methods: &[&str], permission: &str) -> RuleSpec {
        RuleSpec {
            prefix: prefix.into(),
            methods: methods.iter().map(|m| m.to_string()).collect(),
            permission: permission.into(),
        }
    }

    fn shop() -> ForwardRules {
        ForwardRules::new(&[
            rule("/orders", &["GET", "HEAD"], "orders:read"),
            rule("/orders", &["DELETE"], "orders:delete"),
            rule("/orders/admin/", &["*"], "orders:admin"),
            rule("/reports", &["*"], "reports:read"),
        ])
        .unwrap()
    }

    fn needs(method: &str, uri: &str) -> Result<String, Refusal> {
        shop()
            .permission_for(method, uri)
            .map(|p| p.as_str().to_string())
    }

    #[test]
    fn longest_prefix_wins_and_a_named_method_beats_the_star() {
        assert_eq!(needs("GET", "/orders/1").unwrap(), "orders:read");
        assert_eq!(needs("GET", "/orders").unwrap(), "orders:read");
        assert_eq!(needs("DELETE", "/orders/1").unwrap(), "orders:delete");
        assert_eq!(needs("GET", "/orders/admin/x").unwrap(), "orders:admin");
        assert_eq!(needs("POST", "/reports/q?x=1").unwrap(), "reports:read");
        let with_star =
            ForwardRules::new(&[rule("/a", &["*"], "a:any"), rule("/a", &["GET"], "a:read")])
                .unwrap();
        assert_eq!(
            with_star.permission_for("GET", "/a").unwrap().as_str(),
            "a:read"
        );
        assert_eq!(
            with_star.permission_for("PUT", "/a").unwrap().as_str(),
            "a:any"
        );
    }

    #[test]
    fn no_rule_is_a_refusal_and_a_shorter_prefix_is_no_fallback() {
        assert_eq!(needs("POST", "/orders/1"), Err(Refusal::NoRule));
        assert_eq!(needs("GET", "/admin"), Err(Refusal::NoRule));
        // Prefixes match whole segments.
        assert_eq!(needs("GET", "/orders-admin"), Err(Refusal::NoRule));
        let nested = ForwardRules::new(&[
            rule("/", &["*"], "api:use"),
            rule("/admin", &["GET"], "admin:read"),
        ])
        .unwrap();
        assert_eq!(
            nested.permission_for("DELETE", "/admin/x"),
            Err(Refusal::NoRule)
        );
        assert_eq!(
            nested.permission_for("DELETE", "/other").unwrap().as_str(),
            "api:use"
        );
        // Methods are matched as sent: HTTP methods are case-sensitive.
        assert_eq!(needs("get", "/orders/1"), Err(Refusal::NoRule));
    }

    #[test]
    fn dot_segments_double_slashes_and_queries_are_normalised_before_matching() {
        assert_eq!(needs("GET", "/orders/../admin"), Err(Refusal::NoRule));
        assert_eq!(
            needs("GET", "/orders/../reports/1").unwrap(),
            "reports:read"
        );
        assert_eq!(
            needs("DELETE", "/reports/../orders/1").unwrap(),
            "orders:delete"
        );
        assert_eq!(needs("GET", "/orders/./admin/x").unwrap(), "orders:admin");
        assert_eq!(needs("GET", "//orders//admin//x").unwrap(), "orders:admin");
        assert_eq!(
            needs("GET", "/orders/admin?/orders/1").unwrap(),
            "orders:admin"
        );
        assert_eq!(
            needs("GET", "/admin?x=/orders/1").unwrap_err(),
            Refusal::NoRule
        );
        assert_eq!(needs("GET", "/admin#/orders").unwrap_err(), Refusal::NoRule);
        assert_eq!(normalise("/a/%41b/").unwrap(), "/a/Ab");
    }

    #[test]
    fn what_servers_could_read_two_ways_is_refused() {
        for uri in [
            "/orders/%2e%2e/admin",
            "/orders/%2E%2E/admin",
            "/orders/.%2e/admin",
            "/orders/%2e/admin",
            "/orders/..%2fadmin",
            "/orders%2f..%2fadmin",
            "/orders/..\\admin",
            "/orders/%5c../admin",
            "/orders/%252e%252e/admin",
            "/orders/%zz",
            "/orders/%2",
            "/orders;x=1/../admin",
            "/orders/%3b",
            "/orders/%00",
            "/orders/a b",
            "/orders/\u{e9}",
            "/orders/%ff",
            "/../orders/1",
            "/orders/../../orders/1",
            "orders/1",
            "http://evil/orders/1",
            "",
        ] {
            assert!(
                matches!(needs("GET", uri), Err(Refusal::Unnormal(_))),
                "{uri:?} was not refused: {:?}",
                needs("GET", uri)
            );
        }
        // UTF-8 sent percent-encoded is a path like any other.
        assert_eq!(normalise("/orders/caf%C3%A9").unwrap(), "/orders/caf\u{e9}");
    }

    #[test]
    fn a_bad_rule_says_which_and_why() {
        let bad =
            |r: RuleSpec| ForwardRules::new(&[rule("/ok", &["GET"], "ok:read"), r]).unwrap_err();
        assert_eq!(
            bad(rule("orders", &["GET"], "orders:read")),
            RuleError::PrefixWithoutSlash(2, "orders".into())
        );
        for p in [
            "/orders/../admin",
            "//orders",
            "/orders?x",
            "/or%64ers",
            "/orders/.",
        ] {
            assert_eq!(
                bad(rule(p, &["GET"], "orders:read")),
                RuleError::PrefixNotNormal(2, p.into())
            );
        }
        assert_eq!(bad(rule("/o", &[], "o:r")), RuleError::NoMethods(2));
        for m in ["get", "GE T", "", "*GET"] {
            assert_eq!(
                bad(rule("/o", &[m], "o:r")),
                RuleError::BadMethod(2, m.into())
            );
        }
        assert_eq!(
            bad(rule("/o", &["GET", "*"], "o:r")),
            RuleError::BadMethod(2, "*".into())
        );
        assert_eq!(bad(rule("/o", &["GET"], "")), RuleError::EmptyPermission(2));
        assert!(matches!(
            bad(rule("/o", &["GET"], "Orders Read")),
            RuleError::BadPermission(2, _)
        ));
        assert_eq!(
            bad(rule("/o", &["GET"], "orders:*")),
            RuleError::WildcardPermission(2, "orders:*".into())
        );
        assert_eq!(
            bad(rule("/ok/", &["PUT", "GET"], "x:y")),
            RuleError::Duplicate(2, "/ok/".into(), "GET".into())
        );
        assert_eq!(ForwardRules::new(&[]), Err(RuleError::Empty));
        assert!(ForwardRules::new(&[rule("/", &["*"], "api:use")]).is_ok());
    }
}
