//! The store conformance suite: the same tests against SQLite and PostgreSQL (the latter
//! when KEYWARD_TEST_DATABASE_URL is set, each test in a schema of its own).

use keyward_core::change::{UpdateEndpoint, UpdateEndpointToken, UpdateToken, UpdateVerifierKey};
use keyward_core::model::{SecretStorage, TenantSettings, TokenStatus};
use keyward_core::text::Name;
use keyward_core::{
    DepartmentId, Permission, ServerKey, TenantId, TokenHash, TokenId, TokenKind, TokenSecret,
};
use keyward_store::*;
use time::{Duration, OffsetDateTime};

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

const PG_ENV: &str = "KEYWARD_TEST_DATABASE_URL";

struct Db {
    store: Store,
    url: String,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("k.db").display());
    Db {
        store: Store::open(&url).await.unwrap(),
        url,
        _dir: Some(dir),
    }
}

async fn postgres() -> Option<Db> {
    let Ok(base) = std::env::var(PG_ENV) else {
        eprintln!("skipped: {PG_ENV} is not set, so the PostgreSQL run of this test cannot happen");
        return None;
    };
    let schema = format!("kws_{}", uuid::Uuid::new_v4().simple());
    {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&base).await.unwrap();
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut c)
            .await
            .unwrap();
    }
    let url = format!(
        "{base}{}options[search_path]={schema}",
        if base.contains('?') { '&' } else { '?' }
    );
    Some(Db {
        store: Store::open(&url).await.unwrap(),
        url,
        _dir: None,
    })
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(super::sqlite().await).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(db) = super::postgres().await {
                    super::$name(db).await;
                }
            }
        }
    )*};
}

conformance!(
    the_feed_delivers_every_entry_once_in_any_commit_order,
    the_feed_reports_this_process_commits_to_its_listener,
    migrations_are_idempotent,
    unique_names_conflict_per_tenant_only,
    user_update_changes_only_what_is_given,
    memberships_reference_only_the_same_tenant,
    token_subject_carries_everything_the_decision_needs,
    regeneration_keeps_old_secret_only_for_grace,
    revoke_is_idempotent_and_drops_the_sealed_copy,
    delete_skips_unknown_and_other_tenants_ids,
    lookups_by_many_ids_never_reach_another_tenant,
    status_filters_match_token_status,
    listings_sort_by_expiry_name_last_use_and_creation,
    token_details_carry_the_standing_a_check_decides,
    every_change_is_audited_and_logged_in_the_same_transaction,
    referenced_rows_cannot_be_deleted,
    last_used_never_moves_back,
    search_ignores_case_for_norwegian_letters_too,
    mobile_sessions_are_listed_and_filtered_apart_from_api_tokens,
    mobile_session_routes_never_touch_api_tokens,
    session_activity_slides_expiry_and_never_moves_back,
    locking_a_user_ends_their_sessions_for_good,
    a_session_starts_only_for_an_unlocked_member,
    a_session_starts_only_with_the_current_password_and_within_the_cap,
    a_password_change_ends_mobile_and_console_sessions_in_its_transaction,
    concurrent_creations_are_committed_together_and_fail_alone,
    a_creation_reads_settings_and_owner_together,
    audit_events_name_their_object_as_it_was_then,
    the_inactivity_policy_announces_and_revokes_each_token_once,
);

/// Each event names its object as the change left it, and a deleted object keeps the
/// name it had; exports read the whole log in batches, in the listing's order.
async fn audit_events_name_their_object_as_it_was_then(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let d = s
        .create_department(f.tenant, &name("Marketing"), &actor())
        .await
        .unwrap();
    s.rename_department(f.tenant, d.id, &name("Lønn"), &actor())
        .await
        .unwrap();
    s.delete_department(f.tenant, d.id, &actor()).await.unwrap();
    let history = AuditFilter {
        object_id: Some(d.id.to_string()),
        ..Default::default()
    };
    let named: Vec<(String, Option<String>)> = audit_events(s, f.tenant, history.clone())
        .await
        .into_iter()
        .map(|e| (e.action, e.object_name))
        .collect();
    assert_eq!(
        named,
        [
            ("department.deleted".to_string(), Some("Lønn".to_string())),
            ("department.updated".to_string(), Some("Lønn".to_string())),
            (
                "department.created".to_string(),
                Some("Marketing".to_string())
            ),
        ]
    );

    // Which objects still exist: the user until deleted.
    let u = s
        .create_user(f.tenant, &new_user("ola"), &actor())
        .await
        .unwrap();
    let key = ("user".to_string(), u.id.to_string());
    let alive = s
        .existing_objects(f.tenant, std::slice::from_ref(&key))
        .await
        .unwrap();
    assert_eq!(alive.get(&key).map(String::as_str), Some("ola"));
    s.delete_user(f.tenant, u.id, &actor()).await.unwrap();
    let alive = s
        .existing_objects(f.tenant, std::slice::from_ref(&key))
        .await
        .unwrap();
    assert!(alive.is_empty());
    let gone = audit_events(s, f.tenant, action("user.deleted")).await;
    assert_eq!(gone[0].object_name.as_deref(), Some("ola"));

    // Batches of two, each after the last one read, give the listing's events in order.
    let all = audit_events(s, f.tenant, AuditFilter::default()).await;
    let mut read = Vec::new();
    let mut after = None;
    loop {
        let batch = s
            .audit_events_after(f.tenant, &AuditFilter::default(), after, 2)
            .await
            .unwrap();
        let Some(last) = batch.last() else { break };
        after = Some((last.at, last.id));
        read.extend(batch.into_iter().map(|e| e.id));
    }
    assert_eq!(read, all.iter().map(|e| e.id).collect::<Vec<_>>());
    assert!(all.len() > 4, "enough events to need several batches");
}

/// Group commit: creations that arrive together (in two tenants, one of them naming a
/// user that does not exist) each end as if made alone: the good ones stored, audited in
/// their own tenant and found by their secret, the bad one refused without the others.
async fn concurrent_creations_are_committed_together_and_fail_alone(db: Db) {
    let s = &db.store;
    let (a, b) = two_tenants(s).await;
    let mut asked = Vec::new();
    for i in 0..40 {
        let f = if i % 2 == 0 { &a } else { &b };
        let (mut new, secret) = new_token(f, &format!("t{i}"), None);
        if i == 7 {
            new.user_id = keyward_core::UserId::new();
        }
        asked.push((f.tenant, new, secret));
    }
    let from = s.feed_position().await.unwrap();
    let mut writes = tokio::task::JoinSet::new();
    for (i, (tenant, new, _)) in asked.iter().enumerate() {
        let (s, tenant, new) = (s.clone(), *tenant, new.clone());
        writes.spawn(async move { (i, s.insert_token(tenant, &new, &actor()).await) });
    }
    while let Some(done) = writes.join_next().await {
        let (i, made) = done.unwrap();
        let (tenant, new, _) = &asked[i];
        match made {
            Ok(d) => assert_eq!((d.token.id, d.token.tenant_id), (new.id, *tenant)),
            Err(e) => assert_eq!(i, 7, "only the creation without a user fails: {e}"),
        }
    }
    for (i, (tenant, new, secret)) in asked.iter().enumerate() {
        let found = subject(s, secret).await;
        assert_eq!(found.map(|f| f.token.id), (i != 7).then_some(new.id));
        let _ = tenant;
    }
    // Each stored token is one entry of the change feed, in its tenant, under a
    // sequence number of its own, however many shared a commit.
    let (changes, _) = s.changes_after(&from).await.unwrap();
    let mut logged: Vec<(TenantId, String)> = changes
        .iter()
        .filter(|c| c.action == "token.created")
        .map(|c| (c.tenant_id, c.object_id.clone()))
        .collect();
    logged.sort();
    let mut stored: Vec<(TenantId, String)> = asked
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 7)
        .map(|(_, (tenant, new, _))| (*tenant, new.id.to_string()))
        .collect();
    stored.sort();
    assert_eq!(logged, stored);
    let seqs: std::collections::HashSet<i64> = changes.iter().map(|c| c.seq).collect();
    assert_eq!(
        seqs.len(),
        changes.len(),
        "every entry has a sequence number of its own"
    );
    for (f, stored) in [(&a, 20), (&b, 19)] {
        let events = audit_events(s, f.tenant, action("token.created")).await;
        assert_eq!(
            events.len(),
            stored,
            "one event per stored token, in its tenant"
        );
        for e in &events {
            let (_, new, _) = asked
                .iter()
                .find(|(_, n, _)| n.id.to_string() == e.object_id)
                .expect("an event of a token asked for");
            assert_eq!(e.object_name.as_deref(), Some(new.name.as_str()));
        }
        let (_, total) = s
            .list_tokens(f.tenant, &TokenFilter::default(), Page::default())
            .await
            .unwrap();
        assert_eq!(total, stored as i64);
    }
}

async fn a_creation_reads_settings_and_owner_together(db: Db) {
    let s = &db.store;
    let (a, b) = two_tenants(s).await;
    let second = s
        .create_department(a.tenant, &name("Accounts"), &actor())
        .await
        .unwrap();
    s.add_membership(a.tenant, a.user, second.id, a.ut, &actor())
        .await
        .unwrap();
    let (settings, owner) = s.settings_and_owner(a.tenant, a.user).await.unwrap();
    assert_eq!(settings, s.settings(a.tenant).await.unwrap());
    // Users and memberships have no `Eq`: they are compared as they serialise.
    fn v<T: serde::Serialize>(x: &T) -> serde_json::Value {
        serde_json::to_value(x).unwrap()
    }
    let (user, memberships) = owner.expect("the tenant's user");
    assert_eq!(v(&user), v(&s.user(a.tenant, a.user).await.unwrap()));
    assert_eq!(
        v(&memberships),
        v(&s.memberships(a.tenant, a.user).await.unwrap())
    );
    let departments: Vec<&str> = memberships
        .iter()
        .map(|m| m.department_name.as_str())
        .collect();
    assert_eq!(
        departments,
        ["Accounts", "Sales"],
        "in the documented order"
    );
    let alone = s.user_and_memberships(a.tenant, a.user).await.unwrap();
    assert_eq!(v(&alone), v(&Some((user, memberships))));
    // Another tenant's user is no user of this one; a user without memberships has none.
    let (_, other) = s.settings_and_owner(a.tenant, b.user).await.unwrap();
    assert!(other.is_none());
    assert!(s
        .user_and_memberships(a.tenant, b.user)
        .await
        .unwrap()
        .is_none());
    let lone = s
        .create_user(a.tenant, &new_user("lone"), &actor())
        .await
        .unwrap();
    let (_, owner) = s.settings_and_owner(a.tenant, lone.id).await.unwrap();
    let (found, none) = owner.expect("a user without memberships");
    assert_eq!((found.id, none.len()), (lone.id, 0));
    assert!(matches!(
        s.settings_and_owner(TenantId::new(), a.user).await,
        Err(StoreError::NotFound(_))
    ));
}

fn actor() -> Actor {
    Actor::system("test")
}

struct Fixture {
    tenant: TenantId,
    user: keyward_core::UserId,
    dept: DepartmentId,
    ut: keyward_core::UserTypeId,
}

async fn fixture(s: &Store, tenant_name: &str) -> Fixture {
    let t = s
        .create_tenant(tenant_name, &TenantSettings::default(), &actor())
        .await
        .unwrap();
    let u = s
        .create_user(t.id, &new_user("svc"), &actor())
        .await
        .unwrap();
    let d = s
        .create_department(t.id, &name("Sales"), &actor())
        .await
        .unwrap();
    let ut = s
        .create_user_type(
            t.id,
            &name("Reader"),
            &[Permission::parse("orders:read").unwrap()],
            &actor(),
        )
        .await
        .unwrap();
    s.add_membership(t.id, u.id, d.id, ut.id, &actor())
        .await
        .unwrap();
    Fixture {
        tenant: t.id,
        user: u.id,
        dept: d.id,
        ut: ut.id,
    }
}

/// The same fixture in two tenants, `acme` and `globex`, for the tests that one tenant's
/// rows stay out of the other's reach.
async fn two_tenants(s: &Store) -> (Fixture, Fixture) {
    (fixture(s, "acme").await, fixture(s, "globex").await)
}

fn new_user(name: &str) -> NewUser {
    NewUser {
        username: name.into(),
        email: format!("{name}@example.com"),
        display_name: name.into(),
        is_admin: false,
        is_technical: true,
        active_from: None,
        active_until: None,
        password_hash: None,
    }
}

fn key() -> ServerKey {
    ServerKey::from_bytes(&[3; 32])
}

fn secret_for(t: &TokenSecret) -> NewSecret {
    NewSecret {
        hash: key().hash_token(t.expose()),
        hint: t.hint(),
        sealed: None,
    }
}

/// An API token `name` of the fixture's membership, not stored yet, and its secret.
fn new_token(
    f: &Fixture,
    name: &str,
    expires_at: Option<OffsetDateTime>,
) -> (NewToken, TokenSecret) {
    let secret = TokenSecret::generate(TokenKind::Api);
    let new = NewToken {
        id: TokenId::new(),
        kind: TokenKind::Api,
        name: keyward_core::text::Name::parse(name).unwrap(),
        description: String::new(),
        user_id: f.user,
        department_id: f.dept,
        user_type_id: f.ut,
        secret: secret_for(&secret),
        expires_at,
        allowed_cidrs: vec![],
        rate_limit: None,
        max_uses: None,
        imported: false,
    };
    (new, secret)
}

async fn token(
    s: &Store,
    f: &Fixture,
    name: &str,
    expires_at: Option<OffsetDateTime>,
) -> (TokenId, TokenSecret) {
    let (new, secret) = new_token(f, name, expires_at);
    s.insert_token(f.tenant, &new, &actor()).await.unwrap();
    (new.id, secret)
}

fn hash(t: &TokenSecret) -> TokenHash {
    key().hash_token(t.expose())
}

/// The API token or mobile session `secret` opens, as a check reads it (`None` when it
/// opens nothing).
async fn subject(s: &Store, secret: &TokenSecret) -> Option<keyward_core::verify::Subject> {
    s.subject_by_hash(&hash(secret)).await.unwrap()
}

/// Regenerates the fixture's token `id` with a fresh secret, the old one kept until
/// `grace_until`; the new secret, whose hint the token shows from now on.
async fn regenerated(
    s: &Store,
    f: &Fixture,
    id: TokenId,
    grace_until: Option<OffsetDateTime>,
) -> TokenSecret {
    let secret = TokenSecret::generate(TokenKind::Api);
    let t = s
        .regenerate_token(
            f.tenant,
            id,
            &secret_for(&secret),
            grace_until,
            None,
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(t.token.hint, secret.hint());
    secret
}

/// Changes the fixture's user as `up` says; the user as stored after.
async fn update_user(s: &Store, f: &Fixture, up: &UserUpdate) -> keyward_core::model::User {
    s.update_user(f.tenant, f.user, up, &actor()).await.unwrap()
}

/// The code of a refusal (`StoreError::Refused`); `None` for any other result.
fn refusal<T>(r: StoreResult<T>) -> Option<&'static str> {
    match r {
        Err(StoreError::Refused { code, .. }) => Some(code),
        _ => None,
    }
}

/// The tenant's audit events that `filter` selects, newest first.
async fn audit_events(s: &Store, tenant: TenantId, filter: AuditFilter) -> Vec<AuditEvent> {
    let (events, _) = s
        .list_audit_events(tenant, &filter, Page::default())
        .await
        .unwrap();
    events
}

/// Selects the audit events with the action `name`.
fn action(name: &str) -> AuditFilter {
    AuditFilter {
        action: Some(name.into()),
        ..Default::default()
    }
}

/// Selects the audit events about the object `id`.
fn about(id: impl ToString) -> AuditFilter {
    AuditFilter {
        object_id: Some(id.to_string()),
        ..Default::default()
    }
}

/// Switches the tenant's secret storage.
async fn set_secret_storage(s: &Store, tenant: TenantId, storage: SecretStorage) {
    let switch = |st: &mut TenantSettings| {
        st.secret_storage = storage;
        Ok(())
    };
    s.update_settings(tenant, switch, &actor()).await.unwrap();
}

async fn migrations_are_idempotent(db: Db) {
    let f = fixture(&db.store, "acme").await;
    let again = Store::open(&db.url).await.unwrap();
    assert_eq!(
        again.tenant(f.tenant).await.unwrap().name,
        "acme",
        "reopening keeps data"
    );
}

async fn unique_names_conflict_per_tenant_only(db: Db) {
    let s = &db.store;
    let (a, b) = two_tenants(s).await;
    assert!(matches!(
        s.create_tenant("acme", &TenantSettings::default(), &actor())
            .await,
        Err(StoreError::Conflict {
            field: "tenant name",
            ..
        })
    ));
    assert!(matches!(
        s.create_user(a.tenant, &new_user("svc"), &actor()).await,
        Err(StoreError::Conflict {
            field: "username",
            ..
        })
    ));
    assert!(matches!(
        s.create_department(a.tenant, &name("Sales"), &actor())
            .await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        s.add_membership(a.tenant, a.user, a.dept, a.ut, &actor())
            .await,
        Err(StoreError::Conflict { .. })
    ));
    // The same names live happily in another tenant.
    assert_eq!(s.user(b.tenant, b.user).await.unwrap().username, "svc");
}

async fn user_update_changes_only_what_is_given(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let until = OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap();
    let up = UserUpdate {
        locked: Some(true),
        active_until: Some(Some(until)),
        ..Default::default()
    };
    let u = update_user(s, &f, &up).await;
    assert!(u.locked && u.is_technical);
    assert_eq!(u.active_until, Some(until));
    assert_eq!(u.email, "svc@example.com");
    let forever = UserUpdate {
        active_until: Some(None),
        ..Default::default()
    };
    let u = update_user(s, &f, &forever).await;
    assert_eq!(u.active_until, None);
    assert!(u.locked, "untouched fields keep their values");
}

async fn memberships_reference_only_the_same_tenant(db: Db) {
    let s = &db.store;
    let (a, b) = two_tenants(s).await;
    let err = s
        .add_membership(a.tenant, a.user, b.dept, a.ut, &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound("department")), "{err}");
    let err = s
        .add_membership(a.tenant, b.user, a.dept, a.ut, &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound("user")), "{err}");
    let ms = s.memberships(a.tenant, a.user).await.unwrap();
    assert_eq!(ms.len(), 1);
    assert_eq!(
        (
            ms[0].department_name.as_str(),
            ms[0].user_type_name.as_str()
        ),
        ("Sales", "Reader")
    );
    assert!(matches!(
        s.remove_membership(b.tenant, a.user, ms[0].id, &actor())
            .await,
        Err(StoreError::NotFound(_))
    ));
    s.remove_membership(a.tenant, a.user, ms[0].id, &actor())
        .await
        .unwrap();
    assert!(s.memberships(a.tenant, a.user).await.unwrap().is_empty());
}

async fn token_subject_carries_everything_the_decision_needs(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let (id, secret) = token(s, &f, "erp", None).await;
    let subj = subject(s, &secret).await.unwrap();
    assert_eq!(subj.token.id, id);
    let o = &subj.owner;
    assert_eq!((o.tenant_id, o.user_id), (f.tenant, f.user));
    assert_eq!(o.username, "svc");
    assert_eq!(
        (o.department_name.as_str(), o.user_type_name.as_str()),
        ("Sales", "Reader")
    );
    assert_eq!(
        o.permissions,
        vec![Permission::parse("orders:read").unwrap()]
    );
    assert!(o.membership_held && !o.user_locked && !o.user_is_admin);
    assert_eq!(o.settings, TenantSettings::default());
    assert!(subj.token.enabled && !subj.token.revoked);
    assert_eq!(subj.secret_valid_until(), None);
    assert!(subject(s, &TokenSecret::generate(TokenKind::Api))
        .await
        .is_none());
    assert!(s
        .secret_hash_prefixes()
        .await
        .unwrap()
        .contains(&hash(&secret).prefix64()));
    let ms = s.memberships(f.tenant, f.user).await.unwrap();
    s.remove_membership(f.tenant, f.user, ms[0].id, &actor())
        .await
        .unwrap();
    assert!(!subject(s, &secret).await.unwrap().owner.membership_held);
}

async fn regeneration_keeps_old_secret_only_for_grace(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let (id, first) = token(s, &f, "erp", None).await;
    let until = OffsetDateTime::now_utc() + Duration::hours(1);
    let second = regenerated(s, &f, id, Some(until)).await;
    let old = subject(s, &first).await.unwrap();
    assert!(old
        .secret_valid_until()
        .is_some_and(|u| (u - until).abs() < Duration::seconds(1)));
    assert_eq!(
        subject(s, &second).await.unwrap().secret_valid_until(),
        None
    );
    let third = regenerated(s, &f, id, None).await;
    assert!(subject(s, &first).await.is_none());
    assert!(subject(s, &second).await.is_none());
    assert!(subject(s, &third).await.is_some());
}

async fn revoke_is_idempotent_and_drops_the_sealed_copy(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let secret = TokenSecret::generate(TokenKind::Api);
    let id = TokenId::new();
    let sealed = key().seal(secret.expose(), id.to_string().as_bytes());
    let new = NewToken {
        id,
        kind: TokenKind::Api,
        name: keyward_core::text::Name::parse("r").unwrap(),
        description: String::new(),
        user_id: f.user,
        department_id: f.dept,
        user_type_id: f.ut,
        secret: NewSecret {
            hash: hash(&secret),
            hint: secret.hint(),
            sealed: Some(sealed.clone()),
        },
        expires_at: None,
        allowed_cidrs: vec![],
        rate_limit: None,
        max_uses: None,
        imported: false,
    };
    assert!(
        s.insert_token(f.tenant, &new, &actor())
            .await
            .unwrap()
            .token
            .recoverable
    );
    assert_eq!(
        s.reveal_sealed(f.tenant, id, &actor()).await.unwrap(),
        Some(sealed)
    );
    let first = s.revoke_token(f.tenant, id, &actor()).await.unwrap();
    assert_eq!(first.status, TokenStatus::Revoked);
    assert!(!first.token.recoverable);
    let second = s.revoke_token(f.tenant, id, &actor()).await.unwrap();
    assert_eq!(first.token.revoked_at, second.token.revoked_at);
    let events = audit_events(s, f.tenant, action("token.revoked")).await;
    assert_eq!(events.len(), 1, "revoking twice records one event");
}

async fn delete_skips_unknown_and_other_tenants_ids(db: Db) {
    let s = &db.store;
    let (a, b) = two_tenants(s).await;
    let (ta, sa) = token(s, &a, "a", None).await;
    let (tb, _) = token(s, &b, "b", None).await;
    let deleted = s
        .delete_tokens(a.tenant, &[ta, tb, TokenId::new()], &actor())
        .await
        .unwrap();
    assert_eq!(deleted, vec![ta]);
    assert!(subject(s, &sa).await.is_none(), "its secrets are gone too");
    assert!(
        s.token(b.tenant, tb).await.is_ok(),
        "another tenant's token is untouched"
    );
    assert!(matches!(
        s.token(a.tenant, tb).await,
        Err(StoreError::NotFound("token"))
    ));
}

/// The reads of many objects by id (a bulk action's kinds, the audit page's live
/// names) keep to the tenant asked about, however the ids were mixed.
async fn lookups_by_many_ids_never_reach_another_tenant(db: Db) {
    let s = &db.store;
    let (a, b) = two_tenants(s).await;
    let (ta, _) = token(s, &a, "mine", None).await;
    let (tb, _) = token(s, &b, "theirs", None).await;
    let kinds = s.token_kinds(a.tenant, &[ta, tb]).await.unwrap();
    assert_eq!(kinds.keys().collect::<Vec<_>>(), [&ta]);
    let objects = [
        ("token".to_string(), ta.to_string()),
        ("token".to_string(), tb.to_string()),
    ];
    let live = s.existing_objects(a.tenant, &objects).await.unwrap();
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(live.get(&objects[0]).map(String::as_str), Some("mine"));
    let live = s.existing_objects(b.tenant, &objects).await.unwrap();
    assert_eq!(live.get(&objects[1]).map(String::as_str), Some("theirs"));
    assert!(!live.contains_key(&objects[0]));
}

async fn status_filters_match_token_status(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let now = OffsetDateTime::now_utc();
    let (active, _) = token(s, &f, "active", Some(now + Duration::days(1))).await;
    let (expired, _) = token(s, &f, "expired", Some(now - Duration::seconds(1))).await;
    let (revoked, _) = token(s, &f, "revoked", None).await;
    s.revoke_token(f.tenant, revoked, &actor()).await.unwrap();
    let (disabled, _) = token(s, &f, "disabled", None).await;
    s.update_token(
        f.tenant,
        disabled,
        &UpdateToken {
            enabled: Some(false),
            ..Default::default()
        },
        &actor(),
    )
    .await
    .unwrap();
    for (filter, expected, status) in [
        (TokenStatusFilter::Active, active, TokenStatus::Active),
        (TokenStatusFilter::Expired, expired, TokenStatus::Expired),
        (TokenStatusFilter::Revoked, revoked, TokenStatus::Revoked),
        (TokenStatusFilter::Disabled, disabled, TokenStatus::Disabled),
    ] {
        let (items, total) = s
            .list_tokens(
                f.tenant,
                &TokenFilter {
                    status: filter,
                    ..Default::default()
                },
                Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(total, 1, "{filter:?}");
        assert_eq!((items[0].token.id, items[0].status), (expected, status));
    }
    let (all, total) = s
        .list_tokens(f.tenant, &TokenFilter::default(), Page::new(1, 2))
        .await
        .unwrap();
    assert_eq!((all.len(), total), (2, 4));
    assert_eq!(all[0].token.id, disabled, "newest first");
    // The metrics' grouped count puts each token in the same state as the filters.
    let mut counts = s.token_counts().await.unwrap();
    counts.sort_by_key(|c| c.status.as_str());
    let states: Vec<_> = counts
        .iter()
        .map(|c| (c.tenant.as_str(), c.kind, c.status, c.count))
        .collect();
    assert_eq!(
        states,
        [
            ("acme", TokenKind::Api, TokenStatus::Active, 1),
            ("acme", TokenKind::Api, TokenStatus::Disabled, 1),
            ("acme", TokenKind::Api, TokenStatus::Expired, 1),
            ("acme", TokenKind::Api, TokenStatus::Revoked, 1),
        ]
    );
}

/// A token's details say what a check would answer now, owner and membership included,
/// and a listing can be filtered by it, page by page.
async fn token_details_carry_the_standing_a_check_decides(db: Db) {
    use keyward_core::VerifyCode;
    use keyward_store::{StandingFilter, UserUpdate};
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let (a, _) = token(s, &f, "a", None).await;
    let (b, _) = token(s, &f, "b", None).await;
    let standing = async |id| s.token(f.tenant, id).await.unwrap().effective_status;
    assert_eq!(standing(a).await, VerifyCode::Valid);
    let lock = |locked| UserUpdate {
        locked: Some(locked),
        ..Default::default()
    };
    s.update_user(f.tenant, f.user, &lock(true), &actor())
        .await
        .unwrap();
    assert_eq!(standing(a).await, VerifyCode::UserLocked);
    // The owner's other user, unlocked, with a token that stays valid.
    let other = s
        .create_user(f.tenant, &new_user("erp"), &actor())
        .await
        .unwrap();
    s.add_membership(f.tenant, other.id, f.dept, f.ut, &actor())
        .await
        .unwrap();
    let g = Fixture {
        user: other.id,
        ..f
    };
    let (c, _) = token(s, &g, "c", None).await;
    let listed = async |standing| {
        let filter = TokenFilter {
            standing,
            ..Default::default()
        };
        let (items, total) = s
            .list_tokens(f.tenant, &filter, Page::new(1, 1))
            .await
            .unwrap();
        (
            items.into_iter().map(|t| t.token.id).collect::<Vec<_>>(),
            total,
        )
    };
    assert_eq!(
        listed(Some(StandingFilter::Is(VerifyCode::Valid))).await,
        (vec![c], 1)
    );
    // Refused: a and b, newest first, one page of one.
    assert_eq!(listed(Some(StandingFilter::Refused)).await, (vec![b], 2));
    let filter = TokenFilter {
        standing: Some(StandingFilter::Is(VerifyCode::UserLocked)),
        ..Default::default()
    };
    let (second, _) = s
        .list_tokens(f.tenant, &filter, Page::new(2, 1))
        .await
        .unwrap();
    assert_eq!(second[0].token.id, a);
    assert_eq!(listed(None).await.1, 3);

    // Unlocked, the token is valid again; without its membership, it is refused.
    s.update_user(f.tenant, f.user, &lock(false), &actor())
        .await
        .unwrap();
    assert_eq!(standing(a).await, VerifyCode::Valid);
    let m = s.memberships(f.tenant, other.id).await.unwrap();
    s.remove_membership(f.tenant, other.id, m[0].id, &actor())
        .await
        .unwrap();
    assert_eq!(standing(c).await, VerifyCode::Forbidden);
}

/// Each order of a token listing, both ways, with tokens that never expire and were never
/// used at the ends a reader expects; and the "expires by" filter.
async fn listings_sort_by_expiry_name_last_use_and_creation(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let now = OffsetDateTime::now_utc();
    // Made in this order: b, a, C, d.
    let (b, _) = token(s, &f, "b", Some(now + Duration::days(30))).await;
    let (a, _) = token(s, &f, "a", None).await;
    let (c, _) = token(s, &f, "C", Some(now + Duration::days(3))).await;
    let (d, _) = token(s, &f, "d", Some(now + Duration::days(10))).await;
    s.touch_last_used(&[(b, now - Duration::hours(1)), (d, now - Duration::days(2))])
        .await
        .unwrap();
    let listed = async |order: TokenOrder, expires_by: Option<OffsetDateTime>| {
        let filter = TokenFilter {
            order,
            expires_by,
            ..Default::default()
        };
        let (items, total) = s
            .list_tokens(f.tenant, &filter, Page::default())
            .await
            .unwrap();
        assert_eq!(items.len() as i64, total);
        items.into_iter().map(|t| t.token.id).collect::<Vec<_>>()
    };
    let by = |key, descending| TokenOrder { key, descending };
    for (order, expected) in [
        (TokenOrder::default(), vec![d, c, a, b]),
        (by(TokenSortKey::Created, false), vec![b, a, c, d]),
        (by(TokenSortKey::Expiry, false), vec![c, d, b, a]),
        (by(TokenSortKey::Expiry, true), vec![a, b, d, c]),
        (by(TokenSortKey::Name, false), vec![a, b, c, d]),
        (by(TokenSortKey::Name, true), vec![d, c, b, a]),
        (by(TokenSortKey::LastUsed, true), vec![b, d, c, a]),
        (by(TokenSortKey::LastUsed, false), vec![a, c, d, b]),
    ] {
        assert_eq!(listed(order, None).await, expected, "{order:?}");
    }
    let soon = listed(
        by(TokenSortKey::Expiry, false),
        Some(now + Duration::days(14)),
    )
    .await;
    assert_eq!(soon, vec![c, d], "expiring within 14 days");
}

/// Writes one change-log entry in a transaction of its own connection and returns the
/// open transaction's connection, so the test decides when it commits.
async fn open_entry(db: &Db, object_id: &str) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut c = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut c).await.unwrap();
    sqlx::query(
        "INSERT INTO change_log (tenant_id, action, object_type, object_id, at) \
         VALUES ('00000000-0000-0000-0000-000000000000', 'token.revoked', 'token', $1, 0)",
    )
    .bind(object_id.to_string())
    .execute(&mut c)
    .await
    .unwrap();
    c
}

/// A transaction that took a lower sequence number and commits after one that took a
/// higher one (PostgreSQL numbers at insert, shows at commit): a reader that had passed
/// the higher number must still get the lower one, once. On SQLite the second writer
/// waits for the first, so the same test shows plain commit order.
async fn the_feed_delivers_every_entry_once_in_any_commit_order(db: Db) {
    let s = &db.store;
    let start = s.feed_position().await.unwrap();
    let mut early = open_entry(&db, "early").await;
    if s.backend() == Backend::Sqlite {
        // One writer at a time: commit before the next can begin.
        sqlx::query("COMMIT").execute(&mut early).await.unwrap();
    }
    let mut late = open_entry(&db, "late").await;
    sqlx::query("COMMIT").execute(&mut late).await.unwrap();
    let (first, pos) = s.changes_after(&start).await.unwrap();
    let ids = |c: &[Change]| c.iter().map(|c| c.object_id.clone()).collect::<Vec<_>>();
    if s.backend() == Backend::Postgres {
        assert_eq!(
            ids(&first),
            ["late"],
            "the open transaction's entry is not visible yet"
        );
        sqlx::query("COMMIT").execute(&mut early).await.unwrap();
        let (second, pos2) = s.changes_after(&pos).await.unwrap();
        assert_eq!(
            ids(&second),
            ["early"],
            "the late commit is read, though its number is lower"
        );
        assert!(second[0].seq < first[0].seq);
        let (third, _) = s.changes_after(&pos2).await.unwrap();
        assert!(third.is_empty(), "nothing is read twice: {:?}", ids(&third));
    } else {
        assert_eq!(ids(&first), ["early", "late"]);
        assert!(s.changes_after(&pos).await.unwrap().0.is_empty());
    }
    // A transaction that rolls back leaves a gap in the numbers that never fills: the
    // reader goes past it.
    let pos = s.feed_position().await.unwrap();
    let mut aborted = open_entry(&db, "aborted").await;
    sqlx::query("ROLLBACK").execute(&mut aborted).await.unwrap();
    let mut after = open_entry(&db, "after").await;
    sqlx::query("COMMIT").execute(&mut after).await.unwrap();
    let (c, _) = s.changes_after(&pos).await.unwrap();
    assert_eq!(ids(&c), ["after"]);
}

/// What a transaction commits reaches the store's listener right after the commit, with
/// its entries and the secrets it stored; a transaction that fails reports nothing.
async fn the_feed_reports_this_process_commits_to_its_listener(db: Db) {
    use std::sync::{Arc, Mutex};
    struct Seen(Mutex<Vec<Committed>>);
    impl ChangeListener for Seen {
        fn committed(&self, c: &Committed) {
            self.0.lock().unwrap().push(c.clone());
        }
    }
    let s = &db.store;
    let seen = Arc::new(Seen(Mutex::new(Vec::new())));
    assert!(s.set_change_listener(seen.clone()));
    let f = fixture(s, "acme").await;
    let before = seen.0.lock().unwrap().len();
    let (id, secret) = token(s, &f, "erp", None).await;
    {
        let got = seen.0.lock().unwrap();
        assert_eq!(got.len(), before + 1, "one transaction, one report");
        let last = got.last().unwrap();
        assert_eq!(last.changes.len(), 1);
        assert_eq!(last.changes[0].action, "token.created");
        assert_eq!(last.changes[0].object_id, id.to_string());
        assert_eq!(last.changes[0].tenant_id, f.tenant);
        assert_eq!(last.secrets, [key().hash_token(secret.expose())]);
    }
    assert!(s
        .create_department(f.tenant, &name("Sales"), &actor())
        .await
        .is_err());
    assert_eq!(
        seen.0.lock().unwrap().len(),
        before + 1,
        "a refused change reports nothing"
    );
}

async fn every_change_is_audited_and_logged_in_the_same_transaction(db: Db) {
    let s = &db.store;
    let before = s.feed_position().await.unwrap();
    let f = fixture(s, "acme").await;
    let (id, _) = token(s, &f, "erp", None).await;
    let who = Actor {
        user_id: Some(f.user),
        name: "svc".into(),
        ip: Some("192.0.2.7".into()),
    };
    s.revoke_token(f.tenant, id, &who).await.unwrap();
    let (events, total) = s
        .list_audit_events(f.tenant, &AuditFilter::default(), Page::default())
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "token.revoked",
            "token.created",
            "membership.added",
            "user_type.created",
            "department.created",
            "user.created",
            "tenant.created"
        ]
    );
    assert_eq!(total, 7);
    assert_eq!(
        (
            events[0].actor.as_str(),
            events[0].ip.as_deref(),
            events[0].actor_id
        ),
        ("svc", Some("192.0.2.7"), Some(f.user))
    );
    let (changes, _) = s.changes_after(&before).await.unwrap();
    assert_eq!(changes.len(), 7);
    assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(
        (
            changes[6].object_type.as_str(),
            changes[6].object_id.clone()
        ),
        ("token", id.to_string())
    );
    // A refused change leaves neither an audit event nor a change behind.
    let pos = s.feed_position().await.unwrap();
    assert!(s
        .create_department(f.tenant, &name("Sales"), &actor())
        .await
        .is_err());
    assert!(s.changes_after(&pos).await.unwrap().0.is_empty());
}

async fn referenced_rows_cannot_be_deleted(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    token(s, &f, "erp", None).await;
    assert!(matches!(
        s.delete_department(f.tenant, f.dept, &actor()).await,
        Err(StoreError::InUse(_))
    ));
    assert!(matches!(
        s.delete_user_type(f.tenant, f.ut, &actor()).await,
        Err(StoreError::InUse(_))
    ));
    assert!(matches!(
        s.delete_user(f.tenant, f.user, &actor()).await,
        Err(StoreError::InUse(_))
    ));
    assert!(
        s.department(f.tenant, f.dept).await.is_ok(),
        "nothing was half-deleted"
    );
    assert_eq!(s.memberships(f.tenant, f.user).await.unwrap().len(), 1);
}

async fn last_used_never_moves_back(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let (id, _) = token(s, &f, "erp", None).await;
    let later = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let earlier = later - Duration::hours(1);
    s.touch_last_used(&[(id, later)]).await.unwrap();
    s.touch_last_used(&[(id, earlier)]).await.unwrap();
    assert_eq!(
        s.token(f.tenant, id).await.unwrap().token.last_used_at,
        Some(later)
    );
    // A flush larger than one statement's batch (500): tokens in every batch are written,
    // and ids that name nothing are passed over. Ids are time-ordered, so `other`, made
    // between the two runs of made-up ids, sorts into the second batch.
    let latest = later + Duration::hours(1);
    let mut batch: Vec<_> = (0..700).map(|_| (TokenId::new(), latest)).collect();
    let (other, _) = token(s, &f, "crm", None).await;
    batch.extend((0..700).map(|_| (TokenId::new(), latest)));
    batch.push((id, latest));
    batch.push((other, latest));
    s.touch_last_used(&batch).await.unwrap();
    for t in [id, other] {
        assert_eq!(
            s.token(f.tenant, t).await.unwrap().token.last_used_at,
            Some(latest)
        );
    }
    // A token deleted between its check and the flush takes its last use with it, and
    // the flush still writes the others.
    s.delete_tokens(f.tenant, &[other], &actor()).await.unwrap();
    let last = latest + Duration::hours(1);
    s.touch_last_used(&[(id, last), (other, last)])
        .await
        .unwrap();
    assert_eq!(
        s.token(f.tenant, id).await.unwrap().token.last_used_at,
        Some(last)
    );
}

async fn search_ignores_case_for_norwegian_letters_too(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    s.create_department(f.tenant, &name("Økonomi"), &actor())
        .await
        .unwrap();
    let mut u = new_user("aase");
    u.display_name = "Åse Ødegård".into();
    s.create_user(f.tenant, &u, &actor()).await.unwrap();
    for q in ["øk", "ØK", "Økonomi"] {
        let (found, _) = s
            .list_departments(f.tenant, Some(q), Page::default())
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{q}");
    }
    let (found, _) = s
        .list_users(
            f.tenant,
            &UserFilter {
                q: Some("ØDEGÅRD".into()),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    // Renaming keeps the search text in step.
    let d = s
        .list_departments(f.tenant, Some("øk"), Page::default())
        .await
        .unwrap()
        .0
        .remove(0);
    s.rename_department(f.tenant, d.id, &name("Lønn"), &actor())
        .await
        .unwrap();
    assert_eq!(
        s.list_departments(f.tenant, Some("øk"), Page::default())
            .await
            .unwrap()
            .1,
        0
    );
    assert_eq!(
        s.list_departments(f.tenant, Some("LØNN"), Page::default())
            .await
            .unwrap()
            .1,
        1
    );
}

async fn session(
    s: &Store,
    f: &Fixture,
    device: &str,
    expires_at: OffsetDateTime,
) -> (TokenId, TokenSecret) {
    let secret = TokenSecret::generate(TokenKind::Mobile);
    let id = TokenId::new();
    let new = NewMobileSession {
        id,
        user_id: f.user,
        department_id: f.dept,
        user_type_id: f.ut,
        device_name: device.into(),
        secret: secret_for(&secret),
        expires_at,
    };
    let who = Actor {
        user_id: Some(f.user),
        name: "svc".into(),
        ip: None,
    };
    let created = s.create_mobile_session(f.tenant, &new, &who).await.unwrap();
    assert_eq!(
        (
            created.id,
            created.device_name.as_str(),
            created.username.as_str()
        ),
        (id, device, "svc")
    );
    (id, secret)
}

fn in_days(n: i64) -> OffsetDateTime {
    now() + Duration::days(n)
}

async fn mobile_sessions_are_listed_and_filtered_apart_from_api_tokens(db: Db) {
    let s = &db.store;
    let (f, other) = two_tenants(s).await;
    let (api, _) = token(s, &f, "erp", None).await;
    let (phone, secret) = session(s, &f, "Kari's Phone", in_days(30)).await;
    let (old, _) = session(s, &f, "Old tablet", now() - Duration::seconds(1)).await;
    session(s, &other, "Kari's Phone", in_days(30)).await;

    let subj = subject(s, &secret).await.unwrap();
    assert_eq!(subj.token.kind, TokenKind::Mobile);
    assert!(subj.owner.membership_held);

    let ids = |status, q: Option<&str>| {
        let filter = MobileSessionFilter {
            status,
            q: q.map(Into::into),
            ..Default::default()
        };
        let tenant = f.tenant;
        async move {
            let (items, total) = s
                .list_mobile_sessions(tenant, &filter, Page::default())
                .await
                .unwrap();
            assert_eq!(items.len() as i64, total);
            items.into_iter().map(|m| m.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(ids(SessionStatusFilter::Active, None).await, [phone]);
    assert_eq!(ids(SessionStatusFilter::Expired, None).await, [old]);
    assert_eq!(
        ids(SessionStatusFilter::All, None).await,
        [old, phone],
        "newest first"
    );
    for (q, found) in [
        ("KARI", 1),
        ("TABLET", 1),
        ("svc@EXAMPLE", 2),
        ("nobody", 0),
    ] {
        let n = ids(SessionStatusFilter::All, Some(q)).await.len();
        assert_eq!(n, found, "device name, username or email: {q}");
    }
    let (by_dept, _) = s
        .list_mobile_sessions(
            f.tenant,
            &MobileSessionFilter {
                department_id: Some(other.dept),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert!(
        by_dept.is_empty(),
        "another tenant's department finds nothing"
    );
    let m = s.mobile_session(f.tenant, phone).await.unwrap();
    assert_eq!(
        (
            m.department_name.as_str(),
            m.user_type_name.as_str(),
            m.email.as_str(),
            m.status
        ),
        ("Sales", "Reader", "svc@example.com", TokenStatus::Active)
    );
    assert!(m.last_active_at.is_none());
    // The session is no API token, and the API token no session.
    assert!(matches!(
        s.mobile_session(f.tenant, api).await,
        Err(StoreError::NotFound("mobile session"))
    ));
    let (api_only, _) = s
        .list_tokens(
            f.tenant,
            &TokenFilter {
                kind: Some(TokenKind::Api),
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        api_only.iter().map(|t| t.token.id).collect::<Vec<_>>(),
        [api]
    );
    let kinds = s
        .token_kinds(f.tenant, &[api, phone, TokenId::new()])
        .await
        .unwrap();
    assert_eq!(kinds.len(), 2);
    assert_eq!(
        (kinds[&api], kinds[&phone]),
        (TokenKind::Api, TokenKind::Mobile)
    );
}

async fn mobile_session_routes_never_touch_api_tokens(db: Db) {
    let s = &db.store;
    let (f, other) = two_tenants(s).await;
    let (api, api_secret) = token(s, &f, "erp", None).await;
    let (phone, secret) = session(s, &f, "phone", in_days(30)).await;
    let (theirs, _) = session(s, &other, "phone", in_days(30)).await;
    let before = s.feed_position().await.unwrap();
    let deleted = s
        .delete_mobile_sessions(
            f.tenant,
            &[api, phone, theirs, TokenId::new()],
            SessionEnd::Deleted,
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(deleted, [phone]);
    assert!(subject(s, &secret).await.is_none());
    assert!(subject(s, &api_secret).await.is_some());
    assert!(s.mobile_session(other.tenant, theirs).await.is_ok());
    let (changes, _) = s.changes_after(&before).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0].action.as_str(), changes[0].object_id.clone()),
        ("mobile_session.deleted", phone.to_string())
    );
    let events = audit_events(s, f.tenant, about(phone)).await;
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["mobile_session.deleted", "mobile_session.created"]
    );
    assert_eq!(events[0].details["reason"], "deleted");
    assert_eq!(events[1].actor, "svc", "the user started their own session");
}

async fn session_activity_slides_expiry_and_never_moves_back(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let start = in_days(30);
    let (phone, _) = session(s, &f, "phone", start).await;
    let (api, _) = token(s, &f, "erp", Some(start)).await;
    let used = now() + Duration::hours(1);
    let slid = used + Duration::days(30);
    s.touch_mobile_sessions(&[(phone, used, slid), (api, used, slid)])
        .await
        .unwrap();
    let m = s.mobile_session(f.tenant, phone).await.unwrap();
    assert_eq!((m.last_active_at, m.expires_at), (Some(used), slid));
    let t = s.token(f.tenant, api).await.unwrap().token;
    assert_eq!(
        (t.last_used_at, t.expires_at),
        (None, Some(start)),
        "an API token's expiry never slides"
    );
    // An older use, flushed late by another node, changes nothing.
    s.touch_mobile_sessions(&[(
        phone,
        used - Duration::minutes(5),
        slid - Duration::minutes(5),
    )])
    .await
    .unwrap();
    let m = s.mobile_session(f.tenant, phone).await.unwrap();
    assert_eq!((m.last_active_at, m.expires_at), (Some(used), slid));
}

async fn locking_a_user_ends_their_sessions_for_good(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let (api, api_secret) = token(s, &f, "erp", None).await;
    let (a, sa) = session(s, &f, "phone", in_days(30)).await;
    let (b, sb) = session(s, &f, "tablet", in_days(30)).await;
    let before = s.feed_position().await.unwrap();
    let lock = |locked| UserUpdate {
        locked: Some(locked),
        ..Default::default()
    };
    update_user(s, &f, &lock(true)).await;
    for secret in [&sa, &sb] {
        assert!(subject(s, secret).await.is_none());
    }
    let (changes, _) = s.changes_after(&before).await.unwrap();
    let mut actions: Vec<(String, String)> = changes
        .iter()
        .map(|c| (c.action.clone(), c.object_id.clone()))
        .collect();
    actions.sort();
    let mut expected = vec![
        ("mobile_session.deleted".to_string(), a.to_string()),
        ("mobile_session.deleted".to_string(), b.to_string()),
        ("user.locked".to_string(), f.user.to_string()),
    ];
    expected.sort();
    assert_eq!(actions, expected, "one transaction wrote all three");
    let events = audit_events(s, f.tenant, action("user.locked")).await;
    assert_eq!(events[0].details["mobile_sessions_ended"], 2);
    update_user(s, &f, &lock(false)).await;
    assert!(
        subject(s, &sa).await.is_none(),
        "unlocking revives no device"
    );
    let t = subject(s, &api_secret).await.unwrap();
    assert_eq!(
        t.token.id, api,
        "API tokens only pause while the user is locked"
    );
}

async fn a_session_starts_only_for_an_unlocked_member(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let new = |department_id| NewMobileSession {
        id: TokenId::new(),
        user_id: f.user,
        department_id,
        user_type_id: f.ut,
        device_name: "phone".into(),
        secret: secret_for(&TokenSecret::generate(TokenKind::Mobile)),
        expires_at: in_days(30),
    };
    let other = s
        .create_department(f.tenant, &name("Other"), &actor())
        .await
        .unwrap();
    let started = s
        .create_mobile_session(f.tenant, &new(other.id), &actor())
        .await;
    assert_eq!(refusal(started), Some("not_a_member"));
    let lock = UserUpdate {
        locked: Some(true),
        ..Default::default()
    };
    update_user(s, &f, &lock).await;
    let started = s
        .create_mobile_session(f.tenant, &new(f.dept), &actor())
        .await;
    assert_eq!(refusal(started), Some("user_locked"));
    let (sessions, total) = s
        .list_mobile_sessions(
            f.tenant,
            &MobileSessionFilter {
                status: SessionStatusFilter::All,
                ..Default::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert!(
        sessions.is_empty() && total == 0,
        "nothing was half-written"
    );
}

// --- hosted endpoints (SPEC §6) ---------------------------------------------------------

conformance!(
    primaries_follow_auth_type_and_allow_deleting,
    endpoint_paths_are_unique_within_a_tenant_only,
    endpoint_subject_carries_assignments_and_grace,
    endpoint_changes_are_audited_and_logged,
    assignments_belong_to_one_tenant_and_secondaries_only,
    records_filter_by_token_and_time_and_stats_count_per_bucket,
    deleting_an_endpoint_removes_its_primaries_assignments_and_records,
    show_once_drops_endpoint_token_copies,
);

use keyward_core::endpoint::{AuthType, EndpointMethod, EndpointPath, MethodSet};
use keyward_core::{EndpointId, EndpointTokenId};

fn offered() -> Vec<OfferedPrimary> {
    EndpointMethod::ALL
        .into_iter()
        .map(|method| OfferedPrimary {
            method,
            id: EndpointTokenId::new(),
            secret: secret_for(&TokenSecret::generate(TokenKind::Primary)),
        })
        .collect()
}

fn new_endpoint(path: &str, auth_type: AuthType, allow_deleting: bool) -> NewEndpoint {
    NewEndpoint {
        name: name(&format!("Endpoint {path}")),
        path: EndpointPath::parse(path).unwrap(),
        description: String::new(),
        auth_type,
        allow_deleting,
        enabled: true,
    }
}

/// A secondary token; returns its id and secret.
async fn secondary_token(
    s: &Store,
    tenant: TenantId,
    token_name: &str,
) -> (EndpointTokenId, TokenSecret) {
    let secret = TokenSecret::generate(TokenKind::Secondary);
    let id = EndpointTokenId::new();
    s.insert_endpoint_token(
        tenant,
        &NewEndpointToken {
            id,
            name: name(token_name),
            description: String::new(),
            enabled: true,
            secret: secret_for(&secret),
        },
        &actor(),
    )
    .await
    .unwrap();
    (id, secret)
}

/// An endpoint inserted with `offer` as its primaries, as the store returns it.
async fn endpoint(
    s: &Store,
    tenant: TenantId,
    path: &str,
    auth_type: AuthType,
    allow_deleting: bool,
    offer: &[OfferedPrimary],
) -> keyward_core::endpoint::EndpointDetails {
    s.insert_endpoint(
        tenant,
        &new_endpoint(path, auth_type, allow_deleting),
        offer,
        &actor(),
    )
    .await
    .unwrap()
    .endpoint
}

/// The endpoint token `secret` opens, as a check reads it (`None` when it opens nothing).
async fn endpoint_subject(
    s: &Store,
    secret: &TokenSecret,
) -> Option<keyward_core::verify::EndpointSubject> {
    s.endpoint_subject_by_hash(&hash(secret)).await.unwrap()
}

/// Applies `up` to the fixture tenant's endpoint `id`, offering `offer` for the primaries
/// it needs; what changed.
async fn update_endpoint(
    s: &Store,
    f: &Fixture,
    id: EndpointId,
    up: &UpdateEndpoint,
    offer: &[OfferedPrimary],
) -> EndpointChange {
    s.update_endpoint(f.tenant, id, up, offer, &actor())
        .await
        .unwrap()
}

/// No endpoint token has a secret with this hash (any more).
async fn unknown(s: &Store, hash: &TokenHash) -> bool {
    s.endpoint_subject_by_hash(hash).await.unwrap().is_none()
}

fn methods(d: &keyward_core::endpoint::EndpointDetails) -> Vec<EndpointMethod> {
    d.primary_tokens.iter().filter_map(|t| t.method).collect()
}

async fn primaries_follow_auth_type_and_allow_deleting(db: Db) {
    use EndpointMethod::*;
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let offer = offered();
    let c = s
        .insert_endpoint(
            f.tenant,
            &new_endpoint("in", AuthType::None, true),
            &offer,
            &actor(),
        )
        .await
        .unwrap();
    assert!(c.endpoint.primary_tokens.is_empty() && c.created.is_empty());
    let id = c.endpoint.endpoint.id;
    let to_token = UpdateEndpoint {
        auth_type: Some(AuthType::Token),
        allow_deleting: Some(false),
        ..Default::default()
    };
    let c = update_endpoint(s, &f, id, &to_token, &offer).await;
    assert_eq!(methods(&c.endpoint), [Post, Get]);
    assert_eq!(
        c.created,
        [offer[0].id, offer[1].id],
        "the offered ones, by method"
    );
    // Repeating the change creates nothing, however much is offered.
    let c = update_endpoint(s, &f, id, &to_token, &offered()).await;
    assert!(c.created.is_empty() && c.removed.is_empty());
    let post = c.endpoint.primary_tokens[0].clone();
    assert_eq!(
        (post.kind, post.endpoint_id, post.method),
        (TokenKind::Primary, Some(id), Some(Post))
    );
    let allow = UpdateEndpoint {
        allow_deleting: Some(true),
        ..Default::default()
    };
    let c = update_endpoint(s, &f, id, &allow, &offer).await;
    assert_eq!(methods(&c.endpoint), [Post, Get, Delete]);
    assert_eq!(c.created, [offer[2].id]);
    assert_eq!(
        s.primary_token(f.tenant, id, Delete).await.unwrap().id,
        offer[2].id
    );
    let to_none = UpdateEndpoint {
        auth_type: Some(AuthType::None),
        ..Default::default()
    };
    let c = update_endpoint(s, &f, id, &to_none, &[]).await;
    assert!(c.endpoint.primary_tokens.is_empty());
    assert_eq!(c.removed.len(), 3);
    for o in &offer {
        assert!(unknown(s, &o.secret.hash).await);
    }
    // Nothing offered where a primary is needed: refused, nothing half-done.
    assert!(matches!(
        s.update_endpoint(f.tenant, id, &to_token, &[], &actor())
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        s.endpoint(f.tenant, id).await.unwrap().endpoint.auth_type,
        AuthType::None
    );
}

async fn endpoint_paths_are_unique_within_a_tenant_only(db: Db) {
    let s = &db.store;
    let (a, b) = two_tenants(s).await;
    let ours = endpoint(s, a.tenant, "orders", AuthType::None, false, &[]).await;
    assert!(matches!(
        s.insert_endpoint(
            a.tenant,
            &new_endpoint("orders", AuthType::None, false),
            &[],
            &actor()
        )
        .await,
        Err(StoreError::Conflict { field: "path", .. })
    ));
    // Another tenant may use the same path: the URL names the tenant.
    let theirs = endpoint(s, b.tenant, "orders", AuthType::None, false, &[]).await;
    let c = endpoint(s, b.tenant, "invoices", AuthType::None, false, &[]).await;
    let rename = UpdateEndpoint {
        path: Some(EndpointPath::parse("orders").unwrap()),
        ..Default::default()
    };
    assert!(matches!(
        s.update_endpoint(b.tenant, c.endpoint.id, &rename, &[], &actor())
            .await,
        Err(StoreError::Conflict { field: "path", .. })
    ));
    for (tenant, owned) in [(a.tenant, &ours), (b.tenant, &theirs)] {
        let found = s.endpoint_by_path(tenant, "orders").await.unwrap().unwrap();
        assert_eq!(found.id, owned.endpoint.id);
    }
    assert!(s
        .endpoint_by_path(a.tenant, "invoices")
        .await
        .unwrap()
        .is_none());
    let mut paths = s.endpoint_paths().await.unwrap();
    paths.sort();
    let mut want = vec![
        (a.tenant, "orders".to_string()),
        (b.tenant, "invoices".to_string()),
        (b.tenant, "orders".to_string()),
    ];
    want.sort();
    assert_eq!(paths, want);
    assert_eq!(
        s.endpoint_paths_of(&[c.endpoint.id.to_string()])
            .await
            .unwrap(),
        [(b.tenant, "invoices".to_string())]
    );
    // Each tenant lists only its own.
    let (list, total) = s
        .list_endpoints(a.tenant, None, Page::default())
        .await
        .unwrap();
    assert_eq!((list.len(), total), (1, 1));
    assert!(matches!(
        s.endpoint(a.tenant, c.endpoint.id).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn endpoint_subject_carries_assignments_and_grace(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let one = endpoint(s, f.tenant, "one", AuthType::Token, false, &offered())
        .await
        .endpoint;
    let two = endpoint(s, f.tenant, "two", AuthType::Token, false, &offered())
        .await
        .endpoint;
    let (id, first) = secondary_token(s, f.tenant, "Webshop").await;
    let subject = endpoint_subject(s, &first).await.unwrap();
    assert_eq!(
        (subject.token.id, subject.token.kind),
        (id, TokenKind::Secondary)
    );
    assert!(subject.assignments.is_empty());
    assert!(s
        .endpoint_secret_hash_prefixes()
        .await
        .unwrap()
        .contains(&hash(&first).prefix64()));
    s.set_assignment(f.tenant, one.id, id, true, None, &actor())
        .await
        .unwrap();
    let (a, created) = s
        .set_assignment(f.tenant, two.id, id, false, None, &actor())
        .await
        .unwrap();
    assert!(created && !a.enabled);
    let (a, created) = s
        .set_assignment(f.tenant, two.id, id, false, None, &actor())
        .await
        .unwrap();
    assert!(
        !created && !a.enabled,
        "setting the same state again changes nothing"
    );
    let mut got = endpoint_subject(s, &first).await.unwrap().assignments;
    got.sort_by_key(|g| g.endpoint_id);
    let mut want = vec![
        keyward_core::verify::Grant {
            endpoint_id: one.id,
            enabled: true,
            methods: MethodSet::DEFAULT,
        },
        keyward_core::verify::Grant {
            endpoint_id: two.id,
            enabled: false,
            methods: MethodSet::DEFAULT,
        },
    ];
    want.sort_by_key(|g| g.endpoint_id);
    assert_eq!(got, want);
    // The methods an assignment allows are kept and can be changed.
    let (a, created) = s
        .set_assignment(
            f.tenant,
            one.id,
            id,
            true,
            Some(MethodSet::of(&[EndpointMethod::Post, EndpointMethod::Get])),
            &actor(),
        )
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(a.methods, [EndpointMethod::Post, EndpointMethod::Get]);
    let (a, _) = s
        .set_assignment(f.tenant, one.id, id, true, None, &actor())
        .await
        .unwrap();
    assert_eq!(
        a.methods,
        [EndpointMethod::Post, EndpointMethod::Get],
        "None keeps them"
    );
    assert!(matches!(
        s.set_assignment(
            f.tenant,
            one.id,
            id,
            true,
            Some(MethodSet::of(&[])),
            &actor()
        )
        .await,
        Err(StoreError::Invalid(_))
    ));

    // Regeneration keeps the old secret only for its grace period.
    let second = TokenSecret::generate(TokenKind::Secondary);
    let until = OffsetDateTime::now_utc() + Duration::hours(1);
    let t = s
        .regenerate_endpoint_token(f.tenant, id, &secret_for(&second), Some(until), &actor())
        .await
        .unwrap();
    assert_eq!(t.token.hint, second.hint());
    assert_eq!(t.assignments.len(), 2, "assignments survive regeneration");
    let old = endpoint_subject(s, &first).await.unwrap();
    assert!(old
        .secret_valid_until
        .is_some_and(|u| (u - until).abs() < Duration::seconds(1)));
    assert_eq!(old.assignments.len(), 2);
    let third = TokenSecret::generate(TokenKind::Secondary);
    s.regenerate_endpoint_token(f.tenant, id, &secret_for(&third), None, &actor())
        .await
        .unwrap();
    assert!(unknown(s, &hash(&first)).await);
    assert!(unknown(s, &hash(&second)).await);
    assert!(endpoint_subject(s, &third).await.is_some());
    assert_eq!(
        s.endpoint_secret_hash_prefixes_of(&[id.to_string()])
            .await
            .unwrap(),
        [hash(&third).prefix64()]
    );
    // Disabled and deleted.
    let up = UpdateEndpointToken {
        enabled: Some(false),
        ..Default::default()
    };
    s.update_endpoint_token(f.tenant, id, &up, &actor())
        .await
        .unwrap();
    assert!(!endpoint_subject(s, &third).await.unwrap().token.enabled);
    s.delete_endpoint_token(f.tenant, id, &actor())
        .await
        .unwrap();
    assert!(unknown(s, &hash(&third)).await);
    assert!(s
        .list_assignments(f.tenant, one.id)
        .await
        .unwrap()
        .is_empty());
}

async fn endpoint_changes_are_audited_and_logged(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let before = s.feed_position().await.unwrap();
    let e = endpoint(s, f.tenant, "logged", AuthType::Token, false, &offered())
        .await
        .endpoint;
    let (id, _) = secondary_token(s, f.tenant, "Webshop").await;
    s.set_assignment(f.tenant, e.id, id, true, None, &actor())
        .await
        .unwrap();
    s.set_assignment(f.tenant, e.id, id, false, None, &actor())
        .await
        .unwrap();
    s.remove_assignment(f.tenant, e.id, id, &actor())
        .await
        .unwrap();
    let disable = UpdateEndpoint {
        enabled: Some(false),
        ..Default::default()
    };
    update_endpoint(s, &f, e.id, &disable, &[]).await;
    s.delete_endpoint_token(f.tenant, id, &actor())
        .await
        .unwrap();
    s.delete_endpoint(f.tenant, e.id, &actor()).await.unwrap();
    let (changes, _) = s.changes_after(&before).await.unwrap();
    let seen: Vec<(&str, &str)> = changes
        .iter()
        .map(|c| (c.action.as_str(), c.object_type.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("endpoint.created", "endpoint"),
            ("endpoint_token.created", "endpoint_token"),
            ("endpoint_token.created", "endpoint_token"),
            ("endpoint_token.created", "endpoint_token"),
            ("endpoint_token.assigned", "endpoint_token"),
            ("endpoint_token.assignment_disabled", "endpoint_token"),
            ("endpoint_token.unassigned", "endpoint_token"),
            ("endpoint.disabled", "endpoint"),
            ("endpoint_token.deleted", "endpoint_token"),
            ("endpoint.deleted", "endpoint"),
        ]
    );
    let events = audit_events(s, f.tenant, about(id)).await;
    assert_eq!(events.len(), 5, "every change of the token is audited");
    // Records are data, not changes: storing one writes no audit event or change.
    let e = endpoint(s, f.tenant, "quiet", AuthType::None, false, &[])
        .await
        .endpoint;
    let pos = s.feed_position().await.unwrap();
    s.insert_record(&NewRecord {
        endpoint: &e,
        token: None,
        method: EndpointMethod::Post,
        ip: None,
        body: "{}".into(),
    })
    .await
    .unwrap();
    assert!(s.changes_after(&pos).await.unwrap().0.is_empty());
}

async fn assignments_belong_to_one_tenant_and_secondaries_only(db: Db) {
    let s = &db.store;
    let (a, b) = two_tenants(s).await;
    let e = endpoint(s, a.tenant, "mine", AuthType::Token, false, &offered()).await;
    let (theirs, _) = secondary_token(s, b.tenant, "Globex app").await;
    let (mine, _) = secondary_token(s, a.tenant, "Acme app").await;
    let id = e.endpoint.id;
    for (tenant, token) in [(a.tenant, theirs), (b.tenant, theirs), (b.tenant, mine)] {
        assert!(matches!(
            s.set_assignment(tenant, id, token, true, None, &actor())
                .await,
            Err(StoreError::NotFound(_))
        ));
    }
    let primary = e.primary_tokens[0].id;
    assert!(matches!(
        s.set_assignment(a.tenant, id, primary, true, None, &actor())
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.update_endpoint_token(a.tenant, primary, &UpdateEndpointToken::default(), &actor())
            .await,
        Err(StoreError::NotFound(_))
    ));
    s.set_assignment(a.tenant, id, mine, true, None, &actor())
        .await
        .unwrap();
    let list = s.list_assignments(a.tenant, id).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (
            list[0].token_name.as_str(),
            list[0].endpoint_path.as_str(),
            list[0].enabled
        ),
        ("Acme app", "mine", true)
    );
    assert!(matches!(
        s.list_assignments(b.tenant, id).await,
        Err(StoreError::NotFound(_))
    ));
    // Listing secondaries: active by default, never primaries, never another tenant's.
    // A token switched off stays in the default listing; a deactivated one leaves it.
    secondary_token(s, a.tenant, "Second app").await;
    let names = |f: EndpointTokenFilter| async move {
        s.list_endpoint_tokens(a.tenant, &f, Page::default())
            .await
            .unwrap()
            .0
            .into_iter()
            .map(|t| t.name)
            .collect::<Vec<_>>()
    };
    let switched_off = UpdateEndpointToken {
        enabled: Some(false),
        ..Default::default()
    };
    s.update_endpoint_token(a.tenant, mine, &switched_off, &actor())
        .await
        .unwrap();
    assert_eq!(
        names(EndpointTokenFilter::default()).await,
        ["Acme app", "Second app"]
    );
    let deactivated = UpdateEndpointToken {
        active: Some(false),
        ..Default::default()
    };
    s.update_endpoint_token(a.tenant, mine, &deactivated, &actor())
        .await
        .unwrap();
    assert_eq!(names(EndpointTokenFilter::default()).await, ["Second app"]);
    let inactive = EndpointTokenFilter {
        status: EndpointTokenStatus::Inactive,
        ..Default::default()
    };
    assert_eq!(names(inactive).await, ["Acme app"]);
    let all = EndpointTokenFilter {
        status: EndpointTokenStatus::All,
        q: Some("APP".into()),
    };
    assert_eq!(names(all).await, ["Acme app", "Second app"]);
}

async fn records_filter_by_token_and_time_and_stats_count_per_bucket(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let e = endpoint(s, f.tenant, "data", AuthType::Token, false, &offered()).await;
    let (a, _) = secondary_token(s, f.tenant, "Webshop").await;
    let (b, _) = secondary_token(s, f.tenant, "ERP").await;
    let token_a = s.endpoint_token(f.tenant, a).await.unwrap().token;
    let token_b = s.endpoint_token(f.tenant, b).await.unwrap().token;
    fn post<'a>(
        e: &'a keyward_core::endpoint::Endpoint,
        token: &'a keyward_core::endpoint::EndpointToken,
        n: i64,
    ) -> NewRecord<'a> {
        NewRecord {
            endpoint: e,
            token: Some(token),
            method: EndpointMethod::Post,
            ip: Some("192.0.2.1".into()),
            body: format!("{{\"n\": {n}}}"),
        }
    }
    let start = OffsetDateTime::now_utc() - Duration::seconds(1);
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            s.insert_record(&post(&e.endpoint, &token_a, n))
                .await
                .unwrap()
                .0,
        );
    }
    s.insert_record(&post(&e.endpoint, &token_b, 9))
        .await
        .unwrap();
    s.insert_record(&NewRecord {
        token: None,
        ..post(&e.endpoint, &token_b, 8)
    })
    .await
    .unwrap();
    assert!(matches!(
        s.insert_record(&NewRecord {
            body: "not json".into(),
            ..post(&e.endpoint, &token_b, 0)
        })
        .await,
        Err(StoreError::Invalid(_))
    ));
    let only_a = RecordFilter {
        token_id: Some(a),
        ..Default::default()
    };
    let (records, total) = s
        .list_records(f.tenant, e.endpoint.id, &only_a, Page::default())
        .await
        .unwrap();
    assert_eq!(total, 3);
    assert_eq!(
        records.iter().map(|r| r.id).collect::<Vec<_>>(),
        ids.iter().rev().copied().collect::<Vec<_>>(),
        "newest first"
    );
    assert_eq!(
        (
            records[0].token_name.as_deref(),
            records[0].ip.as_deref(),
            records[0].token_kind
        ),
        (
            Some("Webshop"),
            Some("192.0.2.1"),
            Some(TokenKind::Secondary)
        )
    );
    assert_eq!(records[0].body, serde_json::json!({"n": 2}));
    let past = RecordFilter {
        to: Some(start),
        ..Default::default()
    };
    assert_eq!(
        s.list_records(f.tenant, e.endpoint.id, &past, Page::default())
            .await
            .unwrap()
            .1,
        0
    );
    // Another tenant sees none of them.
    let g = fixture(s, "globex").await;
    assert_eq!(
        s.list_records(
            g.tenant,
            e.endpoint.id,
            &RecordFilter::default(),
            Page::default()
        )
        .await
        .unwrap()
        .1,
        0
    );

    // One bucket covering everything: a count per application.
    let now = OffsetDateTime::now_utc() + Duration::seconds(1);
    let stats = s
        .record_stats(
            f.tenant,
            e.endpoint.id,
            start - Duration::days(400),
            now,
            365 * 86_400 * 100,
        )
        .await
        .unwrap();
    let counts: Vec<(Option<&str>, i64)> = stats
        .iter()
        .map(|b| (b.token_name.as_deref(), b.count))
        .collect();
    assert_eq!(
        counts,
        [(Some("ERP"), 1), (Some("Webshop"), 3), (None, 1)],
        "by name, records without a token last"
    );
    assert!(stats.iter().all(|b| b.start == stats[0].start));
    // Buckets are aligned to multiples of their width since the epoch.
    let per_second = s
        .record_stats(f.tenant, e.endpoint.id, start, now, 1)
        .await
        .unwrap();
    assert_eq!(per_second.iter().map(|b| b.count).sum::<i64>(), 5);
    assert!(per_second.iter().all(|b| b.start.nanosecond() == 0));

    // Deleting a record; a record of another endpoint is not found.
    assert!(s.delete_record(e.endpoint.id, ids[0]).await.unwrap());
    assert!(!s.delete_record(e.endpoint.id, ids[0]).await.unwrap());
    assert!(!s.delete_record(EndpointId::new(), ids[1]).await.unwrap());
}

async fn deleting_an_endpoint_removes_its_primaries_assignments_and_records(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let offer = offered();
    let e = endpoint(s, f.tenant, "gone", AuthType::Token, true, &offer).await;
    let (id, secret) = secondary_token(s, f.tenant, "Webshop").await;
    s.set_assignment(f.tenant, e.endpoint.id, id, true, None, &actor())
        .await
        .unwrap();
    s.insert_record(&NewRecord {
        endpoint: &e.endpoint,
        token: None,
        method: EndpointMethod::Post,
        ip: None,
        body: "[]".into(),
    })
    .await
    .unwrap();
    s.delete_endpoint(f.tenant, e.endpoint.id, &actor())
        .await
        .unwrap();
    assert!(matches!(
        s.endpoint(f.tenant, e.endpoint.id).await,
        Err(StoreError::NotFound(_))
    ));
    for o in &offer {
        assert!(unknown(s, &o.secret.hash).await);
    }
    let subject = endpoint_subject(s, &secret).await.unwrap();
    assert!(
        subject.assignments.is_empty(),
        "the secondary stays, unassigned"
    );
    assert!(s
        .endpoint_by_path(f.tenant, "gone")
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        s.delete_endpoint(f.tenant, e.endpoint.id, &actor()).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn show_once_drops_endpoint_token_copies(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    set_secret_storage(s, f.tenant, SecretStorage::Recoverable).await;
    let secret = TokenSecret::generate(TokenKind::Secondary);
    let id = EndpointTokenId::new();
    let mut sealed = secret_for(&secret);
    sealed.sealed = Some(key().seal(secret.expose(), id.to_string().as_bytes()));
    let t = s
        .insert_endpoint_token(
            f.tenant,
            &NewEndpointToken {
                id,
                name: name("Webshop"),
                description: String::new(),
                enabled: true,
                secret: sealed,
            },
            &actor(),
        )
        .await
        .unwrap();
    assert!(t.token.recoverable);
    let copy = s
        .reveal_endpoint_token(f.tenant, id, &actor())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        key().unseal(&copy, id.to_string().as_bytes()).unwrap(),
        secret.expose()
    );
    let events = audit_events(s, f.tenant, action("endpoint_token.revealed")).await;
    assert_eq!(events.len(), 1);
    set_secret_storage(s, f.tenant, SecretStorage::ShowOnce).await;
    assert!(
        !s.endpoint_token(f.tenant, id)
            .await
            .unwrap()
            .token
            .recoverable
    );
    assert!(s
        .reveal_endpoint_token(f.tenant, id, &actor())
        .await
        .unwrap()
        .is_none());
}

// --- verifier keys and single-tenant mode (SPEC §4) ---------------------------------------

conformance!(
    verifier_keys_are_found_by_hash_listed_per_tenant_and_logged,
    single_tenant_mode_refuses_a_second_tenant,
);

async fn verifier_keys_are_found_by_hash_listed_per_tenant_and_logged(db: Db) {
    let s = &db.store;
    let (a, b) = two_tenants(s).await;
    let secret = TokenSecret::generate(TokenKind::Verifier);
    let new = NewVerifierKey {
        id: keyward_core::VerifierKeyId::new(),
        name: name("gateway"),
        description: String::new(),
        hash: hash(&secret),
        hint: secret.hint(),
    };
    let before = s.feed_position().await.unwrap();
    let k = s
        .insert_verifier_key(a.tenant, &new, &actor())
        .await
        .unwrap();
    assert_eq!((k.tenant_id, k.name.as_str()), (a.tenant, "gateway"));
    let found = s.verifier_key_by_hash(&hash(&secret)).await.unwrap();
    assert_eq!(found.map(|f| f.id), Some(k.id));
    assert!(s
        .verifier_key_hash_prefixes()
        .await
        .unwrap()
        .contains(&hash(&secret).prefix64()));
    assert_eq!(
        s.verifier_key_hash_prefixes_of(&[k.id.to_string()])
            .await
            .unwrap(),
        vec![hash(&secret).prefix64()]
    );
    let (changes, _) = s.changes_after(&before).await.unwrap();
    assert!(changes
        .iter()
        .any(|c| c.action == "verifier_key.created" && c.object_id == k.id.to_string()));

    // Per tenant: the other tenant neither lists nor reaches it.
    assert_eq!(
        s.list_verifier_keys(a.tenant, Page::default())
            .await
            .unwrap()
            .1,
        1
    );
    assert_eq!(
        s.list_verifier_keys(b.tenant, Page::default())
            .await
            .unwrap()
            .1,
        0
    );
    assert!(matches!(
        s.verifier_key(b.tenant, k.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.delete_verifier_key(b.tenant, k.id, &actor()).await,
        Err(StoreError::NotFound(_))
    ));

    let up = UpdateVerifierKey {
        name: Some(name("gateway (eu)")),
        description: None,
    };
    let renamed = s
        .update_verifier_key(a.tenant, k.id, &up, &actor())
        .await
        .unwrap();
    assert_eq!(renamed.name, "gateway (eu)");
    s.delete_verifier_key(a.tenant, k.id, &actor())
        .await
        .unwrap();
    assert!(s
        .verifier_key_by_hash(&hash(&secret))
        .await
        .unwrap()
        .is_none());
}

async fn single_tenant_mode_refuses_a_second_tenant(db: Db) {
    let s = &db.store;
    assert!(!s.single_tenant().await.unwrap());
    s.set_single_tenant(true).await.unwrap();
    assert!(s.single_tenant().await.unwrap());
    // The first tenant may still be made, so `bootstrap` works on a fresh server.
    fixture(s, "acme").await;
    let second = s
        .create_tenant("globex", &TenantSettings::default(), &actor())
        .await;
    assert!(
        matches!(
            second,
            Err(StoreError::Refused {
                code: "single_tenant",
                ..
            })
        ),
        "{second:?}"
    );
    s.set_single_tenant(false).await.unwrap();
    s.create_tenant("globex", &TenantSettings::default(), &actor())
        .await
        .unwrap();
    // With two tenants, single-tenant mode cannot be switched on.
    let on = s.set_single_tenant(true).await;
    assert!(
        matches!(
            on,
            Err(StoreError::Refused {
                code: "several_tenants",
                ..
            })
        ),
        "{on:?}"
    );
    assert!(!s.single_tenant().await.unwrap());
}

async fn a_session_starts_only_with_the_current_password_and_within_the_cap(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let set_hash = |h: &str| UserUpdate {
        password_hash: Some(Some(h.to_string())),
        ..Default::default()
    };
    update_user(s, &f, &set_hash("$argon2id$old")).await;
    let new = || NewMobileSession {
        id: TokenId::new(),
        user_id: f.user,
        department_id: f.dept,
        user_type_id: f.ut,
        device_name: "phone".into(),
        secret: secret_for(&TokenSecret::generate(TokenKind::Mobile)),
        expires_at: in_days(30),
    };
    let mut started = Vec::new();
    for _ in 0..2 {
        let (m, ended) = s
            .start_mobile_session(f.tenant, &new(), Some(2), Some("$argon2id$old"), &actor())
            .await
            .unwrap();
        assert!(ended.is_empty());
        started.push(m.id);
    }
    // The first is in use; the second is the one used least recently.
    s.touch_mobile_sessions(&[(
        started[0],
        keyward_store::now() + Duration::seconds(1),
        in_days(30),
    )])
    .await
    .unwrap();
    let (third, ended) = s
        .start_mobile_session(f.tenant, &new(), Some(2), Some("$argon2id$old"), &actor())
        .await
        .unwrap();
    assert_eq!(ended, vec![started[1]]);
    let (live, total) = s
        .list_mobile_sessions(f.tenant, &MobileSessionFilter::default(), Page::default())
        .await
        .unwrap();
    let mut ids: Vec<TokenId> = live.iter().map(|m| m.id).collect();
    ids.sort();
    let mut expected = vec![started[0], third.id];
    expected.sort();
    assert_eq!((ids, total), (expected, 2));

    // A login checked against the old hash, finishing after a reset, starts nothing.
    update_user(s, &f, &set_hash("$argon2id$new")).await;
    let late = s
        .start_mobile_session(f.tenant, &new(), Some(2), Some("$argon2id$old"), &actor())
        .await;
    assert_eq!(refusal(late), Some("password_changed"));
    let console = |checked: &str| NewConsoleSession {
        hash: key().hash_token(&format!("cookie {checked}")),
        tenant_id: f.tenant,
        user_id: f.user,
        csrf: "csrf".into(),
        expires_at: in_days(1),
        checked_hash: checked.into(),
    };
    let stale = s
        .create_console_session(&console("$argon2id$old"), &actor())
        .await;
    assert_eq!(refusal(stale), Some("password_changed"));
    s.create_console_session(&console("$argon2id$new"), &actor())
        .await
        .unwrap();
}

async fn a_password_change_ends_mobile_and_console_sessions_in_its_transaction(db: Db) {
    let s = &db.store;
    let f = fixture(s, "acme").await;
    let admin = UserUpdate {
        is_admin: Some(true),
        password_hash: Some(Some("$argon2id$old".into())),
        ..Default::default()
    };
    update_user(s, &f, &admin).await;
    let (phone, secret) = session(s, &f, "phone", in_days(30)).await;
    let cookie = key().hash_token("a console cookie");
    s.create_console_session(
        &NewConsoleSession {
            hash: cookie,
            tenant_id: f.tenant,
            user_id: f.user,
            csrf: "csrf".into(),
            expires_at: in_days(1),
            checked_hash: "$argon2id$old".into(),
        },
        &actor(),
    )
    .await
    .unwrap();
    let before = s.feed_position().await.unwrap();
    let reset = UserUpdate {
        password_hash: Some(None),
        ..Default::default()
    };
    update_user(s, &f, &reset).await;
    assert!(subject(s, &secret).await.is_none());
    assert!(s.console_session(&cookie).await.unwrap().is_none());
    let (changes, _) = s.changes_after(&before).await.unwrap();
    let actions: Vec<(String, String)> = changes
        .iter()
        .map(|c| (c.action.clone(), c.object_id.clone()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("mobile_session.deleted".to_string(), phone.to_string()),
            ("user.updated".to_string(), f.user.to_string()),
            ("console.session_deleted".to_string(), f.user.to_string()),
        ],
        "one transaction wrote all three"
    );
    let events = audit_events(s, f.tenant, action("mobile_session.deleted")).await;
    assert_eq!(events[0].details["reason"], "password_changed");
}

/// The inactivity policy's store side (issue 15), judged at moments days ahead: only the
/// tenant with a policy is scanned, a stale token is announced once per period of disuse,
/// and of two revocations of one unused token at once exactly one happens, with one
/// audit event; a token used since is not revoked.
async fn the_inactivity_policy_announces_and_revokes_each_token_once(db: Db) {
    let s = &db.store;
    let (acme, globex) = two_tenants(s).await;
    s.update_settings(
        acme.tenant,
        |st| {
            st.flag_unused_after_days = 30;
            st.revoke_unused_after_days = 60;
            Ok(())
        },
        &actor(),
    )
    .await
    .unwrap();
    let now = keyward_store::now();
    let (idle, _) = token(s, &acme, "idle", None).await;
    let (used, _) = token(s, &acme, "used", None).await;
    s.touch_last_used(&[(used, now + Duration::days(59))])
        .await
        .unwrap();
    // globex has no policy: its idle token is never found.
    token(s, &globex, "idle", None).await;

    let found = s.stale_tokens(now + Duration::days(29), 100).await.unwrap();
    assert!(found.is_empty(), "{found:?}");
    let at = now + Duration::days(31);
    let found = s.stale_tokens(at, 100).await.unwrap();
    assert_eq!(found.iter().map(|u| u.id).collect::<Vec<_>>(), vec![idle]);
    assert_eq!(
        found[0].since,
        s.token(acme.tenant, idle).await.unwrap().token.created_at
    );
    let (a, b) = tokio::join!(
        s.announce_stale(found[0], at),
        s.announce_stale(found[0], at)
    );
    assert!(a.unwrap() ^ b.unwrap(), "announced once");
    assert!(s.stale_tokens(at, 100).await.unwrap().is_empty());
    assert_eq!(
        audit_events(s, acme.tenant, action("token.stale"))
            .await
            .len(),
        1
    );

    let at = now + Duration::days(61);
    let unused = s.unused_tokens(at, 100).await.unwrap();
    assert_eq!(unused.iter().map(|u| u.id).collect::<Vec<_>>(), vec![idle]);
    let (a, b) = tokio::join!(
        s.revoke_unused(acme.tenant, idle, at),
        s.revoke_unused(acme.tenant, idle, at)
    );
    assert!(a.unwrap() ^ b.unwrap(), "revoked once");
    assert!(
        !s.revoke_unused(acme.tenant, used, at).await.unwrap(),
        "used on day 59"
    );
    let t = s.token(acme.tenant, idle).await.unwrap();
    assert_eq!(t.status, TokenStatus::Revoked);
    assert_eq!(t.token.revoked_by, None);
    let revoked = audit_events(s, acme.tenant, action("token.revoked")).await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].details["reason"], "unused");
    assert!(s.unused_tokens(at, 100).await.unwrap().is_empty());
}
