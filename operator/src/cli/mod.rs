//! Placeholder until this module lands; replaced by its owner.

#[derive(clap::Args, Debug)]
pub struct ChainArgs {}

pub async fn run(_args: ChainArgs) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
