//! Tenant settings: the API-token feature flag, the secret storage policy, lifetimes and
//! the technical-user rule, through the REST API's operation (which validates them).

use super::session::{Me, Posted};
use super::Query;
use super::{Answer, ConsoleState, DoneQuery};
use super::{Confirmation, Confirmed, Consequence, ErrorPage};
use crate::error::ApiError;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use keyward_core::model::{SecretStorage, SettingsProblem, TenantSettings};
use keyward_proto::settings::SettingsPatch;
use minijinja::context;
use serde::Deserialize;

pub fn router() -> Router<ConsoleState> {
    Router::new().route("/console/settings", get(show).post(save))
}

/// The form shows `values`: the stored settings, or after a refusal what was posted,
/// with the field the refusal is about (`invalid`, its form name) marked.
fn render(
    st: &ConsoleState,
    me: &Me,
    values: serde_json::Value,
    error: Option<(&ApiError, Option<&str>)>,
    done: Option<&str>,
) -> Response {
    let frame = me.page_with_notice(&st.console, "settings", done);
    let ctx = context! { s => values, invalid => error.and_then(|(_, f)| f) };
    st.console
        .render_form("settings.html", frame, error.map(|(e, _)| e), ctx)
}

/// A refusal of the settings form: its console code (`error-{code}` names the field by
/// its label, in the page's language), and the field's form name.
fn refusal(code: &'static str, field: &'static str) -> (ApiError, Option<&'static str>) {
    (super::invalid(code, field), Some(field))
}

/// What the console says for a rule the settings break (see [`SettingsProblem`]).
fn problem(p: SettingsProblem) -> (ApiError, Option<&'static str>) {
    let code = match p {
        SettingsProblem::MaxLifetimeTooLong => "settings_max_lifetime_too_long",
        SettingsProblem::DefaultLifetimeTooLong => "settings_default_lifetime_too_long",
        SettingsProblem::NeverExpiringUnderMaximum => "settings_never_expiring_under_maximum",
        SettingsProblem::DefaultBeyondMaximum => "settings_default_beyond_maximum",
        SettingsProblem::MobileSessionDaysOutOfRange => "settings_mobile_days_out_of_range",
        SettingsProblem::ExpiryNoticeTooLong => "settings_expiry_notice_too_long",
        SettingsProblem::ApiBaseUrlInvalid => "settings_api_base_url_invalid",
        SettingsProblem::FlagUnusedTooLong => "settings_flag_unused_too_long",
        SettingsProblem::RevokeUnusedTooLong => "settings_revoke_unused_too_long",
        SettingsProblem::RevokeUnusedNotAfterFlag => "settings_revoke_unused_not_after_flag",
    };
    refusal(code, p.field())
}

async fn show(State(st): State<ConsoleState>, me: Me, Query(q): Query<DoneQuery>) -> Response {
    let values = serde_json::to_value(&me.settings).unwrap_or_default();
    render(&st, &me, values, None, q.done.as_deref())
}

#[derive(Deserialize)]
struct SettingsForm {
    /// The confirmation of an outage-sized change (see [`outages`]).
    #[serde(flatten)]
    confirm: Confirmed,
    api_tokens_enabled: Option<String>,
    require_technical_user: Option<String>,
    #[serde(default)]
    secret_storage: String,
    #[serde(default)]
    max_token_lifetime_days: String,
    #[serde(default)]
    default_token_lifetime_days: String,
    #[serde(default)]
    mobile_session_days: String,
    /// Absent from a form of an older page: the setting keeps its value.
    expiry_notice_days: Option<String>,
    /// Empty (which a form sends as absent) removes it.
    api_base_url: Option<String>,
    flag_unused_after_days: Option<String>,
    revoke_unused_after_days: Option<String>,
}

/// A number of days typed into the field `field`; refused as `code`.
fn days(
    s: &str,
    code: &'static str,
    field: &'static str,
) -> Result<u32, (ApiError, Option<&'static str>)> {
    s.trim().parse().map_err(|_| refusal(code, field))
}

/// The form as a change of settings. The change is checked as the service checks it (the
/// same rules, [`TenantSettings::check`], on the settings it would store), so that the
/// refusal names the field by its label.
fn parse(me: &Me, form: &SettingsForm) -> Result<SettingsPatch, (ApiError, Option<&'static str>)> {
    let patch = SettingsPatch {
        api_tokens_enabled: Some(form.api_tokens_enabled.is_some()),
        require_technical_user: Some(form.require_technical_user.is_some()),
        secret_storage: match form.secret_storage.as_str() {
            "recoverable" => Some(SecretStorage::Recoverable),
            "show_once" => Some(SecretStorage::ShowOnce),
            _ => None,
        },
        max_token_lifetime_days: Some(days(
            &form.max_token_lifetime_days,
            "invalid_max_lifetime_days",
            "max_token_lifetime_days",
        )?),
        default_token_lifetime_days: Some(days(
            &form.default_token_lifetime_days,
            "invalid_default_lifetime_days",
            "default_token_lifetime_days",
        )?),
        mobile_session_days: Some(days(
            &form.mobile_session_days,
            "invalid_mobile_days",
            "mobile_session_days",
        )?),
        expiry_notice_days: form
            .expiry_notice_days
            .as_deref()
            .map(|d| days(d, "invalid_expiry_notice_days", "expiry_notice_days"))
            .transpose()?,
        api_base_url: Some(
            form.api_base_url
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_string),
        ),
        flag_unused_after_days: form
            .flag_unused_after_days
            .as_deref()
            .map(|d| days(d, "invalid_flag_unused_days", "flag_unused_after_days"))
            .transpose()?,
        revoke_unused_after_days: form
            .revoke_unused_after_days
            .as_deref()
            .map(|d| days(d, "invalid_revoke_unused_days", "revoke_unused_after_days"))
            .transpose()?,
    };
    let mut after: TenantSettings = me.settings.clone();
    crate::service::settings::apply(&mut after, &patch);
    after.check().map_err(problem)?;
    Ok(patch)
}

/// The outage-sized parts of a change from `now`: switching API tokens off (every API
/// token of the tenant stops working at once), and switching to show-once (every stored
/// copy of a secret is erased for good).
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Outages {
    tokens_off: bool,
    erase_secrets: bool,
}

fn outages(now: &TenantSettings, patch: &SettingsPatch) -> Outages {
    Outages {
        tokens_off: now.api_tokens_enabled && patch.api_tokens_enabled == Some(false),
        erase_secrets: now.secret_storage == SecretStorage::Recoverable
            && patch.secret_storage == Some(SecretStorage::ShowOnce),
    }
}

impl SettingsForm {
    /// The form's fields, to post again from the confirmation page.
    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("secret_storage", self.secret_storage.clone()),
            (
                "max_token_lifetime_days",
                self.max_token_lifetime_days.clone(),
            ),
            (
                "default_token_lifetime_days",
                self.default_token_lifetime_days.clone(),
            ),
            ("mobile_session_days", self.mobile_session_days.clone()),
        ];
        // The optional fields a form of an older page may lack: posted again only if
        // sent (an absent API base URL is an empty one, and stays so).
        for (name, v) in [
            ("expiry_notice_days", &self.expiry_notice_days),
            ("flag_unused_after_days", &self.flag_unused_after_days),
            ("revoke_unused_after_days", &self.revoke_unused_after_days),
            ("api_base_url", &self.api_base_url),
        ] {
            fields.extend(v.clone().map(|v| (name, v)));
        }
        fields.extend(super::ticked([
            ("api_tokens_enabled", &self.api_tokens_enabled),
            ("require_technical_user", &self.require_technical_user),
        ]));
        fields
    }
}

/// The page that holds an outage-sized change until it is confirmed: it says how many
/// API tokens stop working, or that every stored secret goes; switching API tokens off
/// takes the tenant's name typed.
async fn confirmation(
    st: &ConsoleState,
    me: &Me,
    form: &SettingsForm,
    o: Outages,
) -> Result<Response, ErrorPage> {
    let mut consequences = Vec::new();
    if o.tokens_off {
        let n = super::tokens::active_api_tokens(st, me, None).await?;
        consequences.push(Consequence::new("confirm-tokens-off-stop").count(n));
        consequences.push(Consequence::new("confirm-tokens-off-create"));
        consequences.push(Consequence::new("confirm-tokens-off-mobile"));
    }
    if o.erase_secrets {
        consequences.push(Consequence::new("confirm-show-once-erase"));
        consequences.push(Consequence::new("confirm-show-once-working"));
    }
    let typed = o.tokens_off.then(|| me.tenant.name.clone());
    let c = Confirmation {
        title: if o.tokens_off {
            "confirm-tokens-off-title"
        } else {
            "confirm-show-once-title"
        },
        action: "/console/settings".into(),
        cancel: "/console/settings".into(),
        consequences,
        fields: form.fields(),
        mistyped: form.confirm.mistyped(typed.as_deref()),
        typed,
        button: "confirm-settings-button",
    };
    Ok(c.render(st, me, "settings"))
}

async fn save(State(st): State<ConsoleState>, p: Posted<SettingsForm>) -> Answer {
    let Posted { me, form } = p;
    let result = match parse(&me, &form) {
        Ok(patch) => {
            let o = outages(&me.settings, &patch);
            let typed = o.tokens_off.then_some(me.tenant.name.as_str());
            if (o.tokens_off || o.erase_secrets) && !form.confirm.allows(typed) {
                return confirmation(&st, &me, &form, o).await;
            }
            st.settings()
                .update(&me.admin, patch)
                .await
                .map_err(|e| (ApiError::from(e), None))
        }
        Err(refused) => Err(refused),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/console/settings?done=saved").into_response()),
        Err((e, field)) => {
            let posted = serde_json::json!({
                "api_tokens_enabled": form.api_tokens_enabled.is_some(),
                "require_technical_user": form.require_technical_user.is_some(),
                "secret_storage": form.secret_storage,
                "max_token_lifetime_days": form.max_token_lifetime_days,
                "default_token_lifetime_days": form.default_token_lifetime_days,
                "mobile_session_days": form.mobile_session_days,
                "expiry_notice_days": form.expiry_notice_days.clone()
                    .unwrap_or_else(|| me.settings.expiry_notice_days.to_string()),
                "api_base_url": form.api_base_url.clone().or_else(|| me.settings.api_base_url.clone()),
                "flag_unused_after_days": form.flag_unused_after_days.clone()
                    .unwrap_or_else(|| me.settings.flag_unused_after_days.to_string()),
                "revoke_unused_after_days": form.revoke_unused_after_days.clone()
                    .unwrap_or_else(|| me.settings.revoke_unused_after_days.to_string()),
            });
            Ok(render(&st, &me, posted, Some((&e, field)), None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::i18n::{I18n, Lang, LANGS};
    use keyward_core::model::{MAX_LIFETIME_DAYS_LIMIT, MAX_MOBILE_SESSION_DAYS};

    /// The label of each form field, as the settings page shows it.
    fn label(field: &str) -> &'static str {
        match field {
            "max_token_lifetime_days" => "settings-max-lifetime",
            "default_token_lifetime_days" => "settings-default-lifetime",
            "mobile_session_days" => "settings-mobile-days",
            "expiry_notice_days" => "settings-expiry-notice-days",
            "api_base_url" => "settings-api-base-url",
            "flag_unused_after_days" => "settings-flag-unused-days",
            "revoke_unused_after_days" => "settings-revoke-unused-days",
            other => panic!("no label for {other}"),
        }
    }

    fn words(i: &I18n, lang: Lang, e: &ApiError) -> String {
        let key = format!("error-{}", e.parts().1.replace('_', "-"));
        assert!(i.has(lang, &key), "{key} ({})", lang.code());
        i.message(lang, &key, None)
    }

    #[test]
    fn switching_tokens_off_or_to_show_once_is_held_for_confirmation() {
        let on = TenantSettings {
            secret_storage: SecretStorage::Recoverable,
            ..Default::default()
        };
        let patch = |tokens: bool, storage| SettingsPatch {
            api_tokens_enabled: Some(tokens),
            secret_storage: Some(storage),
            ..Default::default()
        };
        let held = |p| outages(&on, &p);
        assert_eq!(
            held(patch(true, SecretStorage::Recoverable)),
            Outages {
                tokens_off: false,
                erase_secrets: false
            }
        );
        assert!(held(patch(false, SecretStorage::Recoverable)).tokens_off);
        assert!(held(patch(true, SecretStorage::ShowOnce)).erase_secrets);
        // Already off, already show-once: nothing more to lose.
        let off = TenantSettings {
            api_tokens_enabled: false,
            ..Default::default()
        };
        let o = outages(&off, &patch(false, SecretStorage::ShowOnce));
        assert!(!o.tokens_off && !o.erase_secrets);

        // The typed confirmation: the exact tenant name, spaces around it aside.
        let form = |body: &str| -> SettingsForm { serde_html_form::from_str(body).unwrap() };
        let f = form("secret_storage=show_once&max_token_lifetime_days=365&default_token_lifetime_days=90&mobile_session_days=30");
        assert!(!f.confirm.allows(Some("acme")) && !f.confirm.mistyped(Some("acme")));
        let f = form("confirmed=yes&confirm_typed=+acme+&secret_storage=show_once");
        assert!(f.confirm.allows(Some("acme")));
        let f = form("confirmed=yes&confirm_typed=Acme&secret_storage=show_once");
        assert!(!f.confirm.allows(Some("acme")) && f.confirm.mistyped(Some("acme")));
        assert!(f.confirm.allows(None), "show-once needs no name typed");
        // Posted again as they were: the ticked boxes too, the unticked ones absent.
        let f = form("api_tokens_enabled=on&secret_storage=recoverable&max_token_lifetime_days=365&default_token_lifetime_days=90&mobile_session_days=30");
        let fields = f.fields();
        assert!(fields.contains(&("api_tokens_enabled", "on".to_string())));
        assert!(!fields.iter().any(|(n, _)| *n == "require_technical_user"));
    }

    #[test]
    fn every_settings_problem_is_told_with_the_fields_label_in_both_languages() {
        let i = I18n::new();
        for p in [
            SettingsProblem::MaxLifetimeTooLong,
            SettingsProblem::DefaultLifetimeTooLong,
            SettingsProblem::NeverExpiringUnderMaximum,
            SettingsProblem::DefaultBeyondMaximum,
            SettingsProblem::MobileSessionDaysOutOfRange,
            SettingsProblem::ExpiryNoticeTooLong,
            SettingsProblem::FlagUnusedTooLong,
            SettingsProblem::RevokeUnusedTooLong,
            SettingsProblem::RevokeUnusedNotAfterFlag,
        ] {
            let (e, field) = problem(p);
            assert_eq!(field, Some(p.field()));
            for lang in LANGS {
                let text = words(&i, lang, &e);
                let shown = i.message(lang, label(p.field()), None);
                assert!(text.contains(&shown), "{text} lacks {shown}");
                assert!(!text.contains('_'), "a raw field name: {text}");
            }
        }
        // The limits the words give are the rules' own.
        let en = |p| words(&i, Lang::En, &problem(p).0);
        assert!(
            en(SettingsProblem::MaxLifetimeTooLong).contains(&MAX_LIFETIME_DAYS_LIMIT.to_string())
        );
        assert!(en(SettingsProblem::MobileSessionDaysOutOfRange)
            .contains(&MAX_MOBILE_SESSION_DAYS.to_string()));
        for (code, field) in [
            ("invalid_max_lifetime_days", "max_token_lifetime_days"),
            (
                "invalid_default_lifetime_days",
                "default_token_lifetime_days",
            ),
            ("invalid_mobile_days", "mobile_session_days"),
            ("invalid_expiry_notice_days", "expiry_notice_days"),
            ("invalid_flag_unused_days", "flag_unused_after_days"),
            ("invalid_revoke_unused_days", "revoke_unused_after_days"),
        ] {
            let (e, _) = refusal(code, field);
            for lang in LANGS {
                let text = words(&i, lang, &e);
                assert!(
                    text.contains(&i.message(lang, label(field), None)),
                    "{text}"
                );
            }
        }
    }
}
