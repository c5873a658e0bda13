use clap::{Parser, Subcommand};

/// Kubernetes operator for Bittensor neuron fleets.
#[derive(Parser)]
#[command(name = "tensorfleet", version, about)]
struct Cli {
    #[command(flatten)]
    log: tensorfleet::telemetry::LogArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print all CustomResourceDefinitions as multi-document YAML (or write one file each).
    Crds {
        /// Write `subnets.yaml`, `neurons.yaml` and `neuronsets.yaml` into this directory instead.
        #[arg(long, value_name = "DIR")]
        split: Option<std::path::PathBuf>,
    },
    /// Print, offline, every child object the operator would apply for the given manifests.
    Render(tensorfleet::render::RenderArgs),
    /// Run the controller against a cluster.
    Run(tensorfleet::controller::RunArgs),
    /// Read from and act on a Subtensor chain, as an operator would.
    Chain(tensorfleet::cli::ChainArgs),
    /// Run the GPU node agent (a DaemonSet on GPU nodes).
    Agent(tensorfleet::agent::AgentArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tensorfleet::telemetry::init_logging(&cli.log);
    let result = match cli.command {
        Command::Crds { split: None } => {
            print!("{}", tensorfleet::api::crds_yaml());
            Ok(())
        }
        Command::Crds { split: Some(dir) } => tensorfleet::api::write_crds(&dir),
        Command::Render(args) => tensorfleet::render::run(args),
        Command::Run(args) => tensorfleet::controller::run(args).await,
        Command::Chain(args) => tensorfleet::cli::run(args).await,
        Command::Agent(args) => tensorfleet::agent::run(args).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
