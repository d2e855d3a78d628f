//! The audit log, newest first, filtered by action, object, actor and time, and its
//! export as CSV and JSON. Each event names its object (the name it had at the time,
//! kept after a delete) and links it to its page while it exists; details are shown as
//! labelled values, not JSON.

use super::i18n::{format_datetime, I18n, Lang};
use super::session::Me;
use super::Query;
use super::{Answer, ConsoleState, OrErrorPage, Pager};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use keyward_core::UserId;
use keyward_store::{AuditEvent, AuditFilter, Page};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use time::OffsetDateTime;

pub fn router() -> Router<ConsoleState> {
    Router::new()
        .route("/console/audit", get(list))
        .route("/console/audit.csv", get(export_csv))
        .route("/console/audit.json", get(export_json))
}

/// The most events one export holds: the newest this many of the filter's.
pub const EXPORT_LIMIT: u32 = 100_000;

/// Events read from the store at a time during an export.
const EXPORT_BATCH: u32 = 1_000;

/// The actions keyward records, by the type of object they change: the action chooser's
/// options (`action-{object}-{verb}` in the message files).
pub const ACTIONS: &[(&str, &[&str])] = &[
    (
        "token",
        &[
            "token.created",
            "token.updated",
            "token.enabled",
            "token.disabled",
            "token.regenerated",
            "token.revealed",
            "token.revoked",
            "token.deleted",
            "token.expiring",
            "token.leaked",
            "token.grace_ended",
            "token.imported",
        ],
    ),
    (
        "mobile_session",
        &["mobile_session.created", "mobile_session.deleted"],
    ),
    (
        "user",
        &[
            "user.created",
            "user.updated",
            "user.locked",
            "user.unlocked",
            "user.deleted",
            "membership.added",
            "membership.removed",
            "console.login",
            "console.logout",
            "console.session_deleted",
            "login.failed",
        ],
    ),
    (
        "department",
        &[
            "department.created",
            "department.updated",
            "department.deleted",
        ],
    ),
    (
        "user_type",
        &[
            "user_type.created",
            "user_type.updated",
            "user_type.deleted",
        ],
    ),
    (
        "endpoint",
        &[
            "endpoint.created",
            "endpoint.updated",
            "endpoint.enabled",
            "endpoint.disabled",
            "endpoint.deleted",
            "endpoint_record.deleted",
        ],
    ),
    (
        "endpoint_token",
        &[
            "endpoint_token.created",
            "endpoint_token.updated",
            "endpoint_token.enabled",
            "endpoint_token.disabled",
            "endpoint_token.deactivated",
            "endpoint_token.retired",
            "endpoint_token.revoked",
            "endpoint_token.activated",
            "endpoint_token.regenerated",
            "endpoint_token.revealed",
            "endpoint_token.deleted",
            "endpoint_token.assigned",
            "endpoint_token.unassigned",
            "endpoint_token.assignment_enabled",
            "endpoint_token.assignment_disabled",
            "endpoint_token.assignment_updated",
        ],
    ),
    (
        "webhook",
        &[
            "webhook.created",
            "webhook.updated",
            "webhook.retried",
            "webhook.deleted",
        ],
    ),
    (
        "verifier_key",
        &[
            "verifier_key.created",
            "verifier_key.updated",
            "verifier_key.deleted",
        ],
    ),
    ("settings", &["settings.updated", "tenant.created"]),
];

const OBJECT_TYPES: &[&str] = &[
    "token",
    "mobile_session",
    "user",
    "login",
    "department",
    "user_type",
    "endpoint",
    "endpoint_token",
    "endpoint_record",
    "webhook",
    "verifier_key",
    "settings",
    "tenant",
];

/// The message naming an action: `token.revoked` → `action-token-revoked`.
fn action_key(action: &str) -> String {
    format!("action-{}", action.replace('.', "-"))
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    object_type: String,
    #[serde(default)]
    object_id: String,
    #[serde(default)]
    actor_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    page: Option<u32>,
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

impl AuditQuery {
    /// The store's filter, or the refusal of a field that does not parse.
    fn filter(&self) -> Result<AuditFilter, crate::error::ApiError> {
        let (from, to) = super::period(&self.from, &self.to)?;
        let actor_id = match non_empty(&self.actor_id) {
            None => None,
            Some(a) => Some(
                a.parse::<UserId>()
                    .map_err(|_| super::invalid("invalid_actor", "actor_id is not a user's id"))?,
            ),
        };
        Ok(AuditFilter {
            action: non_empty(&self.action),
            object_type: non_empty(&self.object_type),
            object_id: non_empty(&self.object_id),
            actor_id,
            from,
            to,
        })
    }

    /// The filter as a query string (without the page), for the pager and the exports.
    fn query_string(&self) -> String {
        [
            ("action", &self.action),
            ("object_type", &self.object_type),
            ("object_id", &self.object_id),
            ("actor_id", &self.actor_id),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", super::url_encode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// One labelled value of an event's details. `iso` is set for a moment (shown in the
/// reader's time zone, its ISO form in the title); `link` for an id of something that
/// still exists, whose name is then the value.
#[derive(Serialize, Debug, PartialEq, Default)]
struct Detail {
    label: String,
    value: String,
    iso: Option<String>,
    link: Option<String>,
}

/// Detail keys that hold the id of another object, by its type.
const ID_KEYS: &[(&str, &str)] = &[("user_id", "user"), ("endpoint_id", "endpoint")];

/// What still exists of the objects a page names, and their names now.
type Existing = HashMap<(String, String), String>;

/// One row of the page: an event with its names, labels and links resolved.
#[derive(Serialize)]
struct Row {
    at: String,
    at_text: String,
    actor: String,
    actor_id: Option<String>,
    actor_link: Option<String>,
    action: String,
    action_label: String,
    object_type: String,
    object_type_label: String,
    object_id: String,
    object_name: Option<String>,
    link: Option<String>,
    gone: bool,
    ip: Option<String>,
    details: Vec<Detail>,
}

/// The console page of an object, for the types that have one.
fn page_of(object_type: &str, id: &str) -> Option<String> {
    let base = match object_type {
        "token" => "/console/tokens/",
        "mobile_session" => "/console/tokens/mobile/",
        "user" => "/console/users/",
        "endpoint" => "/console/endpoints/",
        "endpoint_token" => "/console/endpoint-tokens/",
        "webhook" => "/console/webhooks/",
        "user_type" => "/console/user-types/",
        _ => return None,
    };
    Some(format!("{base}{}", super::url_encode(id)))
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Detail keys whose values are moments: an RFC 3339 string, or a number of
/// milliseconds (or, for `console.login`, seconds) since the epoch.
const TIME_KEYS: &[&str] = &[
    "expires_at",
    "grace_until",
    "active_from",
    "active_until",
    "revoked_at",
];

fn moment(v: &Value) -> Option<OffsetDateTime> {
    match v {
        Value::String(s) => {
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
        }
        Value::Number(n) => {
            let n = n.as_i64()?;
            // Seconds until the year 5138; anything larger is milliseconds.
            let nanos = if n.abs() < 100_000_000_000 {
                i128::from(n) * 1_000_000_000
            } else {
                i128::from(n) * 1_000_000
            };
            OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
        }
        _ => None,
    }
}

/// The message `id` when there is one, else `code` as stored: an action, object type or
/// detail key keyward does not (yet) name is still shown.
fn label_or_code(i18n: &I18n, lang: Lang, id: &str, code: &str) -> String {
    if i18n.has(Lang::En, id) {
        i18n.message(lang, id, None)
    } else {
        code.to_string()
    }
}

/// A reader's label for the detail `key` (`audit-key-{key}`).
fn key_label(i18n: &I18n, lang: Lang, key: &str) -> String {
    label_or_code(i18n, lang, &format!("audit-key-{key}"), key)
}

fn plain(i18n: &I18n, lang: Lang, v: &Value) -> String {
    match v {
        Value::Null => "—".to_string(),
        Value::Bool(b) => i18n.message(lang, if *b { "audit-yes" } else { "audit-no" }, None),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.is_empty() => "—".to_string(),
        Value::Array(items) => items
            .iter()
            .map(|i| plain(i18n, lang, i))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(_) => v.to_string(),
    }
}

fn detail(i18n: &I18n, lang: Lang, key: &str, v: &Value) -> Detail {
    let label = key_label(i18n, lang, key);
    if TIME_KEYS.contains(&key) {
        if let Some(t) = moment(v) {
            return Detail {
                label,
                value: format_datetime(lang, t),
                iso: Some(rfc3339(t)),
                ..Default::default()
            };
        }
    }
    // A credential's kind is a code; it reads as a word.
    let value = match (key, v) {
        ("kind", Value::String(k)) => label_or_code(i18n, lang, &format!("audit-kind-{k}"), k),
        _ => plain(i18n, lang, v),
    };
    Detail {
        label,
        value,
        ..Default::default()
    }
}

fn changed(i18n: &I18n, lang: Lang, key: &str, before: &Value, after: &Value) -> Detail {
    let (b, a) = (
        detail(i18n, lang, key, before),
        detail(i18n, lang, key, after),
    );
    Detail {
        label: a.label,
        value: format!("{} → {}", b.value, a.value),
        ..Default::default()
    }
}

/// An event's details as labelled values, in their stored order. Before-and-after pairs
/// (settings' `old`/`new`, a user type's `old_permissions`) become one "before → after"
/// line for each field that changed. Details never hold a secret.
fn details(i18n: &I18n, lang: Lang, d: &Value, existing: &Existing) -> Vec<Detail> {
    let Some(map) = d.as_object() else {
        return if d.is_null() {
            Vec::new()
        } else {
            vec![Detail {
                value: d.to_string(),
                ..Default::default()
            }]
        };
    };
    let mut out = Vec::new();
    let paired = matches!(
        (map.get("old"), map.get("new")),
        (Some(Value::Object(_)), Some(Value::Object(_)))
    );
    if let (Some(Value::Object(old)), Some(Value::Object(new))) = (map.get("old"), map.get("new")) {
        for (k, after) in new {
            let before = old.get(k).unwrap_or(&Value::Null);
            if before != after {
                out.push(changed(i18n, lang, k, before, after));
            }
        }
    }
    for (k, v) in map {
        match k.as_str() {
            "old" | "new" if paired => {}
            "old_permissions" => {}
            "permissions" if map.contains_key("old_permissions") => {
                if map["old_permissions"] != *v {
                    out.push(changed(i18n, lang, k, &map["old_permissions"], v));
                }
            }
            "old_hint" => {}
            "hint" if map.contains_key("old_hint") => {
                out.push(changed(i18n, lang, k, &map["old_hint"], v));
            }
            _ => {
                let mut d = detail(i18n, lang, k, v);
                resolve(&mut d, k, v, existing);
                out.push(d);
            }
        }
    }
    out
}

/// An id in the details named and linked, when what it names still exists.
fn resolve(d: &mut Detail, key: &str, v: &Value, existing: &Existing) {
    let Some((_, object_type)) = ID_KEYS.iter().find(|(k, _)| *k == key) else {
        return;
    };
    let Some(id) = v.as_str() else { return };
    if let Some(name) = existing.get(&(object_type.to_string(), id.to_string())) {
        d.value = name.clone();
        d.link = page_of(object_type, id);
    }
}

/// The ids an event's details name (see [`ID_KEYS`]), as objects to look up.
fn detail_ids(e: &AuditEvent) -> impl Iterator<Item = (String, String)> + '_ {
    ID_KEYS.iter().filter_map(|(k, t)| {
        let id = e.details.get(*k)?.as_str()?;
        Some((t.to_string(), id.to_string()))
    })
}

fn row(i18n: &I18n, lang: Lang, e: AuditEvent, existing: &Existing) -> Row {
    let alive = |t: &str, id: &str| existing.contains_key(&(t.to_string(), id.to_string()));
    let link =
        page_of(&e.object_type, &e.object_id).filter(|_| alive(&e.object_type, &e.object_id));
    let gone = page_of(&e.object_type, &e.object_id).is_some() && link.is_none();
    let actor_id = e.actor_id.map(|a| a.to_string());
    let actor_link = actor_id
        .as_deref()
        .filter(|a| alive("user", a))
        .and_then(|a| page_of("user", a));
    let action_label = label_or_code(i18n, lang, &action_key(&e.action), &e.action);
    let object_type_label = label_or_code(
        i18n,
        lang,
        &format!("object-{}", e.object_type),
        &e.object_type,
    );
    Row {
        at: rfc3339(e.at),
        at_text: format_datetime(lang, e.at),
        actor: e.actor,
        actor_id,
        actor_link,
        action_label,
        action: e.action,
        object_type_label,
        object_type: e.object_type,
        object_id: e.object_id,
        object_name: e.object_name.map(|n| super::shown_name(i18n, lang, &n)),
        link,
        gone,
        ip: e.ip,
        details: details(i18n, lang, &e.details, existing),
    }
}

#[derive(Serialize)]
struct ActionGroup {
    label: String,
    actions: Vec<(String, String)>,
}

fn action_groups(i18n: &I18n, lang: Lang) -> Vec<ActionGroup> {
    ACTIONS
        .iter()
        .map(|(object, actions)| ActionGroup {
            label: i18n.message(lang, &format!("object-{object}"), None),
            actions: actions
                .iter()
                .map(|a| (a.to_string(), i18n.message(lang, &action_key(a), None)))
                .collect(),
        })
        .collect()
}

async fn list(State(st): State<ConsoleState>, me: Me, Query(q): Query<AuditQuery>) -> Answer {
    let page = Page::new(q.page.unwrap_or(1), 50);
    let mut frame = me.page(&st.console, "audit");
    let f = match q.filter() {
        Ok(f) => f,
        Err(e) => {
            frame = frame.with_error(&st.console, &e);
            AuditFilter::default()
        }
    };
    let tenant = me.admin.tenant_id;
    let (events, total) = st
        .store
        .list_audit_events(tenant, &f, page)
        .await
        .or_page(&st, &me)?;
    let mut objects: Vec<(String, String)> = events
        .iter()
        .map(|e| (e.object_type.clone(), e.object_id.clone()))
        .collect();
    objects.extend(
        events
            .iter()
            .filter_map(|e| Some(("user".to_string(), e.actor_id?.to_string()))),
    );
    objects.extend(events.iter().flat_map(detail_ids));
    let existing = st
        .store
        .existing_objects(tenant, &objects)
        .await
        .or_page(&st, &me)?;
    let i18n = &st.console.i18n;
    // What the object and actor filters name: the newest event's name for them.
    let object_filter = f.object_id.as_ref().map(|id| {
        events
            .iter()
            .find(|e| &e.object_id == id)
            .and_then(|e| e.object_name.as_deref())
            .map_or_else(|| id.clone(), |n| super::shown_name(i18n, me.lang, n))
    });
    let actor_filter = f.actor_id.map(|id| {
        events
            .iter()
            .find(|e| e.actor_id == Some(id))
            .map_or_else(|| id.to_string(), |e| e.actor.clone())
    });
    let rows: Vec<Row> = events
        .into_iter()
        .map(|e| row(i18n, me.lang, e, &existing))
        .collect();
    let filter = q.query_string();
    let known = ACTIONS.iter().any(|(_, a)| a.contains(&q.action.trim()));
    let ctx = context! {
        events => rows, pager => Pager::new(page, total),
        query => format!("?{filter}{}", if filter.is_empty() { "" } else { "&" }),
        export => if filter.is_empty() { String::new() } else { format!("?{filter}") },
        too_many => total > i64::from(EXPORT_LIMIT), export_limit => EXPORT_LIMIT,
        action => q.action.trim(), unknown_action => !known && !q.action.trim().is_empty(),
        action_groups => action_groups(i18n, me.lang),
        object_type => q.object_type, from => q.from, to => q.to,
        object_id => q.object_id.trim(), actor_id => q.actor_id.trim(),
        object_filter, actor_filter,
        object_types => OBJECT_TYPES,
    };
    Ok(st.console.render("audit.html", &frame, ctx))
}

/// A CSV field that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a tab
/// or carriage return before one) gets a leading `'`, so that opening an export cannot
/// run what an attacker put in a name.
fn defused(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

const CSV_HEADER: [&str; 10] = [
    "at",
    "actor",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "object_name",
    "ip",
    "details",
    "id",
];

fn csv_record(w: &mut csv::Writer<Vec<u8>>, e: &AuditEvent) -> csv::Result<()> {
    let fields = [
        rfc3339(e.at),
        e.actor.clone(),
        e.actor_id.map(|a| a.to_string()).unwrap_or_default(),
        e.action.clone(),
        e.object_type.clone(),
        e.object_id.clone(),
        e.object_name.clone().unwrap_or_default(),
        e.ip.clone().unwrap_or_default(),
        e.details.to_string(),
        e.id.to_string(),
    ];
    w.write_record(fields.iter().map(|f| defused(f)))
}

/// The rows of an export, written as they are read: a task reads the events in batches
/// and hands the response body one chunk per batch. A reader that goes away stops the
/// reading; a failure part-way ends the body with an error (the download is incomplete,
/// which the client sees, rather than a complete-looking short file).
fn export_body(
    st: ConsoleState,
    me: &Me,
    f: AuditFilter,
    start: Vec<u8>,
    mut each: impl FnMut(&mut Vec<u8>, &AuditEvent, bool) + Send + 'static,
    end: &'static [u8],
) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let tenant = me.admin.tenant_id;
    tokio::spawn(async move {
        let mut buf = start;
        let (mut after, mut sent) = (None, 0u32);
        let last = loop {
            let batch = EXPORT_BATCH.min(EXPORT_LIMIT - sent);
            let events = match st.store.audit_events_after(tenant, &f, after, batch).await {
                Ok(events) => events,
                Err(e) => {
                    tracing::error!(error = %e, "audit export failed part-way");
                    break Err(std::io::Error::other("the export failed part-way"));
                }
            };
            for e in &events {
                each(&mut buf, e, sent == 0);
                sent += 1;
            }
            let Some(e) = events.last() else {
                break Ok(());
            };
            after = Some((e.at, e.id));
            if events.len() < batch as usize || sent >= EXPORT_LIMIT {
                break Ok(());
            }
            let chunk = Bytes::from(std::mem::take(&mut buf));
            if tx.send(Ok(chunk)).await.is_err() {
                // The reader went away.
                return;
            }
        };
        let last = last.map(|()| {
            buf.extend_from_slice(end);
            Bytes::from(buf)
        });
        let _ = tx.send(last).await;
    });
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }))
}

fn download(content_type: &'static str, name: &str, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

fn export_name(ext: &str) -> String {
    let now = OffsetDateTime::now_utc();
    format!(
        "keyward-audit-{:04}{:02}{:02}-{:02}{:02}.{ext}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute()
    )
}

async fn export_csv(State(st): State<ConsoleState>, me: Me, Query(q): Query<AuditQuery>) -> Answer {
    let f = q.filter().or_page(&st, &me)?;
    let mut header = csv::Writer::from_writer(Vec::new());
    header.write_record(CSV_HEADER).map_err(|e| {
        st.console
            .error_page(me.lang, &crate::error::ApiError::internal(e))
    })?;
    let start = header.into_inner().unwrap_or_default();
    let body = export_body(
        st.clone(),
        &me,
        f,
        start,
        |buf, e, _| {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(std::mem::take(buf));
            // Writing to a Vec cannot fail.
            let _ = csv_record(&mut w, e);
            *buf = w.into_inner().unwrap_or_default();
        },
        b"",
    );
    Ok(download(
        "text/csv; charset=utf-8",
        &export_name("csv"),
        body,
    ))
}

async fn export_json(
    State(st): State<ConsoleState>,
    me: Me,
    Query(q): Query<AuditQuery>,
) -> Answer {
    let f = q.filter().or_page(&st, &me)?;
    let body = export_body(
        st.clone(),
        &me,
        f,
        b"[".to_vec(),
        |buf, e, first| {
            if !first {
                buf.push(b',');
            }
            buf.push(b'\n');
            // An event always serialises.
            let _ = serde_json::to_writer(&mut *buf, e);
        },
        b"\n]\n",
    );
    Ok(download("application/json", &export_name("json"), body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formulas_are_defused() {
        for s in ["=HYPERLINK(\"x\")", "+1", "-1", "@SUM(A1)", "\t=1"] {
            assert!(defused(s).starts_with('\''), "{s}");
        }
        assert_eq!(defused("webshop"), "webshop");
    }

    #[test]
    fn every_action_has_a_label_in_both_languages() {
        for (object, actions) in ACTIONS {
            for lang in super::super::i18n::LANGS {
                assert!(
                    I18n::new().has(lang, &format!("object-{object}")),
                    "object-{object} in {lang:?}"
                );
                for a in *actions {
                    assert!(I18n::new().has(lang, &action_key(a)), "{a} in {lang:?}");
                }
            }
        }
        for o in OBJECT_TYPES {
            assert!(I18n::new().has(Lang::Nb, &format!("object-{o}")), "{o}");
        }
    }

    #[test]
    fn details_read_as_labelled_values() {
        let i18n = I18n::new();
        let d = details(
            &i18n,
            Lang::En,
            &json!({"reason": "leaked", "expires_at": 1_795_000_000_000i64,
                    "old": {"a": 1, "b": 2}, "new": {"a": 1, "b": 3}, "zzz": [1, "x"],
                    "user_id": "u1"}),
            &Existing::from([(("user".to_string(), "u1".to_string()), "ola".to_string())]),
        );
        let by = |label: &str| d.iter().find(|x| x.label == label).map(|x| x.value.clone());
        assert_eq!(by("Reason").as_deref(), Some("leaked"));
        assert_eq!(by("b").as_deref(), Some("2 → 3"));
        assert_eq!(by("a"), None, "unchanged fields are not listed");
        assert_eq!(by("zzz").as_deref(), Some("1, x"));
        let expiry = d.iter().find(|x| x.label == "Expires").unwrap();
        assert!(expiry.value.ends_with("UTC"), "{expiry:?}");
        assert!(
            expiry.iso.as_deref().unwrap().starts_with("2026-11-18"),
            "{expiry:?}"
        );
        let user = d.iter().find(|x| x.label == "User").unwrap();
        assert_eq!(
            (user.value.as_str(), user.link.as_deref()),
            ("ola", Some("/console/users/u1"))
        );
        let nb = details(
            &i18n,
            Lang::Nb,
            &json!({"enabled": false}),
            &Existing::new(),
        );
        assert_eq!(nb[0].value, "nei");
    }
}
