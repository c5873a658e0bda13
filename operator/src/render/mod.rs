//! Placeholder until this module lands; replaced by its owner.

#[derive(clap::Args, Debug)]
pub struct RenderArgs {}

pub fn run(_args: RenderArgs) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
