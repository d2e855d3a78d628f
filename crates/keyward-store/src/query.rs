//! How the store binds values and builds its queries, once for both backends: typed
//! values ([`Value`], bound with `.arg`), a WHERE clause built from filters ([`Filter`],
//! numbering placeholders `$1, $2, …`, which SQLite and PostgreSQL both accept), one
//! paging of listings ([`Store::page`]) and one way to read by a list of values
//! ([`Store::rows_in`]: `IN (…)`, since the Any driver has no arrays).

use crate::{to_ms, Store, StoreError, StoreResult};
use keyward_core::endpoint::EndpointPath;
use keyward_core::ids::*;
use keyward_core::text::Name;
use keyward_core::TokenHash;
use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow, AnyTypeInfo};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::query::{Query, QueryScalar};
use sqlx::{Any, Arguments, Database, Encode, Executor, Type};
use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

impl Page {
    pub const MAX_PER_PAGE: u32 = 500;

    pub fn new(page: u32, per_page: u32) -> Self {
        Self {
            page: page.max(1),
            per_page: per_page.clamp(1, Self::MAX_PER_PAGE),
        }
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
}

impl Default for Page {
    fn default() -> Self {
        Self::new(1, 50)
    }
}

/// A value as storage holds it: ids as their text, times as milliseconds since the epoch
/// (`to_ms`), flags as 0/1. A NULL keeps its type, which PostgreSQL needs to bind it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Bind {
    Text(Option<String>),
    Int(Option<i64>),
}

impl<'q> Encode<'q, Any> for Bind {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        match self {
            Bind::Text(s) => Encode::<Any>::encode_by_ref(s, buf),
            Bind::Int(i) => Encode::<Any>::encode_by_ref(i, buf),
        }
    }
}

/// Required by `bind`, which uses it only for an `Option<Bind>`'s NULL; a `Bind` carries
/// its own NULL, so there is never an `Option<Bind>`.
impl Type<Any> for Bind {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
}

/// What can be bound, in the one way the store writes it.
pub(crate) trait Value {
    /// What `None` of this type binds.
    const NULL: Bind;
    fn to_bind(self) -> Bind;
}

impl<T: Value> Value for Option<T> {
    const NULL: Bind = T::NULL;
    fn to_bind(self) -> Bind {
        self.map_or(T::NULL, T::to_bind)
    }
}

impl<'a, T> Value for &'a Option<T>
where
    &'a T: Value,
{
    const NULL: Bind = <&'a T as Value>::NULL;
    fn to_bind(self) -> Bind {
        self.as_ref().to_bind()
    }
}

/// `value!(Text: T => |v| text, …)`: how each `T` is stored, as text or as an integer.
macro_rules! value {
    ($kind:ident: $($t:ty => |$v:ident| $e:expr),* $(,)?) => {$(
        impl Value for $t {
            const NULL: Bind = Bind::$kind(None);
            fn to_bind(self) -> Bind {
                let $v = self;
                Bind::$kind(Some($e))
            }
        }
    )*};
}

value!(Text:
    String => |s| s,
    &str => |s| s.to_string(),
    &String => |s| s.clone(),
    &TokenHash => |h| h.to_hex(),
    &Name => |n| n.to_string(),
    &EndpointPath => |p| p.to_string(),
);

value!(Int:
    i64 => |i| i,
    u32 => |i| i64::from(i),
    bool => |b| i64::from(b),
    OffsetDateTime => |t| to_ms(t),
);

/// Ids are stored as their text.
macro_rules! id_value {
    ($($t:ty),* $(,)?) => {$( value!(Text: $t => |id| id.to_string()); )*};
}

keyward_core::for_each_id!(id_value);

/// `.arg(v)` binds a [`Value`] to a query, as `.bind` binds a raw one.
pub(crate) trait Arg {
    fn arg(self, v: impl Value) -> Self;
}

impl<'q> Arg for Query<'q, Any, AnyArguments<'q>> {
    fn arg(self, v: impl Value) -> Self {
        self.bind(v.to_bind())
    }
}

impl<'q, O> Arg for QueryScalar<'q, Any, O, AnyArguments<'q>> {
    fn arg(self, v: impl Value) -> Self {
        self.bind(v.to_bind())
    }
}

/// A WHERE clause built from filters, with its bound values.
#[derive(Default)]
pub(crate) struct Filter {
    clauses: Vec<String>,
    binds: Vec<Bind>,
    /// Placeholders are SQLite's anonymous `?`, numbered by their place in the text.
    anonymous: bool,
}

impl Filter {
    /// The values of a statement of many rows (an insert of a group commit's creations,
    /// a read of their details): its placeholders must appear in the statement in the
    /// order [`Filter::arg`] returned them. On SQLite they are anonymous `?`s, because
    /// SQLite looks up a numbered `$n` in a list of all of them, when the statement is
    /// prepared and again when each value is bound: with a thousand values, those
    /// look-ups cost more than the rows' writing.
    pub fn many(backend: crate::Backend) -> Self {
        Self {
            anonymous: backend == crate::Backend::Sqlite,
            ..Self::default()
        }
    }

    /// Adds a bind value and returns its placeholder.
    pub fn arg(&mut self, v: impl Value) -> String {
        self.binds.push(v.to_bind());
        if self.anonymous {
            "?".to_string()
        } else {
            format!("${}", self.binds.len())
        }
    }

    /// The rows of a `VALUES` list, one for each of `items`, whose values `row` gives
    /// (placeholders from [`Filter::arg`], or SQL literals): `($1, $2, 1), ($3, $4, 1)`.
    pub fn rows<T>(&mut self, items: &[T], row: impl Fn(&mut Self, &T) -> Vec<String>) -> String {
        items
            .iter()
            .map(|item| format!("({})", row(self, item).join(", ")))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Binds each of `values` and returns the list `($1, $2, …)`, for `col IN {list}`.
    pub fn list<V: Value + Clone>(&mut self, values: &[V]) -> String {
        let list = values
            .iter()
            .map(|v| self.arg(v.clone()))
            .collect::<Vec<_>>()
            .join(", ");
        format!("({list})")
    }

    pub fn and(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    /// Keeps the rows where `col op v` (`op` is `=`, `<=`, …).
    pub fn cmp(&mut self, col: &str, op: &str, v: impl Value) {
        let p = self.arg(v);
        self.and(format!("{col} {op} {p}"));
    }

    pub fn eq(&mut self, col: &str, v: impl Value) {
        self.cmp(col, "=", v);
    }

    /// Keeps the rows where one of the `search` columns `cols` contains `q` (see
    /// [`search_key`]); an absent or empty `q` keeps every row.
    pub fn contains(&mut self, cols: &[&str], q: Option<&str>) {
        self.contains_or_starts(cols, &[], q);
    }

    /// [`Filter::contains`], or one of the columns `starts` begins with `q` as typed
    /// (case and all: a token's hint, `kwa_GfqB…`).
    pub fn contains_or_starts(&mut self, cols: &[&str], starts: &[&str], q: Option<&str>) {
        let Some(q) = q.filter(|q| !q.is_empty()) else {
            return;
        };
        let p = self.arg(contains_pattern(q));
        let mut any: Vec<String> = cols
            .iter()
            .map(|c| format!("{c} LIKE {p} ESCAPE '\\'"))
            .collect();
        if !starts.is_empty() {
            let p = self.arg(format!("{}%", like_escaped(q)));
            any.extend(starts.iter().map(|c| format!("{c} LIKE {p} ESCAPE '\\'")));
        }
        let any = any.join(" OR ");
        self.and(if cols.len() + starts.len() > 1 {
            format!("({any})")
        } else {
            any
        });
    }

    pub fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    pub fn args(&self) -> AnyArguments<'static> {
        let mut a = AnyArguments::default();
        for b in &self.binds {
            // Adding a String or i64 to AnyArguments cannot fail.
            let _ = a.add(b.clone());
        }
        a
    }
}

/// The row `sql` reads for `id` in `tenant` (its `$1` and `$2`), or `NotFound(what)`: on
/// the read pool, or in a transaction (to lock it, or to return what it wrote).
pub(crate) async fn row_of<'c>(
    conn: impl Executor<'c, Database = Any>,
    sql: &str,
    id: impl Value,
    tenant: TenantId,
    what: &'static str,
) -> StoreResult<AnyRow> {
    sqlx::query(sql)
        .arg(id)
        .arg(tenant)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound(what))
}

/// The row `sql` reads for `v` (its `$1`), or `NotFound(what)`: [`row_of`] for what is
/// not read by id within a tenant (a tenant itself, its settings).
pub(crate) async fn row_for<'c>(
    conn: impl Executor<'c, Database = Any>,
    sql: &str,
    v: impl Value,
    what: &'static str,
) -> StoreResult<AnyRow> {
    sqlx::query(sql)
        .arg(v)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound(what))
}

/// `NotFound(what)` when a write changed no row: the row it names does not exist.
pub(crate) fn found(done: AnyQueryResult, what: &'static str) -> StoreResult<()> {
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(what));
    }
    Ok(())
}

/// What a listing reads: `SELECT {columns} {from}` with a filter's WHERE, in `order`.
pub(crate) struct Listing<'a> {
    pub columns: &'a str,
    pub from: &'a str,
    pub order: &'a str,
}

impl<'a> Listing<'a> {
    pub const fn new(columns: &'a str, from: &'a str, order: &'a str) -> Self {
        Self {
            columns,
            from,
            order,
        }
    }
}

/// Values per `IN (…)` list, well under every backend's limit of bound parameters.
pub(crate) const IN_CHUNK: usize = 100;

impl Store {
    /// One page of a listing, and how many rows the listing has in all.
    pub(crate) async fn page<T>(
        &self,
        l: &Listing<'_>,
        mut f: Filter,
        page: Page,
        row: impl Fn(&AnyRow) -> StoreResult<T>,
    ) -> StoreResult<(Vec<T>, i64)> {
        let (from, w) = (l.from, f.where_sql());
        let total: i64 = sqlx::query_scalar_with(&format!("SELECT COUNT(*) {from}{w}"), f.args())
            .fetch_one(&self.read)
            .await?;
        let lim = f.arg(page.limit());
        let off = f.arg(page.offset());
        let sql = format!(
            "SELECT {} {from}{w} ORDER BY {} LIMIT {lim} OFFSET {off}",
            l.columns, l.order
        );
        let rows = sqlx::query_with(&sql, f.args())
            .fetch_all(&self.read)
            .await?;
        Ok((rows.iter().map(row).collect::<StoreResult<_>>()?, total))
    }

    /// One page of the rows of a listing that `keep` keeps, and how many it keeps in
    /// all: for a filter decided in Rust rather than in SQL (a token's standing, which
    /// the verification decision computes; a second copy of its rules in SQL could
    /// disagree with it). The listing is read once, in its order, as a stream, holding
    /// only the page in memory.
    pub(crate) async fn page_kept<T>(
        &self,
        l: &Listing<'_>,
        f: Filter,
        page: Page,
        row: impl Fn(&AnyRow) -> StoreResult<T>,
        keep: impl Fn(&T) -> bool,
    ) -> StoreResult<(Vec<T>, i64)> {
        let sql = format!(
            "SELECT {} {}{} ORDER BY {}",
            l.columns,
            l.from,
            f.where_sql(),
            l.order
        );
        let (skip, take) = (page.offset(), page.limit());
        let (mut kept, mut total) = (Vec::new(), 0i64);
        self.each_row(sqlx::query_with(&sql, f.args()), |r| {
            let item = row(r)?;
            if keep(&item) {
                if total >= skip && total < skip + take {
                    kept.push(item);
                }
                total += 1;
            }
            Ok(())
        })
        .await?;
        Ok((kept, total))
    }

    /// Hands each row of `q` to `each` as the database sends it, holding one at a time:
    /// for reads too large to gather first (every stored hash at start, a listing
    /// filtered in Rust, the preload's pages).
    pub(crate) async fn each_row<'q>(
        &self,
        q: Query<'q, Any, AnyArguments<'q>>,
        mut each: impl FnMut(&AnyRow) -> StoreResult<()>,
    ) -> StoreResult<()> {
        use futures_util::TryStreamExt;
        let mut rows = q.fetch(&self.read);
        while let Some(r) = rows.try_next().await? {
            each(&r)?;
        }
        Ok(())
    }

    /// The rows of `sql` for each chunk of `values`: `sql` binds what it needs in the
    /// filter it is given and puts the chunk in with [`Filter::list`].
    pub(crate) async fn rows_in<V: Value + Clone>(
        &self,
        values: &[V],
        sql: impl Fn(&mut Filter, &[V]) -> String,
    ) -> StoreResult<Vec<AnyRow>> {
        let mut out = Vec::new();
        for chunk in values.chunks(IN_CHUNK) {
            let mut f = Filter::default();
            let sql = sql(&mut f, chunk);
            out.extend(
                sqlx::query_with(&sql, f.args())
                    .fetch_all(&self.read)
                    .await?,
            );
        }
        Ok(out)
    }

    /// The rows of `table` (one with `id` and `tenant_id` columns) whose id is one of
    /// `ids` and that belong to `tenant`, with `columns`. The tenant is compared here,
    /// not in the query: given `tenant_id = $1 AND id IN (…)`, SQLite (which keeps no
    /// statistics) walks the tenant's index through every row of the tenant instead of
    /// looking up each id; at 22,000 tokens that read was 86 times slower.
    pub(crate) async fn rows_of_tenant<V: Value + Clone>(
        &self,
        tenant: keyward_core::TenantId,
        columns: &str,
        table: &str,
        ids: &[V],
    ) -> StoreResult<Vec<AnyRow>> {
        let rows = self
            .rows_in(ids, |f, chunk| {
                let list = f.list(chunk);
                format!("SELECT tenant_id AS row_tenant, {columns} FROM {table} WHERE id IN {list}")
            })
            .await?;
        let mut mine = Vec::with_capacity(rows.len());
        for r in rows {
            if crate::rows::id::<keyward_core::TenantId>(&r, "row_tenant")? == tenant {
                mine.push(r);
            }
        }
        Ok(mine)
    }
}

/// The text stored in a `search` column: the searchable fields, lower-cased here because
/// SQLite's `LOWER()` folds only ASCII (a search for "Øk" must find "Økonomi" on both
/// backends).
pub(crate) fn search_key(fields: &[&str]) -> String {
    fields.join("\n").to_lowercase()
}

/// A `LIKE` pattern matching `q` anywhere, with `%`, `_` and `\` in `q` taken literally.
fn contains_pattern(q: &str) -> String {
    format!("%{}%", like_escaped(&q.to_lowercase()))
}

/// `q` with `%`, `_` and `\` escaped for `LIKE … ESCAPE '\'`.
fn like_escaped(q: &str) -> String {
    q.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
