//! `keyward verifier-key …`: the keys protected services send with their checks.

use super::output::{self, Columns, Fields};
use super::{Ctx, Paging, Relabel};
use clap::{Args, Subcommand};
use keyward_client::Name;
use keyward_client::{
    CreateVerifierKey, UpdateVerifierKey, VerifierKey, VerifierKeyId, VerifierKeyQuery,
    VerifierKeys,
};

#[derive(Subcommand)]
pub enum VerifierKeyCommand {
    /// Create a verifier key for a protected service. Prints the key, once.
    Create {
        /// Name it after the service that will send it.
        name: Name,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List this tenant's verifier keys.
    List(ListArgs),
    /// Show a verifier key (never its secret).
    Show { id: VerifierKeyId },
    /// Rename or describe a verifier key.
    Update {
        id: VerifierKeyId,
        #[command(flatten)]
        labels: Relabel,
    },
    /// Delete a verifier key: the service holding it can no longer ask checks.
    Delete { id: VerifierKeyId },
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    paging: Paging,
}

pub async fn run(ctx: &Ctx, cmd: VerifierKeyCommand) -> anyhow::Result<()> {
    let c = &ctx.client;
    match cmd {
        VerifierKeyCommand::Create { name, description } => {
            let k = c
                .create::<VerifierKeys>(&CreateVerifierKey { name, description })
                .await?;
            ctx.print(&k, || {
                format!(
                    "Created verifier key {:?}.\n\nThis key is shown only once: store it now, it cannot be seen \
                     again.\n\n    {}\n\nThe service sends it with each check:  Authorization: Bearer <key>\n\
                     (on POST /api/v1/verify, or as the client credential of /oauth2/introspect).\n\n{}",
                    k.key.name,
                    k.token.expose(),
                    fields(&k.key)
                )
            })
        }
        VerifierKeyCommand::List(a) => {
            let q = a.paging.of(VerifierKeyQuery::default());
            let columns: &Columns<VerifierKey> = &[
                ("ID", |k| k.id.to_string()),
                ("NAME", |k| k.name.clone()),
                ("HINT", |k| k.hint.clone()),
                ("CREATED", |k| output::short(Some(k.created_at))),
            ];
            ctx.list::<VerifierKeys>(&q, "verifier keys", columns).await
        }
        VerifierKeyCommand::Show { id } => ctx.show::<VerifierKeys>(id, fields).await,
        VerifierKeyCommand::Update { id, labels } => {
            let up = UpdateVerifierKey {
                name: labels.name,
                description: labels.description,
            };
            let k = c.update::<VerifierKeys>(id, &up).await?;
            ctx.print(&k, || fields(&k))
        }
        VerifierKeyCommand::Delete { id } => {
            let text = format!("Deleted verifier key {id}: it can no longer ask checks.\n");
            ctx.delete::<VerifierKeys>(id, text).await
        }
    }
}

fn fields(k: &VerifierKey) -> String {
    let mut f = Fields::new();
    f.add("id", k.id.to_string())
        .add("name", &k.name)
        .add("hint", &k.hint)
        .add("tenant", k.tenant_id.to_string())
        .add("created at", output::when(Some(k.created_at)));
    if !k.description.is_empty() {
        f.add("description", output::clean(&k.description));
    }
    f.render()
}
