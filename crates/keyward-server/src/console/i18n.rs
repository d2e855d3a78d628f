//! The console's languages: Fluent message files for English and Norwegian Bokmål,
//! compiled into the binary, the choice from `Accept-Language` or the user's setting, and
//! dates written the way each language writes them.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use time::OffsetDateTime;
use unic_langid::LanguageIdentifier;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Lang {
    #[serde(rename = "en")]
    En,
    #[serde(rename = "nb")]
    Nb,
}

pub const LANGS: [Lang; 2] = [Lang::En, Lang::Nb];

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nb => "nb",
        }
    }

    /// A language tag as browsers and users write it: `nb`, `nb-NO`, `no` and `nn` are
    /// Norwegian (Bokmål is the written form we have), `en-GB` is English.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "nb" | "no" | "nn" => Some(Lang::Nb),
            _ => None,
        }
    }

    /// The best of our languages for an `Accept-Language` header (RFC 9110 §12.5.4):
    /// highest weight first, earlier entries winning ties; English when nothing matches.
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let Some(header) = accept_language else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("");
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            if let Some(lang) = Lang::parse(tag) {
                if best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }
}

const EN_FTL: &str = include_str!("../../locales/en/console.ftl");
const NB_FTL: &str = include_str!("../../locales/nb/console.ftl");

pub struct I18n {
    en: FluentBundle<FluentResource>,
    nb: FluentBundle<FluentResource>,
}

fn bundle(tag: &str, source: &str) -> FluentBundle<FluentResource> {
    let id: LanguageIdentifier = tag.parse().expect("language tag");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Isolation marks around arguments would end up inside HTML attributes and copied
    // curl lines; both languages run left to right.
    bundle.set_use_isolating(false);
    let resource = FluentResource::try_new(source.to_string())
        .unwrap_or_else(|(_, errors)| panic!("{tag}/console.ftl does not parse: {errors:?}"));
    bundle
        .add_resource(resource)
        .unwrap_or_else(|errors| panic!("{tag}/console.ftl has duplicates: {errors:?}"));
    bundle
}

impl Default for I18n {
    fn default() -> Self {
        Self::new()
    }
}

impl I18n {
    pub fn new() -> Self {
        Self {
            en: bundle("en", EN_FTL),
            nb: bundle("nb", NB_FTL),
        }
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::En => &self.en,
            Lang::Nb => &self.nb,
        }
    }

    /// The message `key` in `lang`, falling back to English, then to the key itself (so
    /// a missing translation is visible rather than blank). The tests make sure no key
    /// used by a template is missing in either language.
    pub fn message(&self, lang: Lang, key: &str, args: Option<&FluentArgs>) -> String {
        for b in [self.bundle(lang), &self.en] {
            if let Some(pattern) = b.get_message(key).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = b.format_pattern(pattern, args, &mut errors);
                if errors.is_empty() {
                    return text.into_owned();
                }
                tracing::warn!(key, ?errors, "console message has errors");
                return text.into_owned();
            }
        }
        key.to_string()
    }

    pub fn has(&self, lang: Lang, key: &str) -> bool {
        self.bundle(lang).has_message(key)
    }

    /// Every message id of a language's file, for the completeness tests.
    pub fn ids(lang: Lang) -> Vec<String> {
        let source = match lang {
            Lang::En => EN_FTL,
            Lang::Nb => NB_FTL,
        };
        source
            .lines()
            .filter_map(|l| {
                let (id, _) = l.split_once(" =")?;
                let ok = !id.is_empty()
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                ok.then(|| id.to_string())
            })
            .collect()
    }
}

/// An argument as Fluent needs it: whole numbers as numbers, so that plural forms
/// (`[one]`) match.
pub fn value(text: String) -> FluentValue<'static> {
    match text.parse::<i64>() {
        Ok(n) => FluentValue::from(n),
        Err(_) => FluentValue::from(text),
    }
}

/// Builds Fluent arguments from name/value pairs.
pub fn args<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> FluentArgs<'a> {
    let mut a = FluentArgs::new();
    for (k, v) in pairs {
        a.set(k, value(v));
    }
    a
}

const EN_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const NB_MONTHS: [&str; 12] = [
    "jan.", "feb.", "mars", "apr.", "mai", "juni", "juli", "aug.", "sep.", "okt.", "nov.", "des.",
];

/// A date as the language writes it: `23 Nov 2026` / `23. nov. 2026`.
pub fn format_date(lang: Lang, t: OffsetDateTime) -> String {
    let m = usize::from(u8::from(t.month())) - 1;
    match lang {
        Lang::En => format!("{} {} {}", t.day(), EN_MONTHS[m], t.year()),
        Lang::Nb => format!("{}. {} {}", t.day(), NB_MONTHS[m], t.year()),
    }
}

/// A moment in UTC: `23 Nov 2026, 14:05 UTC` / `23. nov. 2026 kl. 14:05 UTC`.
pub fn format_datetime(lang: Lang, t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let date = format_date(lang, t);
    match lang {
        Lang::En => format!("{date}, {:02}:{:02} UTC", t.hour(), t.minute()),
        Lang::Nb => format!("{date} kl. {:02}:{:02} UTC", t.hour(), t.minute()),
    }
}

/// How far `t` is from `now`, in the largest unit that fits: the unit's message name and
/// the count. Within a minute either way it is "now" (count 0). Minutes, hours and days
/// (up to 59) are whole ones, rounded towards zero, so an expiry is never said to be
/// further off than it is; months (of 30 days) and years (of 365) are rounded to the
/// nearest, so that a token made for 90 days is "in 3 months" and one made for a year
/// "in 1 year".
pub fn distance(t: OffsetDateTime, now: OffsetDateTime) -> (&'static str, u64) {
    let secs = (t - now).whole_seconds().unsigned_abs();
    let days = secs / 86_400;
    match secs {
        0..60 => ("now", 0),
        60..3_600 => ("minutes", secs / 60),
        3_600..86_400 => ("hours", secs / 3_600),
        _ if days < 60 => ("days", days),
        _ if days < 335 => ("months", (days + 15) / 30),
        _ => ("years", ((days + 182) / 365).max(1)),
    }
}

impl I18n {
    /// `t` as seen from `now`: "in 5 days", "3 days ago", "just now"; "om 5 dager", "for 3
    /// dager siden", "akkurat nå".
    pub fn relative(&self, lang: Lang, t: OffsetDateTime, now: OffsetDateTime) -> String {
        let (unit, count) = distance(t, now);
        if unit == "now" {
            return self.message(lang, "time-now", None);
        }
        let key = if t > now {
            format!("time-in-{unit}")
        } else {
            format!("time-{unit}-ago")
        };
        self.message(lang, &key, Some(&args([("count", count.to_string())])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_browser_language_picks_the_console_language() {
        assert_eq!(Lang::negotiate(Some("nb-NO,nb;q=0.9,en;q=0.8")), Lang::Nb);
        assert_eq!(Lang::negotiate(Some("en-GB,en;q=0.9,nb;q=0.8")), Lang::En);
        assert_eq!(Lang::negotiate(Some("de-DE,no;q=0.5,en;q=0.4")), Lang::Nb);
        assert_eq!(Lang::negotiate(Some("nn")), Lang::Nb);
        assert_eq!(Lang::negotiate(Some("fr, nb;q=0")), Lang::En);
        assert_eq!(Lang::negotiate(None), Lang::En);
    }

    #[test]
    fn both_languages_have_the_same_messages() {
        let en = I18n::ids(Lang::En);
        let nb = I18n::ids(Lang::Nb);
        assert!(en.len() > 100, "only {} English messages found", en.len());
        let missing_nb: Vec<_> = en.iter().filter(|k| !nb.contains(k)).collect();
        let missing_en: Vec<_> = nb.iter().filter(|k| !en.contains(k)).collect();
        assert!(missing_nb.is_empty(), "missing in nb: {missing_nb:?}");
        assert!(missing_en.is_empty(), "missing in en: {missing_en:?}");
        let i = I18n::new();
        for k in &en {
            assert!(
                i.has(Lang::Nb, k) && i.has(Lang::En, k),
                "{k} does not parse"
            );
        }
    }

    #[test]
    fn messages_take_arguments_and_fall_back_to_the_key() {
        let i = I18n::new();
        let a = args([("count", "3".to_string())]);
        assert!(i
            .message(Lang::En, "tokens-selected", Some(&a))
            .contains('3'));
        let one = args([("count", "1".to_string())]);
        assert_eq!(
            i.message(Lang::En, "notice-deleted", Some(&one)),
            "Deleted."
        );
        assert_eq!(
            i.message(Lang::Nb, "confirm-delete-button", Some(&one)),
            "Slett 1 token"
        );
        let two = args([("count", "2".to_string())]);
        assert_eq!(
            i.message(Lang::En, "confirm-delete-button", Some(&two)),
            "Delete 2 tokens"
        );
        assert_eq!(
            i.message(Lang::Nb, "no-such-message", None),
            "no-such-message"
        );
    }

    #[test]
    fn dates_are_written_the_way_each_language_writes_them() {
        let t = datetime!(2026-11-23 14:05:09 UTC);
        assert_eq!(format_date(Lang::En, t), "23 Nov 2026");
        assert_eq!(format_date(Lang::Nb, t), "23. nov. 2026");
        assert_eq!(format_datetime(Lang::En, t), "23 Nov 2026, 14:05 UTC");
        assert_eq!(format_datetime(Lang::Nb, t), "23. nov. 2026 kl. 14:05 UTC");
    }

    #[test]
    fn relative_times_read_naturally_in_both_languages() {
        let i = I18n::new();
        let now = datetime!(2026-11-23 14:05:09 UTC);
        let d = time::Duration::days;
        let h = time::Duration::hours;
        let cases = [
            (now + time::Duration::seconds(20), "just now", "akkurat nå"),
            (
                now + time::Duration::minutes(1),
                "in 1 minute",
                "om 1 minutt",
            ),
            (
                now - time::Duration::minutes(45),
                "45 minutes ago",
                "for 45 minutter siden",
            ),
            (now + h(1), "in 1 hour", "om 1 time"),
            (now - h(5), "5 hours ago", "for 5 timer siden"),
            (now + d(1), "in 1 day", "om 1 dag"),
            // A token made today for 5 days works to the end of that day.
            (now + d(5) + h(9), "in 5 days", "om 5 dager"),
            (now - d(3), "3 days ago", "for 3 dager siden"),
            (now + d(59), "in 59 days", "om 59 dager"),
            (now + d(90), "in 3 months", "om 3 måneder"),
            (now - d(60), "2 months ago", "for 2 måneder siden"),
            (
                now + d(90) - time::Duration::seconds(5),
                "in 3 months",
                "om 3 måneder",
            ),
            (now + d(334), "in 11 months", "om 11 måneder"),
            (now + d(364), "in 1 year", "om 1 år"),
            (now + d(365), "in 1 year", "om 1 år"),
            (now - d(800), "2 years ago", "for 2 år siden"),
        ];
        for (t, en, nb) in cases {
            assert_eq!(i.relative(Lang::En, t, now), en);
            assert_eq!(i.relative(Lang::Nb, t, now), nb);
        }
    }
}
