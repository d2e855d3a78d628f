//! What ships beside the binary: the configuration reference it generates, its shell
//! completions, the systemd unit in docs/ and the Dockerfile.

use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_keyward");

/// The binary with none of the caller's `KEYWARD_*` variables.
fn keyward(args: &[&str]) -> Output {
    keyward_testkit::command(BIN)
        .args(args)
        .output()
        .expect("run keyward")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "keyward failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo_file(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// The words of `text` that start with `prefix` and go on: `--listen`, `KEYWARD_LOG`.
fn words(text: &str, prefix: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| w.starts_with(prefix) && w.len() > prefix.len())
        .map(str::to_string)
        .collect()
}

#[test]
fn docs_configuration_md_is_what_the_binary_generates() {
    let generated = stdout(&keyward(&["config-reference"]));
    // A missing file is out of date too, with the same advice.
    let committed = std::fs::read_to_string(repo_file("docs/configuration.md")).unwrap_or_default();
    if generated != committed {
        let (line, (ours, theirs)) = generated
            .lines()
            .chain(std::iter::repeat(""))
            .zip(committed.lines().chain(std::iter::repeat("")))
            .enumerate()
            .find(|(_, (g, c))| g != c)
            .unwrap_or((0, ("", "")));
        panic!(
            "docs/configuration.md is out of date (line {}: generated {ours:?}, committed \
             {theirs:?}). Regenerate it with:\n    \
             cargo run -p keyward -- config-reference > docs/configuration.md",
            line + 1
        );
    }
}

#[test]
fn the_reference_names_every_flag_of_serve_and_every_keyward_variable() {
    let reference = stdout(&keyward(&["config-reference"]));
    let help = stdout(&keyward(&["serve", "--help"]));
    let flags = words(&help, "--");
    assert!(
        flags.len() > 20,
        "too few flags in `serve --help`: {flags:?}"
    );
    for flag in flags.iter().filter(|f| *f != "--help") {
        assert!(reference.contains(&format!("`{flag}")), "{flag} is missing");
    }
    // Every variable the binary reads is in its source as a string literal.
    let source: String = [
        "main.rs",
        "reference.rs",
        "config.rs",
        "client_cli.rs",
        "client_cli/verify.rs",
    ]
    .iter()
    .map(|f| read(&format!("crates/keyward/src/{f}")))
    .collect();
    for var in words(&source, "KEYWARD_") {
        assert!(reference.contains(&format!("`{var}`")), "{var} is missing");
    }
}

#[test]
fn completions_name_the_real_subcommands_in_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout(&keyward(&["completions", shell]));
        for word in ["serve", "bootstrap", "token", "verifier-key", "data-dir"] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
    }
}

#[test]
fn an_unknown_shell_is_refused_with_the_shells_there_are() {
    let out = keyward(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid value 'tcsh'"), "{err}");
    assert!(
        err.contains("bash") && err.contains("zsh") && err.contains("fish"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

/// `systemd-analyze verify` on docs/keyward.service, with the unit's binary path pointed at
/// the one under test (verify insists that it exists).
#[test]
fn the_systemd_unit_passes_systemd_analyze_verify() {
    let Ok(found) = Command::new("systemd-analyze").arg("--version").output() else {
        println!("skipped: systemd-analyze is not installed (Debian: apt-get install systemd)");
        return;
    };
    assert!(found.status.success());
    let unit = read("docs/keyward.service");
    assert!(
        unit.contains("ExecStart=/usr/local/bin/keyward serve"),
        "{unit}"
    );
    let dir = keyward_testkit::Dir::new("unit");
    let path = dir.0.join("keyward.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/keyward", BIN)).expect("write the unit");
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("run systemd-analyze");
    let said =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.trim().is_empty(),
        "systemd-analyze verify: {said}"
    );
}

#[test]
fn the_unit_runs_serve_with_flags_keyward_has() {
    let unit = read("docs/keyward.service");
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart=/usr/local/bin/keyward "))
        .expect("the unit's ExecStart");
    // clap reads every flag, and parses its value, before it acts on the final --help.
    let mut args: Vec<&str> = exec.split_whitespace().collect();
    args.push("--help");
    stdout(&keyward(&args));
    let bootstrap = unit
        .lines()
        .find_map(|l| {
            l.trim_start_matches(['#', ' '])
                .strip_prefix("/usr/local/bin/keyward bootstrap ")
        })
        .expect("the unit's bootstrap line");
    let mut args = vec!["bootstrap"];
    args.extend(bootstrap.split_whitespace());
    args.push("--help");
    stdout(&keyward(&args));
}

/// The image cannot be built here (no image registry), so its settings are checked
/// against the binary: the variables it sets exist, and its port is the one it listens on.
#[test]
fn the_image_sets_variables_keyward_reads_and_checks_the_port_it_listens_on() {
    let docker = read("Dockerfile");
    assert!(
        docker.contains("ENTRYPOINT [\"/usr/local/bin/keyward\"]\nCMD [\"serve\"]"),
        "{docker}"
    );
    let reference = stdout(&keyward(&["config-reference"]));
    for var in words(&docker, "KEYWARD_") {
        assert!(
            reference.contains(&format!("`{var}`")),
            "the Dockerfile names {var}, which keyward does not read"
        );
    }
    let listen = docker
        .split_whitespace()
        .find_map(|w| w.strip_prefix("KEYWARD_LISTEN="))
        .expect("the image sets KEYWARD_LISTEN");
    let port = listen
        .parse::<std::net::SocketAddr>()
        .expect("an address")
        .port();
    assert!(
        docker.contains(&format!("EXPOSE {port}\n")),
        "EXPOSE is not {port}"
    );
    assert!(
        docker.contains(&format!("\"http://127.0.0.1:{port}/healthz\"")),
        "the health check does not ask /healthz on port {port}"
    );
    assert!(docker.contains("ENV KEYWARD_DATA_DIR=/data") && docker.contains("VOLUME /data"));
    let ignored = read(".dockerignore");
    assert!(ignored.lines().any(|l| l == "target/"), "{ignored}");
}
