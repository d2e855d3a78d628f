//! The console in Norwegian: every page an administrator reaches, filled with data whose
//! names are Norwegian, shows no English words (issue 13, problem 10). Names, codes,
//! secrets' hints and the seed's own labels ("Token Navn", "API Token", "Tenant Id") are
//! allowed; what is checked is every text node and every `title`, `aria-label`,
//! `placeholder` and `alt` a person reads or hears.

use crate::console::{try_login, Console};
use keyward_testkit::client::{SecretStorage, SettingsPatch};
use keyward_testkit::on_both_backends;
use keyward_testkit::TestApp;
use serde_json::json;

on_both_backends! {
    every_norwegian_console_page_is_in_norwegian => every_page_in_norwegian;
}

/// English words that are not also Norwegian words, as the console's English strings use
/// them. A page in Norwegian containing one of them has a string left untranslated.
const ENGLISH: &[&str] = &[
    "the",
    "and",
    "of",
    "with",
    "this",
    "that",
    "is",
    "are",
    "you",
    "your",
    "from",
    "will",
    "be",
    "has",
    "have",
    "which",
    "when",
    "there",
    "their",
    "its",
    "or",
    "on",
    "off",
    "by",
    "an",
    "not",
    "save",
    "delete",
    "cancel",
    "create",
    "search",
    "copy",
    "edit",
    "enabled",
    "disabled",
    "active",
    "revoked",
    "expired",
    "never",
    "settings",
    "users",
    "departments",
    "endpoint",
    "endpoints",
    "records",
    "primary",
    "secondary",
    "request",
    "requests",
    "name",
    "description",
    "user",
    "expires",
    "created",
    "last",
    "used",
    "all",
    "none",
    "yes",
    "add",
    "back",
    "next",
    "previous",
    "page",
    "filter",
    "apply",
    "show",
    "hide",
    "assigned",
    "unassigned",
    "assign",
    "regenerate",
    "reveal",
    "revoke",
    "deleted",
    "status",
    "refused",
    "valid",
    "owner",
    "locked",
    "unlock",
    "lock",
    "password",
    "email",
    "sessions",
    "session",
    "log",
    "logged",
    "out",
    "webhook",
    "webhooks",
    "deliveries",
    "delivery",
    "secret",
    "key",
    "keys",
    "verifier",
    "audit",
    "action",
    "actions",
    "object",
    "when",
    "who",
    "details",
    "from",
    "to",
    "type",
    "types",
    "permissions",
    "days",
    "hours",
    "day",
    "hour",
    "minutes",
    "ago",
    "soon",
    "expiring",
    "choose",
    "select",
    "selected",
    "warning",
    "members",
    "membership",
    "memberships",
    "department",
    "limits",
    "rate",
    "limit",
    "uses",
    "remaining",
    "allowlist",
    "creator",
    "mobile",
    "phone",
    "device",
    "devices",
];

/// Words of the English list that are Norwegian words as well, or part of what the page
/// may show as it is: the seed's labels ("API Token", "Token Navn"), product names.
const ALSO_NORWEGIAN: &[&str] = &[
    "to", "type", "status", "for", "mobile", "webhook", "webhooks",
];

/// What a person reads of `html`: its text nodes and the labelling attributes, without
/// scripts, styles, code (ids, hints, commands, JSON) or form values.
fn readable(html: &str) -> Vec<String> {
    // The logo is the product's name, drawn in two parts.
    let html = html.replace("key<span>ward</span>", "keyward");
    let mut out = Vec::new();
    let mut rest = html.as_str();
    while let Some(lt) = rest.find('<') {
        let text = &rest[..lt];
        if !text.trim().is_empty() {
            out.push(unescape(text.trim()));
        }
        rest = &rest[lt..];
        let Some(gt) = rest.find('>') else { break };
        let tag = &rest[1..gt];
        let name = tag
            .split(|c: char| c.is_whitespace() || c == '/')
            .find(|s| !s.is_empty())
            .unwrap_or("")
            .to_ascii_lowercase();
        for attr in ["title", "aria-label", "placeholder", "alt"] {
            let marker = format!(" {attr}=\"");
            if let Some(at) = tag.find(&marker) {
                let v = &tag[at + marker.len()..];
                out.push(unescape(v.split('"').next().unwrap_or("")));
            }
        }
        rest = &rest[gt + 1..];
        // Skip what is not prose: the element's whole content.
        if ["script", "style", "code", "pre", "textarea"].contains(&name.as_str())
            && !tag.ends_with('/')
        {
            let close = format!("</{name}");
            if let Some(end) = rest.find(&close) {
                rest = &rest[end..];
            }
        }
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
}

/// The English words of `text`, if any. Codes are not words: `IP_NOT_ALLOWED`,
/// `token.expiring`, an HTTP method in capitals.
fn english_in(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|piece| {
            let inner = piece.trim_matches(|c: char| !c.is_alphanumeric());
            !inner.contains('_') && !inner.contains('.')
        })
        .flat_map(|piece| piece.split(|c: char| !c.is_alphanumeric() && c != '\''))
        .filter(|w| !w.is_empty() && w.chars().any(char::is_lowercase))
        .map(str::to_lowercase)
        .filter(|w| ENGLISH.contains(&w.as_str()) && !ALSO_NORWEGIAN.contains(&w.as_str()))
        .collect()
}

#[test]
fn the_checker_finds_english_and_passes_norwegian() {
    let page = r#"<p title="Delete the token">Slett tokenet</p><code>the code</code>
        <script>var the = 1;</script><button aria-label="Lagre">Save</button>"#;
    let found: Vec<_> = readable(page).iter().flat_map(|t| english_in(t)).collect();
    assert_eq!(found, ["delete", "the", "save"]);
    assert!(english_in("Tokenet er tilbakekalt og utløper om 5 dager").is_empty());
    assert!(english_in("svarer IP_NOT_ALLOWED, en DELETE-token (token.expiring)").is_empty());
}

async fn every_page_in_norwegian(app: TestApp) {
    app.user_with_password("kari", true).await;
    app.update_settings(SettingsPatch {
        secret_storage: Some(SecretStorage::Recoverable),
        ..Default::default()
    })
    .await;
    // Data with Norwegian names, so that what is checked is the console's own words.
    let dept = app
        .post_created("/api/v1/departments", json!({"name": "Salg"}))
        .await;
    let ut = app
        .post_created(
            "/api/v1/user-types",
            json!({"name": "Ordreleser", "permissions": ["ordrer:les"]}),
        )
        .await;
    let user = app
        .post_created(
            "/api/v1/users",
            json!({"username": "nettbutikk", "email": "nettbutikk@eksempel.no",
                   "display_name": "Nettbutikken", "is_technical": true}),
        )
        .await;
    let (uid, did, tid) = (&user["id"], &dept["id"], &ut["id"]);
    app.post_created(
        &format!("/api/v1/users/{}/memberships", uid.as_str().unwrap()),
        json!({"department_id": did, "user_type_id": tid}),
    )
    .await;
    let token = app
        .post_created(
            "/api/v1/tokens",
            json!({"name": "Ordreimport", "user_id": uid, "department_id": did,
                   "user_type_id": tid, "description": "Henter ordrer hver natt"}),
        )
        .await;
    let revoked = app
        .post_created(
            "/api/v1/tokens",
            json!({"name": "Gammel rapport", "user_id": uid, "department_id": did,
                   "user_type_id": tid}),
        )
        .await;
    let revoked_id = revoked["id"].as_str().unwrap();
    app.post_ok(&format!("/api/v1/tokens/{revoked_id}/revoke"), json!({}))
        .await;
    let ep = app
        .post_created(
            "/api/v1/endpoints",
            json!({"name": "Ordrer", "path": "ordrer", "auth_type": "token"}),
        )
        .await;
    let et = app
        .post_created("/api/v1/endpoint-tokens", json!({"name": "Lagerappen"}))
        .await;
    let (ep_id, et_id) = (ep["id"].as_str().unwrap(), et["id"].as_str().unwrap());
    let (status, body) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/endpoints/{ep_id}/assignments/{et_id}"),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // Records from the POST primary and from the application, for the data viewer.
    let primary = ep["new_primary_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["method"] == "POST")
        .expect("a POST primary")["token"]
        .as_str()
        .unwrap()
        .to_string();
    let et_secret = et["token"].as_str().unwrap().to_string();
    for secret in [&primary, &et_secret] {
        let res = reqwest::Client::new()
            .post(app.url("/e/acme/ordrer"))
            .bearer_auth(secret)
            .json(&json!({"ordre": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    let hook = app
        .post_created(
            "/api/v1/webhooks",
            json!({"name": "Varsler", "url": "http://127.0.0.1:9/varsler", "events": ["*"]}),
        )
        .await;
    app.post_created("/api/v1/verifier-keys", json!({"name": "Ordretjenesten"}))
        .await;
    let c: Console = try_login(&app, "kari", keyward_testkit::PASSWORD)
        .await
        .expect("login")
        .in_language("nb");
    let (token_id, user_id) = (token["id"].as_str().unwrap(), uid.as_str().unwrap());
    let (ut_id, hook_id) = (tid.as_str().unwrap(), hook["id"].as_str().unwrap());
    let pages = [
        "/console/tokens".to_string(),
        "/console/tokens?status=revoked".into(),
        "/console/tokens/new".into(),
        format!("/console/tokens/{token_id}"),
        format!("/console/tokens/{revoked_id}"),
        format!("/console/tokens/{token_id}/regenerate"),
        "/console/tokens/mobile".into(),
        "/console/users".into(),
        format!("/console/users/{user_id}"),
        "/console/departments".into(),
        "/console/user-types".into(),
        format!("/console/user-types/{ut_id}"),
        "/console/settings".into(),
        "/console/audit".into(),
        "/console/verifier-keys".into(),
        "/console/webhooks".into(),
        format!("/console/webhooks/{hook_id}"),
        "/console/endpoints".into(),
        format!("/console/endpoints/{ep_id}"),
        format!("/console/endpoints/{ep_id}?tab=tokens"),
        format!("/console/endpoints/{ep_id}/data"),
        "/console/endpoint-tokens".into(),
        "/console/endpoint-tokens?status=inactive".into(),
        format!("/console/endpoint-tokens/{et_id}"),
        format!("/console/endpoint-tokens/{et_id}/assign"),
    ];
    let mut left = Vec::new();
    for path in &pages {
        let (status, html) = c.get(path).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(
            html.contains("lang=\"nb\""),
            "{path} is served in Norwegian"
        );
        for text in readable(&html) {
            let words = english_in(&text);
            if !words.is_empty() {
                left.push(format!("{path}: {text:?} ({})", words.join(", ")));
            }
        }
    }
    left.dedup();
    assert!(
        left.is_empty(),
        "English left on Norwegian pages:\n{}",
        left.join("\n")
    );
}

/// "token" is neuter in the console's Norwegian: "et token", "tokenet", never "en token"
/// or "tokenen" beside them.
#[test]
fn norwegian_strings_keep_token_neuter() {
    let nb = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/locales/nb/console.ftl"
    ));
    let masculine: Vec<_> = nb
        .lines()
        .filter(|l| {
            let l = l.to_lowercase();
            let words: Vec<_> = l.split(|c: char| !c.is_alphanumeric()).collect();
            words.contains(&"tokenen")
                || words
                    .windows(2)
                    .any(|w| ["en", "én", "denne", "den"].contains(&w[0]) && w[1] == "token")
        })
        .collect();
    assert!(masculine.is_empty(), "masculine forms: {masculine:#?}");
}
