//! Turning what a person types into what the API takes: dates, names instead of ids, and
//! secrets read from standard input rather than from flags (flags show in `ps`).

use anyhow::{anyhow, bail, Context};
use keyward_client::{
    Client, Collection, DepartmentId, Departments, EndpointId, EndpointQuery, EndpointTokenId,
    EndpointTokenQuery, EndpointTokens, Endpoints, NameQuery, Open, PageQuery, UserId, UserQuery,
    UserTypeId, UserTypes, Users,
};
use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, time};
use time::{Date, OffsetDateTime};

/// An RFC 3339 timestamp, or a plain `YYYY-MM-DD` meaning the end of that day in UTC
/// (an expiry or the end of a period then includes the whole day).
pub fn end_of_day(s: &str) -> Result<OffsetDateTime, String> {
    instant(s, time!(23:59:59))
}

/// An RFC 3339 timestamp, or a plain `YYYY-MM-DD` meaning the start of that day in UTC.
pub fn start_of_day(s: &str) -> Result<OffsetDateTime, String> {
    instant(s, time!(00:00:00))
}

fn instant(s: &str, at: time::Time) -> Result<OffsetDateTime, String> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    Date::parse(s, format_description!("[year]-[month]-[day]"))
        .map(|d| d.with_time(at).assume_utc())
        .map_err(|_| {
            format!("{s:?} is neither an RFC 3339 timestamp (2027-01-31T12:00:00Z) nor a date (2027-01-31)")
        })
}

/// A timestamp to set, or `none` to clear it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clearable(pub Option<OffsetDateTime>);

pub fn end_of_day_or_none(s: &str) -> Result<Clearable, String> {
    clearable(s, end_of_day)
}

pub fn start_of_day_or_none(s: &str) -> Result<Clearable, String> {
    clearable(s, start_of_day)
}

fn clearable(
    s: &str,
    parse: fn(&str) -> Result<OffsetDateTime, String>,
) -> Result<Clearable, String> {
    if s.trim().eq_ignore_ascii_case("none") {
        Ok(Clearable(None))
    } else {
        parse(s).map(|t| Clearable(Some(t)))
    }
}

/// A pair of flags such as `--enable` and `--disable`: what to set, if anything.
pub fn flag(on: bool, off: bool) -> Option<bool> {
    match (on, off) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

/// The first line of standard input, without its line break: a password or a token.
/// One line, so that typing it at a terminal and pressing Enter is enough.
pub fn read_stdin_secret(what: &str) -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_line(&mut s)
        .with_context(|| format!("cannot read the {what} from standard input"))?;
    let s = s.trim_end_matches(['\r', '\n']).to_string();
    if s.is_empty() {
        bail!("standard input held no {what}");
    }
    Ok(s)
}

/// Picks the one candidate whose name is `name`: exactly, or else ignoring case if that
/// leaves a single one.
fn pick<I: Copy>(what: &str, name: &str, candidates: &[(String, I)]) -> anyhow::Result<I> {
    if let Some((_, id)) = candidates.iter().find(|(n, _)| n == name) {
        return Ok(*id);
    }
    let folded: Vec<_> = candidates
        .iter()
        .filter(|(n, _)| n.to_lowercase() == name.to_lowercase())
        .collect();
    match folded.as_slice() {
        [(_, id)] => Ok(*id),
        [] => Err(anyhow!("no {what} is named {name:?}")),
        _ => Err(anyhow!(
            "several {what}s match {name:?} in different case; give the id instead"
        )),
    }
}

const LOOKUP_PAGE: u32 = 500;

/// Every item of collection `C` that `query` selects, fetching `LOOKUP_PAGE` at a time.
pub async fn every<C: Collection>(
    client: &Client,
    query: C::Query,
) -> anyhow::Result<Vec<C::Listed>> {
    let mut all = Vec::new();
    for page in 1.. {
        let p = client
            .list::<C>(&query.clone().at_page(page, LOOKUP_PAGE))
            .await?;
        let done = p.items.is_empty() || i64::from(page * LOOKUP_PAGE) >= p.total;
        all.extend(p.items.into_iter().map(Open::into_inner));
        if done {
            break;
        }
    }
    Ok(all)
}

/// An item of `C` given by id, or by name: `s` picked from the (name, id) that `named`
/// reads from each item `search` finds.
async fn by_id_or_name<C: Collection>(
    client: &Client,
    what: &str,
    s: &str,
    search: C::Query,
    named: impl Fn(C::Listed) -> (String, C::Id),
) -> anyhow::Result<C::Id> {
    if let Ok(id) = s.parse() {
        return Ok(id);
    }
    let found = every::<C>(client, search).await?;
    let candidates: Vec<_> = found.into_iter().map(named).collect();
    pick(what, s, &candidates)
}

/// A user given by id or username.
pub async fn user(client: &Client, s: &str) -> anyhow::Result<UserId> {
    let search = UserQuery {
        q: Some(s.to_string()),
        ..Default::default()
    };
    by_id_or_name::<Users>(client, "user", s, search, |u| (u.username, u.id)).await
}

/// A department given by id or name.
pub async fn department(client: &Client, s: &str) -> anyhow::Result<DepartmentId> {
    by_id_or_name::<Departments>(client, "department", s, search(s), |d| (d.name, d.id)).await
}

/// A user type given by id or name.
pub async fn user_type(client: &Client, s: &str) -> anyhow::Result<UserTypeId> {
    by_id_or_name::<UserTypes>(client, "user type", s, search(s), |t| (t.name, t.id)).await
}

/// An endpoint given by id, path or name.
pub async fn endpoint(client: &Client, s: &str) -> anyhow::Result<EndpointId> {
    if let Ok(id) = s.parse() {
        return Ok(id);
    }
    let path = s.trim().trim_matches('/');
    let search = EndpointQuery {
        q: Some(path.to_string()),
        ..Default::default()
    };
    let found = every::<Endpoints>(client, search).await?;
    if let Some(e) = found.iter().find(|e| e.path == path) {
        return Ok(e.id);
    }
    let candidates: Vec<_> = found.into_iter().map(|e| (e.name, e.id)).collect();
    pick("endpoint (by path or name)", s, &candidates)
}

/// A secondary endpoint token given by id or name (active or not).
pub async fn endpoint_token(client: &Client, s: &str) -> anyhow::Result<EndpointTokenId> {
    let search = EndpointTokenQuery {
        status: Some("all".into()),
        q: Some(s.to_string()),
        ..Default::default()
    };
    by_id_or_name::<EndpointTokens>(client, "endpoint token", s, search, |t| (t.name, t.id)).await
}

/// The names that match `s`.
fn search(s: &str) -> NameQuery {
    NameQuery {
        q: Some(s.to_string()),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_plain_date_means_the_end_or_start_of_that_day_in_utc() {
        assert_eq!(
            end_of_day("2027-01-31").unwrap(),
            datetime!(2027-01-31 23:59:59 UTC)
        );
        assert_eq!(
            start_of_day("2027-01-31").unwrap(),
            datetime!(2027-01-31 00:00:00 UTC)
        );
    }

    #[test]
    fn an_rfc3339_timestamp_is_taken_as_given() {
        assert_eq!(
            end_of_day("2027-01-31T12:00:00+01:00").unwrap(),
            datetime!(2027-01-31 12:00:00 +01:00)
        );
    }

    #[test]
    fn anything_else_is_refused_with_examples() {
        let e = end_of_day("31.01.2027").unwrap_err();
        assert!(e.contains("2027-01-31"), "{e}");
        assert!(end_of_day("2027-02-30").is_err());
    }

    #[test]
    fn none_clears_a_clearable_date() {
        assert_eq!(end_of_day_or_none("none").unwrap(), Clearable(None));
        assert_eq!(
            start_of_day_or_none("2027-01-31").unwrap(),
            Clearable(Some(datetime!(2027-01-31 00:00:00 UTC)))
        );
    }

    #[test]
    fn a_name_matches_exactly_first_then_ignoring_case() {
        let c = vec![
            ("Sales".to_string(), 1),
            ("sales".to_string(), 2),
            ("Ops".to_string(), 3),
        ];
        assert_eq!(pick("department", "sales", &c).unwrap(), 2);
        assert_eq!(pick("department", "ops", &c).unwrap(), 3);
        assert!(pick("department", "SALES", &c).is_err());
        assert!(pick("department", "Sal", &c).is_err());
    }
}
