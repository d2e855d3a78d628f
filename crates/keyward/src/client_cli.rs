//! Client subcommands (filled in by the client work).
use clap::Subcommand;

#[derive(Subcommand)]
pub enum ClientCommand {}

pub async fn run(cmd: ClientCommand) -> anyhow::Result<()> {
    match cmd {}
}
