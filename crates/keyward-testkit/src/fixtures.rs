//! The usual arrange steps, each one line in a test and each made through the typed client:
//! a user with a membership, a token, a user who can log in, a verifier key, a second
//! tenant, and a check's code. The free functions take any logged-in client (a
//! [`TestApp`]'s, or one pointed at a node of a cluster started from the binary).

use crate::TestApp;
use keyward_client::{
    AuthType, Client, CreateEndpoint, CreateEndpointToken, CreateToken, CreateUser, CreateUserType,
    CreateVerifierKey, DepartmentBody, DepartmentId, Departments, EndpointTokens, Endpoints,
    Secret, SecretStorage, SettingsPatch, Timestamp, Tokens, UpdateToken, UpdateUser,
    UpdateUserType, UserId, UserTypeId, UserTypes, Users, VerifierKeys, VerifyRequest,
};
use keyward_core::model::TenantSettings;
use keyward_core::text::{TenantName, Username};
use keyward_store::Actor;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;

/// A fixture's own text as the validated type a request takes (a name, a username, a
/// path, a permission); a fixture that passes an invalid one is a broken test.
fn parse<T: FromStr<Err: Display>>(s: &str) -> T {
    s.parse()
        .unwrap_or_else(|e| panic!("fixture value {s:?} is invalid: {e}"))
}

/// The change of a user's employment period to `active_from` .. `active_until`, each
/// RFC 3339 or `None` for no bound (both sent, so `None` clears the bound).
pub fn period(active_from: Option<&str>, active_until: Option<&str>) -> UpdateUser {
    let at = |t: Option<&str>| {
        Some(t.map(|t| {
            Timestamp(
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .expect("an RFC 3339 time"),
            )
        }))
    };
    UpdateUser {
        active_from: at(active_from),
        active_until: at(active_until),
        ..Default::default()
    }
}

/// The password of users made by [`TestApp::user_with_password`].
pub const PASSWORD: &str = "correct horse battery";

/// A user with one membership, ready to own tokens. The ids are strings, as the wire
/// spells them; [`Member::ids`] gives them typed.
#[derive(Clone, Debug)]
pub struct Member {
    pub user_id: String,
    pub department_id: String,
    pub user_type_id: String,
    pub membership_id: String,
}

impl Member {
    /// (user, department, user type), typed for the client.
    pub fn ids(&self) -> (UserId, DepartmentId, UserTypeId) {
        (
            UserId(self.user_id.parse().expect("a user id")),
            DepartmentId(self.department_id.parse().expect("a department id")),
            UserTypeId(self.user_type_id.parse().expect("a user type id")),
        )
    }

    /// The body that creates a token `name` for this membership, for tests of the wire.
    pub fn token_body(&self, name: &str) -> Value {
        json!({"name": name, "user_id": self.user_id, "department_id": self.department_id,
               "user_type_id": self.user_type_id})
    }

    /// A token request for this membership with nothing but `name` set.
    pub fn create_token(&self, name: &str) -> CreateToken {
        let (user_id, department_id, user_type_id) = self.ids();
        CreateToken {
            name: parse(name),
            user_id,
            department_id,
            user_type_id,
            expires_at: None,
            description: String::new(),
            allowed_cidrs: vec![],
            rate_limit: None,
            max_uses: None,
        }
    }
}

/// A hosted endpoint (`/e/{tenant}/{path}`) and the secrets of its primary tokens, by
/// method (`POST`, `GET`, `DELETE`).
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub id: String,
    pub path: String,
    pub primaries: HashMap<String, String>,
}

impl Endpoint {
    /// The secret of the primary token for `method`.
    pub fn primary(&self, method: &str) -> &str {
        &self.primaries[method]
    }
}

/// A technical user `username` with one membership: department `Dept of {username}` and
/// user type `Type of {username}` granting `permissions`.
pub async fn member(client: &Client, username: &str, permissions: &[&str]) -> Member {
    let d = client
        .create::<Departments>(&DepartmentBody {
            name: parse(&format!("Dept of {username}")),
        })
        .await
        .expect("create department");
    let t = client
        .create::<UserTypes>(&CreateUserType {
            name: parse(&format!("Type of {username}")),
            permissions: permissions.iter().map(|p| parse(p)).collect(),
        })
        .await
        .expect("create user type");
    let u = client
        .create::<Users>(&CreateUser {
            username: parse(username),
            email: parse(&format!("{username}@example.com")),
            display_name: parse(username),
            is_admin: false,
            is_technical: true,
            active_from: None,
            active_until: None,
            password: None,
        })
        .await
        .expect("create user");
    let ms = client
        .add_membership(u.id, d.id, t.id)
        .await
        .expect("add membership");
    Member {
        user_id: u.id.to_string(),
        department_id: d.id.to_string(),
        user_type_id: t.id.to_string(),
        membership_id: ms.id.to_string(),
    }
}

/// Creates the token `req` describes; returns (id, secret).
pub async fn token(client: &Client, req: &CreateToken) -> (String, String) {
    let t = client.create::<Tokens>(req).await.expect("create token");
    (t.details.token.id.to_string(), t.token.expose().to_string())
}

impl TestApp {
    /// A user (technical) with one membership granting `permissions`; see [`member`].
    pub async fn member(&self, username: &str, permissions: &[&str]) -> Member {
        member(&self.client(), username, permissions).await
    }

    /// The same, made by the administrator whose token is `admin` (of any tenant).
    pub async fn member_as(&self, admin: &str, username: &str, permissions: &[&str]) -> Member {
        member(&self.client_as(Some(admin)), username, permissions).await
    }

    /// The same, with the password [`PASSWORD`]: a member who can log in (console, phone).
    pub async fn member_with_password(&self, username: &str, permissions: &[&str]) -> Member {
        let m = self.member(username, permissions).await;
        let (user, _, _) = m.ids();
        let password = UpdateUser {
            password: Some(Some(PASSWORD.into())),
            ..Default::default()
        };
        self.client
            .update::<Users>(user, &password)
            .await
            .expect("set the password");
        m
    }

    /// Changes `m`'s user as `up` says (locked, administrator, employment period, …).
    pub async fn update_member(&self, m: &Member, up: UpdateUser) {
        let (user, _, _) = m.ids();
        self.client
            .update::<Users>(user, &up)
            .await
            .expect("update the user");
    }

    /// Locks (or unlocks) `m`'s user.
    pub async fn set_locked(&self, m: &Member, locked: bool) {
        let up = UpdateUser {
            locked: Some(locked),
            ..Default::default()
        };
        self.update_member(m, up).await;
    }

    /// Makes `m`'s user an administrator.
    pub async fn make_admin(&self, m: &Member) {
        let up = UpdateUser {
            is_admin: Some(true),
            ..Default::default()
        };
        self.update_member(m, up).await;
    }

    /// Gives `m`'s user type exactly `permissions` (the whole set is replaced).
    pub async fn set_permissions(&self, m: &Member, permissions: &[&str]) {
        let (_, _, user_type) = m.ids();
        let up = UpdateUserType {
            name: None,
            permissions: Some(permissions.iter().map(|p| parse(p)).collect()),
        };
        self.client
            .update::<UserTypes>(user_type, &up)
            .await
            .expect("change the user type's permissions");
    }

    /// Changes API token `id` as `up` says (enabled, allowlist, rate limit, uses left, …).
    pub async fn update_token(&self, id: &str, up: UpdateToken) {
        self.client
            .update::<Tokens>(parse(id), &up)
            .await
            .expect("update the token");
    }

    /// Enables (or disables) API token `id`.
    pub async fn set_token_enabled(&self, id: &str, on: bool) {
        let enabled = Some(on);
        let up = UpdateToken {
            enabled,
            ..Default::default()
        };
        self.update_token(id, up).await;
    }

    /// Revokes API token `id`.
    pub async fn revoke_token(&self, id: &str) {
        self.client
            .revoke_token(parse(id))
            .await
            .expect("revoke the token");
    }

    /// Switches API tokens on or off for the test tenant. Only the console may do this
    /// (over the API an administrator would lock themselves out), so the test writes the
    /// setting to the store as the console's service would.
    pub async fn api_tokens_enabled(&self, on: bool) {
        let tenant = self.tenant_id.parse().expect("a tenant id");
        let switch = move |s: &mut TenantSettings| {
            s.api_tokens_enabled = on;
            Ok(())
        };
        self.state
            .store
            .update_settings(tenant, switch, &Actor::system("test"))
            .await
            .expect("switch API tokens");
    }

    /// The actions of the audit events `query` selects (`object_type=…`), as
    /// `GET /api/v1/audit-events` lists them (asserting 200), up to 500.
    pub async fn audit_actions(&self, query: &str) -> Vec<String> {
        let audit = self
            .get_ok(&format!("/api/v1/audit-events?{query}&per_page=500"))
            .await;
        crate::texts(&audit["items"], "action")
    }

    /// Regenerates API token `id` with `grace_period_seconds` (asserting 200); the new
    /// secret.
    pub async fn regenerated(&self, id: &str, grace_period_seconds: u64) -> String {
        let r = self
            .post_ok(
                &format!("/api/v1/tokens/{id}/regenerate"),
                json!({ "grace_period_seconds": grace_period_seconds }),
            )
            .await;
        r["token"].as_str().expect("a new secret").to_string()
    }

    /// Changes the test tenant's settings as `patch` says.
    pub async fn update_settings(&self, patch: SettingsPatch) {
        self.client
            .update_settings(&patch)
            .await
            .expect("change the tenant's settings");
    }

    /// Switches the test tenant's secret storage, `recoverable` or `show_once`.
    pub async fn secret_storage(&self, storage: SecretStorage) {
        let patch = SettingsPatch {
            secret_storage: Some(storage),
            ..Default::default()
        };
        self.update_settings(patch).await;
    }

    /// Switches the test tenant to `recoverable` secret storage, so that secrets made from
    /// now on can be revealed again.
    pub async fn recoverable_secrets(&self) {
        self.secret_storage(SecretStorage::Recoverable).await;
    }

    /// How many tokens `m`'s user owns, as `GET /api/v1/tokens?user_id=` counts them
    /// (asserting that the list answers 200).
    pub async fn token_count(&self, m: &Member) -> i64 {
        let list = self
            .ok(
                200,
                self.get(&format!("/api/v1/tokens?user_id={}", m.user_id))
                    .await,
            )
            .await;
        list["total"].as_i64().expect("a total")
    }

    /// The answer of `POST /api/v1/verify` to `body` (asserting that it is 200), for the
    /// test tenant unless the body names one.
    pub async fn verify_body(&self, mut body: Value) -> Value {
        if body.get("tenant").is_none() {
            body["tenant"] = json!(crate::TENANT);
        }
        let res = self
            .http
            .post(self.url("/api/v1/verify"))
            .json(&body)
            .send()
            .await
            .expect("verify");
        assert_eq!(res.status(), 200);
        res.json().await.expect("verify answers JSON")
    }

    /// A second tenant on the same server, with its own administrator `hank`; returns
    /// (tenant id, administrator token).
    pub async fn other_tenant(&self, name: &str) -> (String, String) {
        let b = keyward_server::bootstrap::bootstrap(
            &self.state,
            &TenantName::parse(name).unwrap(),
            &Username::parse("hank").unwrap(),
            None,
        )
        .await
        .expect("bootstrap a second tenant");
        (b.tenant_id.to_string(), b.token.expose().to_string())
    }

    /// A user with the password [`PASSWORD`], for console and mobile login; returns the id.
    pub async fn user_with_password(&self, username: &str, is_admin: bool) -> String {
        let u = self
            .client
            .create::<Users>(&CreateUser {
                username: parse(username),
                email: parse(&format!("{username}@example.com")),
                display_name: parse(&format!("{username} (person)")),
                is_admin,
                is_technical: false,
                active_from: None,
                active_until: None,
                password: Some(PASSWORD.into()),
            })
            .await
            .expect("create user");
        u.id.to_string()
    }

    /// The JSON body that creates a token `name` for `m` (for tests of the wire format).
    pub fn token_body(&self, m: &Member, name: &str) -> Value {
        m.token_body(name)
    }

    /// The most common arrange step: the member `svc`, allowed `orders:read`, with one
    /// token `name`; returns (member, token id, secret).
    pub async fn svc_with_token(&self, name: &str) -> (Member, String, String) {
        let m = self.member("svc", &["orders:read"]).await;
        let (id, secret) = self.token(&m, name).await;
        (m, id, secret)
    }

    /// Creates a token `name` for `m`; returns (id, secret).
    pub async fn token(&self, m: &Member, name: &str) -> (String, String) {
        token(&self.client, &m.create_token(name)).await
    }

    /// An endpoint `Endpoint {path}` at `path` with `auth_type` (`none` or `token`).
    pub async fn endpoint(&self, path: &str, auth_type: &str, allow_deleting: bool) -> Endpoint {
        let name = format!("Endpoint {path}");
        self.endpoint_named(&name, path, auth_type, allow_deleting)
            .await
    }

    /// The same, named `name`.
    pub async fn endpoint_named(
        &self,
        name: &str,
        path: &str,
        auth_type: &str,
        allow_deleting: bool,
    ) -> Endpoint {
        let e = self
            .client
            .create::<Endpoints>(&CreateEndpoint {
                name: parse(name),
                path: parse(path),
                description: String::new(),
                auth_type: Some(AuthType::parse(auth_type).expect("none or token")),
                allow_deleting,
                enabled: None,
            })
            .await
            .expect("create endpoint");
        let primaries = e
            .new_primary_tokens
            .iter()
            .map(|t| {
                let method = t.details.method.expect("a primary token has a method");
                (method.as_str().to_string(), t.token.expose().to_string())
            })
            .collect();
        Endpoint {
            id: e.details.endpoint.id.to_string(),
            path: path.into(),
            primaries,
        }
    }

    /// A secondary endpoint token named after its application; returns (id, secret).
    pub async fn endpoint_token(&self, name: &str) -> (String, String) {
        let t = self
            .client
            .create::<EndpointTokens>(&CreateEndpointToken {
                name: parse(name),
                description: String::new(),
                enabled: None,
            })
            .await
            .expect("create endpoint token");
        (t.details.id.to_string(), t.token.expose().to_string())
    }

    /// A new verifier key (`kwv_…`) of the test tenant, for introspection and keyed checks.
    pub async fn verifier_key(&self, name: &str) -> String {
        self.verifier_key_with_id(name).await.1
    }

    /// The same; returns (id, secret).
    pub async fn verifier_key_with_id(&self, name: &str) -> (String, String) {
        let k = self
            .client
            .create::<VerifierKeys>(&CreateVerifierKey {
                name: parse(name),
                description: String::new(),
            })
            .await
            .expect("create verifier key");
        (k.key.id.to_string(), k.token.expose().to_string())
    }

    /// The verification code for `token` with optional permission, for the test tenant.
    pub async fn verify(&self, token: &str, permission: Option<&str>) -> String {
        let v = self
            .client
            .verify(&VerifyRequest {
                token: Secret::new(token),
                tenant: Some(crate::TENANT.into()),
                permission: permission.map(str::to_string),
                department_id: None,
                ip: None,
            })
            .await
            .expect("verify answers 200");
        v.code.as_str().to_string()
    }
}
