//! How client commands print, as `--output` chooses: aligned plain-text tables for lists
//! and `key: value` lines for one object (`table`), pretty JSON for scripts (`json`), or
//! CSV for spreadsheets (`csv`). Everything is built as a string and written in one go, so
//! a closed pipe (`keyward token list | head`) ends quietly instead of panicking.

use serde::Serialize;
use serde_json::Value;
use std::io::Write;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Writes `text` to standard output. A reader that went away is not an error.
pub fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// What `--output` chooses; the same for every command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tables for lists, `key: value` lines for one object: for people.
    #[default]
    Table,
    /// The server's JSON, for scripts.
    Json,
    /// A header line and a line per item (a list's columns as the table shows them; one
    /// object's fields, nested ones as `a.b`, on one line), for spreadsheets.
    Csv,
}

/// Rows as RFC 4180 CSV: quoted where a cell needs it, control characters replaced as
/// in a table.
pub fn csv_rows<R: AsRef<[String]>>(header: &[&str], rows: &[R]) -> anyhow::Result<String> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(header)?;
    for row in rows {
        w.write_record(row.as_ref().iter().map(|c| clean(c)))?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// A value from the server as CSV: an array (or a page's `items`) a line per element, any
/// other value one line; the header is every field met, in the order first met.
pub fn csv_of<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<String> {
    let value = serde_json::to_value(value)?;
    let items: Vec<&Value> = match &value {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) if o.get("items").is_some_and(Value::is_array) => {
            o["items"].as_array().into_iter().flatten().collect()
        }
        v => vec![v],
    };
    let mut header: Vec<String> = Vec::new();
    let flat: Vec<Vec<(String, String)>> = items
        .iter()
        .map(|v| {
            let mut cells = Vec::new();
            flatten("", v, &mut cells);
            cells
        })
        .collect();
    for (k, _) in flat.iter().flatten() {
        if !header.contains(k) {
            header.push(k.clone());
        }
    }
    let rows: Vec<Vec<String>> = flat
        .iter()
        .map(|cells| {
            header
                .iter()
                .map(|h| {
                    cells
                        .iter()
                        .find(|(k, _)| k == h)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    csv_rows(&header, &rows)
}

/// `v` as (field, cell) pairs: objects by dotted path, a list of plain values joined by
/// `;`, any other list as its JSON.
fn flatten(path: &str, v: &Value, out: &mut Vec<(String, String)>) {
    let key = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                flatten(&key(k), v, out);
            }
        }
        Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => {
            let cells: Vec<String> = a.iter().map(scalar).collect();
            out.push((path.to_string(), cells.join(";")));
        }
        other => out.push((path.to_string(), scalar(other))),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A progress bar of `len` steps on standard error, labelled `what`; hidden when standard
/// error is not a terminal, so that scripts and logs get the summary only.
pub fn progress(len: u64, what: &'static str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what);
    bar
}

/// The value as pretty JSON, with a final newline.
pub fn json<T: Serialize + ?Sized>(v: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(v)? + "\n")
}

/// A value from the server, made safe for a terminal: control characters (escape
/// sequences, newlines that would break a row) become U+FFFD.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

/// What a list shows of each item: a column's header and how a row shows it, per column.
pub type Columns<T> = [(&'static str, fn(&T) -> String)];

pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Self {
        Self {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    /// A row for each of `items`, made by `columns`.
    pub fn of<T>(columns: &Columns<T>, items: &[keyward_client::Open<T>]) -> Self {
        Self::rows(columns, items.iter().map(|item| &**item))
    }

    /// [`Table::of`] for items that are not the server's open answers.
    pub fn rows<'a, T: 'a>(columns: &Columns<T>, items: impl IntoIterator<Item = &'a T>) -> Self {
        let headers: Vec<_> = columns.iter().map(|(header, _)| *header).collect();
        let mut t = Self::new(&headers);
        for item in items {
            t.row(columns.iter().map(|(_, cell)| cell(item)).collect());
        }
        t
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.headers.len());
        self.rows.push(cells.iter().map(|c| clean(c)).collect());
    }

    /// The table as CSV: the same columns and rows.
    pub fn csv(&self) -> anyhow::Result<String> {
        csv_rows(&self.headers, &self.rows)
    }

    pub fn render(&self) -> String {
        let width = |s: &str| s.chars().count();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        let line = |cells: &mut dyn Iterator<Item = &str>| {
            let mut s = String::new();
            for (i, (cell, w)) in cells.zip(&widths).enumerate() {
                if i > 0 {
                    s.push_str("  ");
                }
                s.push_str(cell);
                s.extend(std::iter::repeat_n(' ', w - width(cell)));
            }
            s.truncate(s.trim_end().len());
            s.push('\n');
            s
        };
        let mut out = line(&mut self.headers.iter().copied());
        for row in &self.rows {
            out.push_str(&line(&mut row.iter().map(String::as_str)));
        }
        out
    }
}

/// A list page: the table, or a sentence when it is empty, and a hint when more pages
/// exist.
pub fn page_text<T>(table: &Table, what: &str, p: &keyward_client::Page<T>) -> String {
    let (shown, total, page, per_page) = (p.items.len(), p.total, p.page, p.per_page);
    if shown == 0 {
        return if total > 0 {
            format!("No {what} on page {page} ({total} in all).\n")
        } else {
            format!("No {what}.\n")
        };
    }
    let mut out = table.render();
    let first = i64::from(page - 1) * i64::from(per_page);
    if first + (shown as i64) < total || page > 1 {
        out.push_str(&format!(
            "\n{}-{} of {total} {what}",
            first + 1,
            first + shown as i64
        ));
        if first + (shown as i64) < total {
            out.push_str(&format!("; see more with --page {}", page + 1));
        }
        out.push('\n');
    }
    out
}

/// `key: value` lines with the values aligned.
#[derive(Default)]
pub struct Fields(Vec<(&'static str, String)>);

impl Fields {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, key: &'static str, value: impl Into<String>) -> &mut Self {
        self.0.push((key, clean(&value.into())));
        self
    }

    pub fn render(&self) -> String {
        let w = self
            .0
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        self.0
            .iter()
            .map(|(k, v)| {
                let pad = w - k.chars().count();
                format!("{k}:{} {v}", " ".repeat(pad))
                    .trim_end()
                    .to_string()
                    + "\n"
            })
            .collect()
    }
}

/// What a reveal prints: the secret of `what` (e.g. `token 01J…`) and that it was audited.
pub fn revealed(what: &str, secret: &keyward_client::Secret) -> String {
    format!(
        "Secret of {what}:\n\n    {}\n\nThis reveal is recorded in the audit log.\n",
        secret.expose()
    )
}

/// A full timestamp for `key: value` output; `-` when absent.
pub fn when(t: Option<OffsetDateTime>) -> String {
    t.and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "-".into())
}

/// A compact UTC timestamp for table cells; `-` when absent.
pub fn short(t: Option<OffsetDateTime>) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    t.and_then(|t| t.to_offset(time::UtcOffset::UTC).format(&fmt).ok())
        .unwrap_or_else(|| "-".into())
}

pub fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

/// A list for one cell or line, `-` when empty.
pub fn list<T: std::fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        "-".into()
    } else {
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn table_columns_line_up_and_rows_have_no_trailing_spaces() {
        let mut t = Table::new(&["ID", "NAME", "STATUS"]);
        t.row(vec!["1".into(), "ci-deploy".into(), "active".into()]);
        t.row(vec!["22".into(), "x".into(), "-".into()]);
        assert_eq!(
            t.render(),
            "ID  NAME       STATUS\n1   ci-deploy  active\n22  x          -\n"
        );
    }

    #[test]
    fn letters_beyond_ascii_count_as_one_column_and_control_characters_are_replaced() {
        let mut t = Table::new(&["A", "B"]);
        t.row(vec!["Ødegård".into(), "x\x1b[31m".into()]);
        let out = t.render();
        assert_eq!(out, "A        B\nØdegård  x\u{FFFD}[31m\n");
    }

    #[test]
    fn csv_quotes_what_needs_it_and_flattens_one_object_into_one_line() {
        let mut t = Table::new(&["ID", "NAME"]);
        t.row(vec!["1".into(), "a, \"b\"".into()]);
        assert_eq!(t.csv().unwrap(), "ID,NAME\n1,\"a, \"\"b\"\"\"\n");
        let v =
            serde_json::json!({"id": 1, "none": null, "tags": ["a", "b"], "user": {"name": "x"}});
        assert_eq!(csv_of(&v).unwrap(), "id,none,tags,user.name\n1,,a;b,x\n");
        let page = serde_json::json!({"items": [{"id": 1}, {"id": 2, "extra": true}], "total": 2});
        assert_eq!(csv_of(&page).unwrap(), "id,extra\n1,\n2,true\n");
    }

    #[test]
    fn fields_align_their_values() {
        let mut f = Fields::new();
        f.add("id", "1").add("user type", "Reader").add("note", "");
        assert_eq!(f.render(), "id:        1\nuser type: Reader\nnote:\n");
    }

    #[test]
    fn a_page_that_is_not_all_says_how_to_see_more() {
        let mut t = Table::new(&["ID"]);
        t.row(vec!["a".into()]);
        t.row(vec!["b".into()]);
        let page = |items: Vec<u8>, total, per_page| keyward_client::Page {
            items,
            total,
            page: 1,
            per_page,
        };
        let out = page_text(&t, "tokens", &page(vec![1, 2], 5, 2));
        assert!(
            out.ends_with("\n1-2 of 5 tokens; see more with --page 2\n"),
            "{out}"
        );
        assert_eq!(
            page_text(&t, "tokens", &page(vec![1, 2], 2, 50)),
            t.render()
        );
        assert_eq!(
            page_text(&t, "tokens", &page(vec![], 0, 50)),
            "No tokens.\n"
        );
    }

    #[test]
    fn timestamps_print_in_full_or_short_utc() {
        let t = datetime!(2026-03-04 05:06:07 +02:00);
        assert_eq!(when(Some(t)), "2026-03-04T05:06:07+02:00");
        assert_eq!(short(Some(t)), "2026-03-04 03:06");
        assert_eq!(when(None), "-");
    }
}
