//! docs/configuration.md, generated: the flags and environment variables come from the
//! clap command the binary parses, the file keys from the config file's parser, so the
//! reference cannot drift from what keyward reads (tests/packaging.rs compares the two).

use crate::{client_cli, config};
use clap::{Arg, ArgAction, Command};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The one command that rewrites the reference; the up-to-date test names it too.
pub const REGENERATE: &str = "cargo run -p keyward -- config-reference > docs/configuration.md";

/// The variable that sets the log level (`tracing_subscriber`'s filter syntax).
pub const LOG_ENV: &str = "KEYWARD_LOG";

/// The whole reference as Markdown, for `keyward config-reference`.
pub fn render(cli: &Command) -> String {
    let mut cli = cli.clone();
    // Building propagates the global client options to every subcommand.
    cli.build();
    let mut out = format!(
        "# Configuration reference\n\n\
         <!-- Generated from the binary's command line and config-file parser; do not edit.\n     \
         Change the doc comments in crates/keyward/src/ and run:\n     {REGENERATE} -->\n\n\
         `keyward serve` takes each setting from a flag, a `KEYWARD_*` environment variable, \
         or the TOML file named by `--config` (its keys are the long flags with `_`). A flag \
         wins over its variable, both win over the file, and the file wins over the default. \
         The [README](../README.md#configuration) says more about what each setting is for.\n"
    );
    serve_section(&mut out, subcommand(&cli, "serve"));
    let bootstrap = subcommand(&cli, "bootstrap");
    section(
        &mut out,
        "`keyward bootstrap`",
        "Creates a tenant and its first administrator. It opens storage as `serve` does, \
         from the same `--config`, `--data-dir` and `--database-url`.",
        &["flag", "environment", "default", "meaning"],
        args(bootstrap).map(|a| {
            let (meaning, default) = meaning_and_default(a);
            vec![flag(a), env(a), default, meaning]
        }),
    );
    let completions = subcommand(&cli, "completions");
    section(
        &mut out,
        "`keyward completions`",
        &sentence(text(completions.get_about())),
        &["argument", "default", "meaning"],
        args(completions).map(|a| {
            let (meaning, default) = meaning_and_default(a);
            vec![flag(a), default, meaning]
        }),
    );
    client_section(&mut out, &cli);
    let secrets = client_cli::SECRET_ENV
        .iter()
        .map(|(name, meaning)| vec![code(name), "client commands".into(), cell(meaning)]);
    let log = vec![
        code(LOG_ENV),
        "`serve`".into(),
        "The log level, e.g. `info` (the default) or `keyward_server=debug`; the format \
         is `--log-format`."
            .into(),
    ];
    section(
        &mut out,
        "Environment only",
        "These variables have no flag: secrets stay out of `ps`.",
        &["environment", "read by", "meaning"],
        secrets.chain([log]),
    );
    out
}

/// `serve`: one row per flag with its file key, then the file keys that have no flag.
/// Panics when a file key has neither, so a new key cannot go undocumented.
fn serve_section(out: &mut String, serve: &Command) {
    let keys = config::file_keys();
    let mut documented = Vec::new();
    let mut rows = Vec::new();
    for a in args(serve) {
        let key = a.get_long().map(|l| l.replace('-', "_"));
        let key = key.filter(|k| keys.contains(&k.as_str()));
        documented.extend(key.clone());
        let (meaning, default) = meaning_and_default(a);
        rows.push(vec![
            flag(a),
            env(a),
            key.map_or(String::new(), |k| code(&k)),
            default,
            meaning,
        ]);
    }
    for k in config::FILE_ONLY_KEYS {
        assert!(
            keys.contains(&k.key),
            "FILE_ONLY_KEYS names {:?}, which the file parser does not read",
            k.key
        );
        documented.push(k.key.to_string());
        rows.push(vec![
            String::new(),
            k.env.map_or(String::new(), code),
            code(k.key),
            cell(k.default),
            cell(k.meaning),
        ]);
    }
    for key in keys {
        assert!(
            documented.iter().any(|d| d == key),
            "the config file key {key:?} has no `serve` flag of its name and no entry in config::FILE_ONLY_KEYS"
        );
    }
    section(
        out,
        "`keyward serve`",
        &sentence(text(serve.get_about())),
        &["flag", "environment", "file key", "default", "meaning"],
        rows,
    );
}

/// The options of the client commands that a variable can set, or that every command
/// takes, with the commands that read each.
fn client_section(out: &mut String, cli: &Command) {
    let names: Vec<String> =
        <client_cli::ClientCommand as clap::Subcommand>::augment_subcommands(Command::new("x"))
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .collect();
    let mut found: BTreeMap<String, (Arg, Vec<&str>)> = BTreeMap::new();
    for name in &names {
        let mut stack = vec![subcommand(cli, name)];
        while let Some(cmd) = stack.pop() {
            stack.extend(cmd.get_subcommands());
            for a in args(cmd).filter(|a| a.get_env().is_some() || a.is_global_set()) {
                let (_, readers) = found
                    .entry(flag(a))
                    .or_insert_with(|| (a.clone(), Vec::new()));
                if !readers.contains(&name.as_str()) {
                    readers.push(name);
                }
            }
        }
    }
    section(
        out,
        "Client commands",
        "The commands that call a running server (`token`, `user`, `verify`, …) share \
         these options; each may also follow the subcommand.",
        &["flag", "environment", "default", "read by", "meaning"],
        found.values().map(|(a, readers)| {
            let (meaning, default) = meaning_and_default(a);
            let readers = if readers.len() == names.len() {
                "every client command".to_string()
            } else {
                readers
                    .iter()
                    .map(|r| code(r))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            vec![flag(a), env(a), default, readers, meaning]
        }),
    );
}

fn section(
    out: &mut String,
    title: &str,
    intro: &str,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) {
    let _ = write!(
        out,
        "\n## {title}\n\n{intro}\n\n| {} |\n|",
        header.join(" | ")
    );
    out.push_str(&" --- |".repeat(header.len()));
    out.push('\n');
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
}

fn subcommand<'a>(cli: &'a Command, name: &str) -> &'a Command {
    cli.find_subcommand(name)
        .unwrap_or_else(|| panic!("keyward has no subcommand {name:?}"))
}

/// The arguments a user can give: clap's own `--help` and `--version` left out.
fn args(cmd: &Command) -> impl Iterator<Item = &Arg> {
    cmd.get_arguments().filter(|a| {
        !a.is_hide_set() && !matches!(a.get_action(), ArgAction::Help | ArgAction::Version)
    })
}

/// How the argument is written: `--listen LISTEN`, `--single-tenant[=BOOL]`, `SHELL`.
fn flag(a: &Arg) -> String {
    let value = a
        .get_value_names()
        .map(|v| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| a.get_id().as_str().to_uppercase());
    let Some(long) = a.get_long() else {
        return code(&value);
    };
    if !a.get_action().takes_values() {
        code(&format!("--{long}"))
    } else if a.get_num_args().is_some_and(|n| n.min_values() == 0) {
        code(&format!("--{long}[={value}]"))
    } else {
        code(&format!("--{long} {value}"))
    }
}

fn env(a: &Arg) -> String {
    a.get_env()
        .map_or(String::new(), |e| code(&e.to_string_lossy()))
}

/// The doc comment without its `[default: …]`, and the default: that note, clap's own
/// default value, `off` for a switch, or `none`.
fn meaning_and_default(a: &Arg) -> (String, String) {
    let mut help = text(a.get_long_help().or(a.get_help()));
    let values: Vec<String> = a
        .get_possible_values()
        .iter()
        .map(|v| v.get_name().to_string())
        .collect();
    let mut default = None;
    if let Some(start) = help.rfind("[default: ").filter(|_| help.ends_with(']')) {
        default = Some(help[start + 10..help.len() - 1].to_string());
        help = help[..start].trim_end().to_string();
    }
    help = sentence(help);
    if !values.is_empty() && values != ["true", "false"] {
        let listed = values
            .iter()
            .map(|v| code(v))
            .collect::<Vec<_>>()
            .join(", ");
        help = format!("{help} One of {listed}.");
    }
    let switch = matches!(a.get_action(), ArgAction::SetTrue).then(|| "off".to_string());
    let default = default
        .or(switch)
        .or_else(|| {
            let d: Vec<_> = a
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy())
                .collect();
            (!d.is_empty()).then(|| d.join(","))
        })
        .unwrap_or_else(|| "none".into());
    // A literal value is code; prose ("the number of CPUs") and `none` stay text.
    let default = if default == "none" || default.contains(char::is_whitespace) {
        cell(&default)
    } else {
        code(&default)
    };
    (cell(&help), default)
}

fn text(s: Option<&clap::builder::StyledStr>) -> String {
    s.map(|s| s.to_string()).unwrap_or_default()
}

/// clap derive drops the period that ends a one-paragraph doc comment.
fn sentence(mut s: String) -> String {
    if !s.is_empty() && !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// Table cells are one line, and `|` would end the cell.
fn cell(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn code(s: &str) -> String {
    format!("`{}`", cell(s))
}
