//! `keyward settings …`: the tenant's token policy.

use super::output::{self, Fields};
use super::Ctx;
use anyhow::bail;
use clap::{Args, Subcommand};
use keyward_client::{SecretStorage, SettingsPatch, TenantSettings};

#[derive(Subcommand)]
pub enum SettingsCommand {
    /// Show the tenant's settings.
    Show,
    /// Change some settings; the others keep their values. Takes effect at once.
    Update(UpdateArgs),
}

#[derive(Args)]
pub struct UpdateArgs {
    /// Switch API tokens on or off for the whole tenant.
    #[arg(long, value_name = "BOOL")]
    api_tokens_enabled: Option<bool>,
    /// Only technical users inside their active period may own API tokens.
    #[arg(long, value_name = "BOOL")]
    require_technical_user: Option<bool>,
    /// `show_once` or `recoverable` (secrets can be revealed again, audited).
    #[arg(long, value_parser = secret_storage, value_name = "POLICY")]
    secret_storage: Option<SecretStorage>,
    /// Longest token lifetime; 0 allows tokens that never expire.
    #[arg(long, value_name = "DAYS")]
    max_token_lifetime_days: Option<u32>,
    /// Lifetime of a token created without an expiry.
    #[arg(long, value_name = "DAYS")]
    default_token_lifetime_days: Option<u32>,
    /// How long a mobile session lasts, sliding on each use.
    #[arg(long, value_name = "DAYS")]
    mobile_session_days: Option<u32>,
    /// How many days before expiry a token is announced (`token.expiring`) and marked as
    /// expiring soon; 0 announces none.
    #[arg(long, value_name = "DAYS")]
    expiry_notice_days: Option<u32>,
    /// The API your integrations call with their tokens, for the console's ready line
    /// (`https://api.example.com/v1`), or `none` to remove it.
    #[arg(long, value_name = "URL")]
    api_base_url: Option<String>,
    /// Days without a use (counted from creation if never used) after which a token is
    /// marked stale and announced once (`token.stale`); 0 is off. Uses are recorded
    /// within 2 seconds (the server's flush interval).
    #[arg(long, value_name = "DAYS")]
    flag_unused_after_days: Option<u32>,
    /// Days without a use after which a token is revoked by keyward (reason `unused`);
    /// 0 is off. Must be greater than --flag-unused-after-days when both are on.
    #[arg(long, value_name = "DAYS")]
    revoke_unused_after_days: Option<u32>,
}

impl From<UpdateArgs> for SettingsPatch {
    fn from(a: UpdateArgs) -> Self {
        Self {
            api_tokens_enabled: a.api_tokens_enabled,
            require_technical_user: a.require_technical_user,
            secret_storage: a.secret_storage,
            max_token_lifetime_days: a.max_token_lifetime_days,
            default_token_lifetime_days: a.default_token_lifetime_days,
            mobile_session_days: a.mobile_session_days,
            expiry_notice_days: a.expiry_notice_days,
            api_base_url: a.api_base_url.map(|u| (u != "none").then_some(u)),
            flag_unused_after_days: a.flag_unused_after_days,
            revoke_unused_after_days: a.revoke_unused_after_days,
        }
    }
}

fn secret_storage(s: &str) -> Result<SecretStorage, String> {
    SecretStorage::parse(&s.replace('-', "_"))
        .ok_or_else(|| format!("{s:?} is not one of show_once, recoverable"))
}

pub async fn run(ctx: &Ctx, cmd: SettingsCommand) -> anyhow::Result<()> {
    let c = &ctx.client;
    let s = match cmd {
        SettingsCommand::Show => c.settings().await?,
        SettingsCommand::Update(a) => {
            let patch = SettingsPatch::from(a);
            if serde_json::to_value(&patch)?
                .as_object()
                .is_some_and(|o| o.is_empty())
            {
                bail!("nothing to change: give at least one setting (see --help)");
            }
            c.update_settings(&patch).await?
        }
    };
    ctx.print(&s, || show(&s))
}

fn show(s: &TenantSettings) -> String {
    Fields::new()
        .add("api tokens enabled", output::yes_no(s.api_tokens_enabled))
        .add(
            "require technical user",
            output::yes_no(s.require_technical_user),
        )
        .add("secret storage", s.secret_storage.as_str())
        .add(
            "max token lifetime days",
            days(s.max_token_lifetime_days, "no limit"),
        )
        .add(
            "default token lifetime days",
            days(s.default_token_lifetime_days, "never expires"),
        )
        .add("mobile session days", s.mobile_session_days.to_string())
        .add("expiry notice days", days(s.expiry_notice_days, "none"))
        .add(
            "api base url",
            s.api_base_url
                .as_deref()
                .unwrap_or("none (the ready line checks the token against keyward)"),
        )
        .add(
            "flag unused after days",
            days(s.flag_unused_after_days, "off"),
        )
        .add(
            "revoke unused after days",
            days(s.revoke_unused_after_days, "off"),
        )
        .render()
}

fn days(n: u32, zero: &str) -> String {
    if n == 0 {
        format!("0 ({zero})")
    } else {
        n.to_string()
    }
}
