//! Placeholder until this module lands; replaced by its owner.

#[derive(clap::Args, Debug)]
pub struct AgentArgs {}

pub async fn run(_args: AgentArgs) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
