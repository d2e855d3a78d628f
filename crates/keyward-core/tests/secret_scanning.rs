//! The gitleaks rule shipped in `docs/gitleaks.toml` (documented in
//! `docs/secret-scanning.md`): its regex finds freshly generated credentials of every
//! kind wherever they are written, finds nothing that only looks like one, and its
//! entropy threshold lets every real credential through.

use keyward_core::{ParsedToken, TokenKind, TokenSecret};
use regex::Regex;
use std::collections::HashMap;

/// Credentials generated per kind.
const EACH: usize = 1000;

struct Rule {
    regex: Regex,
    secret_group: usize,
    entropy: f64,
    keywords: Vec<String>,
}

fn rule() -> Rule {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/gitleaks.toml");
    let text = std::fs::read_to_string(path).expect("docs/gitleaks.toml");
    let doc: toml::Value = toml::from_str(&text).expect("docs/gitleaks.toml is TOML");
    let rules = doc["rules"].as_array().expect("a [[rules]] table");
    let r = rules
        .iter()
        .find(|r| r["id"].as_str() == Some("keyward-token"))
        .expect("the keyward-token rule");
    Rule {
        regex: Regex::new(r["regex"].as_str().expect("a regex")).expect("the regex compiles"),
        secret_group: r["secretGroup"].as_integer().expect("secretGroup") as usize,
        entropy: r["entropy"].as_float().expect("entropy"),
        keywords: r["keywords"]
            .as_array()
            .expect("keywords")
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect(),
    }
}

impl Rule {
    /// The secrets gitleaks would report in `text`: the secret group of each match
    /// that passes the entropy threshold, in a text that holds one of the keywords.
    fn finds(&self, text: &str) -> Vec<String> {
        if !self.keywords.iter().any(|k| text.contains(k.as_str())) {
            return vec![];
        }
        self.regex
            .captures_iter(text)
            .filter_map(|c| c.get(self.secret_group))
            .map(|m| m.as_str().to_string())
            .filter(|s| shannon(s) >= self.entropy)
            .collect()
    }
}

/// Shannon entropy in bits per character, as gitleaks computes it.
fn shannon(s: &str) -> f64 {
    let mut counts: HashMap<char, usize> = HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let n = s.chars().count() as f64;
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// The ways a credential is written down in code, configuration and logs.
fn surroundings(t: &str) -> Vec<String> {
    vec![
        t.to_string(),
        format!("KEY=\"{t}\""),
        format!("export KEYWARD_TOKEN={t}\n"),
        format!("Authorization: Bearer {t}"),
        format!("{{\"token\": \"{t}\"}}"),
        format!("token: '{t}' # orders gateway"),
        format!("curl -H 'Authorization: Bearer {t}' https://keyward.example.com"),
        format!("https://example.com/hook?key={t}&x=1"),
        format!("({t}),{t}."),
    ]
}

#[test]
fn the_rule_finds_every_kind_of_generated_credential_wherever_it_is_written() {
    let rule = rule();
    for kind in TokenKind::ALL {
        assert!(
            rule.keywords.contains(&format!("{}_", kind.prefix())),
            "{kind:?} has a keyword"
        );
        for i in 0..EACH {
            let t = TokenSecret::generate(kind);
            let t = t.expose();
            assert!(
                shannon(t) >= rule.entropy,
                "{kind:?}: entropy {} under the rule's",
                shannon(t)
            );
            // Every surrounding for the first few, one in turn for the rest.
            let all = surroundings(t);
            let texts = if i < 10 {
                all
            } else {
                vec![all[i % all.len()].clone()]
            };
            for text in texts {
                let found = rule.finds(&text);
                assert!(!found.is_empty(), "{kind:?} not found in {text:?}");
                assert!(found.iter().all(|f| f == t), "{found:?} in {text:?}");
            }
        }
    }
}

#[test]
fn the_rule_finds_nothing_that_only_looks_like_a_credential() {
    let rule = rule();
    let t = TokenSecret::generate(TokenKind::Api);
    let t = t.expose();
    let (body, tail) = (&t[4..], &t[5..]);
    let near_misses = [
        // Another prefix, or none.
        format!("kwx_{body}"),
        format!("kwz_{body}"),
        format!("kw_{body}"),
        format!("kwa{body}"),
        format!("KWA_{body}"),
        format!("gha_{body}"),
        // Too short, too long, or inside a longer word.
        t[..t.len() - 1].to_string(),
        format!("kwa_{tail}"),
        format!("{t}0"),
        format!("{t}_x"),
        format!("x{t}"),
        format!("_{t}"),
        format!("9{t}"),
        // Outside the alphabet.
        format!("kwa_{}-{}", &body[..30], &body[31..]),
        format!("kwa_{}+{}", &body[..30], &body[31..]),
        format!("kwa_{}é{}", &body[..30], &body[32..]),
        // Placeholders in documentation, under the entropy threshold.
        format!("kwa_{}", "A".repeat(70)),
        format!("kwa_{}", "0123456789".repeat(7)),
    ];
    for miss in &near_misses {
        for text in [miss.clone(), format!("KEY=\"{miss}\"")] {
            assert_eq!(rule.finds(&text), Vec::<String>::new(), "in {text:?}");
        }
    }
    // A hit still has to pass the checksum before it is reported: one character off is
    // matched by the regex alone, and refused by the check the document describes.
    let mut typo = t.as_bytes().to_vec();
    typo[10] = if typo[10] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).unwrap();
    assert_eq!(rule.finds(&typo), vec![typo.clone()]);
    assert!(ParsedToken::parse(&typo).is_err());
    assert!(ParsedToken::parse(t).is_ok());
}
