//! `keyward verify`: asks the server about a token, as an integration would. Exits with
//! status 0 only when the token is VALID, so scripts can use it in a condition. The check
//! is made for one tenant: the one `--tenant` names, or the tenant of the verifier key in
//! `KEYWARD_VERIFIER_KEY` (read from the environment only, so it stays out of `ps`).

use super::output::{self, Fields};
use super::{input, Conn, Ctx};
use clap::Args;
use keyward_client::{DepartmentId, Secret, VerifyCode, VerifyRequest, VerifyResponse};
use std::net::IpAddr;

#[derive(Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub conn: Conn,
    /// The token. Leave it out (or give `-`) to read it from standard input, which keeps
    /// it out of `ps` and the shell history.
    token: Option<String>,
    /// The tenant the check is for (name or id). Not needed with KEYWARD_VERIFIER_KEY, or
    /// on a server started with --single-tenant.
    #[arg(long, env = "KEYWARD_TENANT")]
    tenant: Option<String>,
    /// A permission the caller needs, e.g. `orders:read`.
    #[arg(long)]
    permission: Option<String>,
    /// The department the caller acts in.
    #[arg(long, value_name = "ID")]
    department_id: Option<DepartmentId>,
    /// The address the token is presented from, for IP allowlists (default: this machine's).
    #[arg(long)]
    ip: Option<IpAddr>,
}

pub(super) const VERIFIER_KEY_ENV: &str = "KEYWARD_VERIFIER_KEY";

pub async fn run(ctx: &Ctx, a: VerifyArgs) -> anyhow::Result<()> {
    let token = match a.token {
        Some(t) if t != "-" => t,
        _ => input::read_stdin_secret("token")?,
    };
    let req = VerifyRequest {
        token: Secret::new(token.trim()),
        tenant: a.tenant,
        permission: a.permission,
        department_id: a.department_id,
        ip: a.ip,
    };
    let v = match std::env::var(VERIFIER_KEY_ENV) {
        Ok(k) if !k.trim().is_empty() => {
            ctx.client
                .verify_with_key(&Secret::new(k.trim()), &req)
                .await?
        }
        _ => ctx.client.verify(&req).await?,
    };
    ctx.print(&v, || verdict(&v))?;
    if v.valid {
        Ok(())
    } else {
        anyhow::bail!("the token is not valid ({})", v.code.as_str())
    }
}

fn verdict(v: &VerifyResponse) -> String {
    let message = if v.message.is_empty() {
        v.code.explain()
    } else {
        &v.message
    };
    let mut out = format!("{}: {}\n", v.code.as_str(), output::clean(message));
    let mut f = Fields::new();
    if let Some(id) = v.token_id {
        let kind = v
            .kind
            .map(|k| format!(" ({})", k.as_str()))
            .unwrap_or_default();
        f.add("token", format!("{id}{kind}"));
    }
    if v.code == VerifyCode::Valid {
        if let Some(u) = &v.user {
            f.add("user", format!("{} ({})", u.username, u.id));
        }
        if let Some(d) = &v.department {
            f.add("department", format!("{} ({})", d.name, d.id));
        }
        if let Some(t) = &v.user_type {
            f.add("user type", format!("{} ({})", t.name, t.id));
        }
        f.add("permissions", output::list(&v.permissions));
        f.add(
            "expires at",
            if v.expires_at.is_some() {
                output::when(v.expires_at)
            } else {
                "never".into()
            },
        );
    }
    out.push_str(&f.render());
    out
}
