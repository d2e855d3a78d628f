//! A small builder for the few queries whose WHERE clause depends on filters. It numbers
//! placeholders `$1, $2, …`, which both SQLite and PostgreSQL accept.

use sqlx::any::AnyArguments;
use sqlx::Arguments;

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

pub(crate) enum Bind {
    Text(String),
    Int(i64),
}

#[derive(Default)]
pub(crate) struct Filter {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

impl Filter {
    /// Adds a bind value and returns its placeholder.
    pub fn bind(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }

    pub fn text(&mut self, s: impl Into<String>) -> String {
        self.bind(Bind::Text(s.into()))
    }

    pub fn int(&mut self, i: i64) -> String {
        self.bind(Bind::Int(i))
    }

    pub fn and(&mut self, clause: String) {
        self.clauses.push(clause);
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
            let _ = match b {
                Bind::Text(s) => a.add(s.clone()),
                Bind::Int(i) => a.add(*i),
            };
        }
        a
    }
}

/// The text stored in a `search` column: the searchable fields, lower-cased here because
/// SQLite's `LOWER()` folds only ASCII (a search for "Øk" must find "Økonomi" on both
/// backends).
pub(crate) fn search_key(fields: &[&str]) -> String {
    fields.join("\n").to_lowercase()
}

/// A `LIKE` pattern matching `q` anywhere, with `%`, `_` and `\` in `q` taken literally.
pub(crate) fn contains_pattern(q: &str) -> String {
    let escaped = q
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}
