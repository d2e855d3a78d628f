//! `keyward`: the server (`serve`), first-start set-up (`bootstrap`), and client commands
//! that call a running server.

mod client_cli;
mod config;
mod reference;

use clap::{CommandFactory, Parser, Subcommand};
use keyward_core::text::{TenantName, Username};
use std::io::Read;
use std::process::ExitCode;

/// mimalloc rather than glibc's allocator: see BENCHMARKS.md ("Memory").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "keyward", version, about = "Self-hosted API token management server", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(config::ServeArgs),
    /// Create a tenant and its first administrator, and print an administrator API token.
    Bootstrap(BootstrapArgs),
    #[command(flatten)]
    Client(client_cli::ClientCommand),
    /// Print a completion script for a shell, e.g. `keyward completions bash >
    /// /etc/bash_completion.d/keyward`.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the configuration reference (docs/configuration.md, in Markdown): every
    /// flag, environment variable and config-file key, with its default.
    ConfigReference,
}

#[derive(clap::Args)]
struct BootstrapArgs {
    #[command(flatten)]
    storage: config::ServerArgs,
    /// Name of the tenant to create.
    #[arg(long)]
    tenant: String,
    /// Username of the first administrator.
    #[arg(long)]
    admin: String,
    /// Read the administrator's console password from standard input.
    #[arg(long)]
    password_stdin: bool,
    /// Print {"tenant_id", "user_id", "token", "expires_at"} as JSON.
    #[arg(long)]
    json: bool,
}

/// The server's memory settings, made before any thread starts (BENCHMARKS.md, "Memory
/// with a million tokens"): with a million tokens cached, each of these held 8–14 MB of
/// resident memory that nothing used.
///
/// - Transparent huge pages off for the process: mimalloc asks for them on its arenas,
///   and a 2 MB page is resident as a whole once one of its bytes is used; a cache of
///   small answers, some freed and others kept, leaves many such pages partly used. The
///   checks were no slower with 4 kB pages (100,000 tokens, three alternating rounds).
/// - One glibc heap: only SQLite allocates from glibc's `malloc` (Rust's allocations go to
///   mimalloc), from a thread per connection, and each thread got a heap of its own
///   holding freed page-cache memory; they are not the hot path, so sharing one lock
///   costs nothing a check notices.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_memory() {
    // SAFETY: both calls take plain integers and touch no memory of ours; `mallopt` runs
    // before any other thread exists. A failure of either leaves the default in place.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if matches!(cli.command, Command::Serve(_)) {
        tune_memory();
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::Bootstrap(args) => bootstrap(args).await,
            Command::Client(cmd) => client_cli::run(cmd).await,
            // These two print text made from the command line's own definition.
            Command::Completions { shell } => {
                let out = &mut std::io::stdout();
                clap_complete::generate(shell, &mut Cli::command(), "keyward", out);
                Ok(())
            }
            Command::ConfigReference => {
                print!("{}", reference::render(&Cli::command()));
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env(reference::LOG_ENV).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(args: config::ServeArgs) -> anyhow::Result<()> {
    let resolved = config::resolve(&args)?;
    init_logging(&resolved.log_format);
    let listen = resolved.server.listen;
    let app = keyward_server::App::build(resolved.server).await?;
    if args.demo {
        match keyward_server::bootstrap::demo(&app.state)
            .await
            .map_err(|e| anyhow::anyhow!("demo: {e}"))?
        {
            Some(b) => println!(
                "Demo tenant \"demo\" created. Console login: admin / keyward-demo\n\
                 Administrator API token (shown only once):\n{}\n",
                b.token.expose()
            ),
            None => println!("Demo tenant \"demo\" already exists; its data is unchanged."),
        }
    }
    if app
        .state
        .store
        .list_tenants()
        .await
        .map(|t| t.is_empty())
        .unwrap_or(false)
    {
        eprintln!(
            "No tenant exists yet. Create one and its first administrator with:\n  \
             keyward bootstrap --data-dir {} --tenant NAME --admin USERNAME",
            app.state.config.data_dir.display()
        );
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let bound = listener.local_addr()?;
    tracing::info!(address = %bound, "keyward is listening");
    eprintln!("keyward is listening on http://{bound}");
    app.serve(listener, keyward_server::shutdown_signal()).await
}

async fn bootstrap(args: BootstrapArgs) -> anyhow::Result<()> {
    let tenant = TenantName::parse(&args.tenant).map_err(|e| anyhow::anyhow!("--tenant: {e}"))?;
    let admin = Username::parse(&args.admin).map_err(|e| anyhow::anyhow!("--admin: {e}"))?;
    let password_hash = if args.password_stdin {
        let mut pw = String::new();
        std::io::stdin().read_to_string(&mut pw)?;
        let pw = pw.trim_end_matches(['\r', '\n']).to_string();
        Some(
            keyward_server::service::passwords::hash(pw)
                .await
                .map_err(|e| anyhow::anyhow!("password: {e}"))?,
        )
    } else {
        None
    };
    let cfg = config::resolve_storage(&args.storage)?;
    let app = keyward_server::App::build(cfg).await?;
    let b = keyward_server::bootstrap::bootstrap(&app.state, &tenant, &admin, password_hash)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    app.state.store.close().await;
    let expires = b.expires_at.and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    });
    if args.json {
        let out = serde_json::json!({
            "tenant_id": b.tenant_id,
            "user_id": b.user_id,
            "token": b.token.expose(),
            "expires_at": expires,
        });
        println!("{out}");
    } else {
        println!(
            "Created tenant {:?} ({}) with administrator {:?} ({}).",
            tenant.as_str(),
            b.tenant_id,
            admin.as_str(),
            b.user_id
        );
        println!();
        println!("Administrator API token. It is shown only this once; store it now:");
        println!();
        println!("    {}", b.token.expose());
        println!();
        if let Some(e) = expires {
            println!("It expires at {e}. Use it as:  Authorization: Bearer <token>");
        }
        println!();
        if args.password_stdin {
            println!(
                "Console: log in at /console to tenant {:?} as {:?} with the password you gave.",
                tenant.as_str(),
                admin.as_str()
            );
        } else {
            println!(
                "No console password was set. Set one with:  keyward user update {} --password-stdin",
                admin.as_str()
            );
        }
    }
    Ok(())
}
