//! `tensorfleet chain ...`: read from and act on a Subtensor chain, as the operator would.
//!
//! Argument parsing and key loading live here; what each command does is in [`commands`],
//! written over `&dyn Chain` and an output writer so it can run against any Chain.

pub mod commands;
mod keyfile;
pub mod output;

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

use crate::api::{parse_tao, Network};
use crate::chain::client::{ConnectOptions, SubxtChain};
use crate::chain::AccountId;

pub use output::Format;

#[derive(Args, Debug)]
pub struct ChainArgs {
    /// Network whose default endpoint is used when no --endpoint is given.
    #[arg(long, global = true, default_value = "finney", value_parser = parse_network)]
    pub network: Network,
    /// Endpoint URL (ws:// or wss://); repeat for failover, tried in order.
    #[arg(long = "endpoint", global = true, value_name = "URL")]
    pub endpoints: Vec<String>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub output: Format,
    #[command(subcommand)]
    pub command: ChainCommand,
}

#[derive(Subcommand, Debug)]
pub enum ChainCommand {
    /// Subnet parameters and neuron count.
    Info {
        #[arg(long)]
        netuid: u16,
    },
    /// One hotkey's registration and figures on a subnet.
    Neuron {
        #[arg(long)]
        netuid: u16,
        #[arg(long, value_name = "SS58")]
        hotkey: String,
    },
    /// Register a hotkey by burn, capped by --max-burn (dry run unless --yes).
    Register(RegisterArgs),
    /// Add or remove stake (dry run unless --yes).
    Stake {
        #[command(subcommand)]
        action: StakeAction,
    },
    /// Publish the hotkey's axon endpoint (dry run unless --yes).
    ServeAxon(ServeAxonArgs),
    /// Let a proxy key register or stake for this coldkey: Proxy.add_proxy (dry run unless --yes).
    Proxy(ProxyArgs),
    /// Send TAO from the coldkey, e.g. to a proxy key for its fees (dry run unless --yes).
    Transfer(TransferArgs),
}

#[derive(Args, Debug)]
pub struct ColdkeyArgs {
    /// btcli coldkey file; the coldkey signs (a proxy cannot).
    #[arg(long, value_name = "FILE")]
    pub coldkey_file: PathBuf,
    /// Environment variable holding the password of an encrypted key file.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Submit. Without it, print what would be signed and stop.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Args, Debug)]
pub struct ProxyArgs {
    /// The proxy key (the operator's `proxy-mnemonic`/`proxy-seed`), SS58.
    #[arg(long, value_name = "SS58")]
    pub delegate: String,
    /// Registration, Staking or Any.
    #[arg(long = "type", value_name = "TYPE")]
    pub proxy_type: String,
    /// Remove the definition instead (Proxy.remove_proxy).
    #[arg(long)]
    pub remove: bool,
    #[command(flatten)]
    pub coldkey: ColdkeyArgs,
}

#[derive(Args, Debug)]
pub struct TransferArgs {
    #[arg(long, value_name = "SS58")]
    pub to: String,
    /// TAO, decimal.
    #[arg(long, value_name = "TAO", value_parser = parse_tao_arg)]
    pub amount: u64,
    #[command(flatten)]
    pub coldkey: ColdkeyArgs,
}

#[derive(Args, Debug)]
pub struct SignerArgs {
    /// btcli coldkey file (or the proxy key's file with --proxy-for).
    #[arg(long, value_name = "FILE")]
    pub coldkey_file: PathBuf,
    /// Sign as a proxy (Registration/Staking) of this coldkey; it pays.
    #[arg(long, value_name = "SS58")]
    pub proxy_for: Option<String>,
    /// Environment variable holding the password of encrypted key files.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Submit. Without it, print what would be signed and stop.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Args, Debug)]
pub struct RegisterArgs {
    #[arg(long)]
    pub netuid: u16,
    /// Hotkey file (btcli keyfile or its pub.txt); only the public key is used.
    #[arg(long, value_name = "FILE")]
    pub hotkey_file: PathBuf,
    /// Refuse when the burn is above this many TAO.
    #[arg(long, value_name = "TAO", value_parser = parse_tao_arg)]
    pub max_burn: u64,
    #[command(flatten)]
    pub signer: SignerArgs,
}

#[derive(Subcommand, Debug)]
pub enum StakeAction {
    /// Stake TAO onto a hotkey.
    Add(StakeArgs),
    /// Unstake alpha from a hotkey.
    Remove(StakeArgs),
}

#[derive(Args, Debug)]
pub struct StakeArgs {
    #[arg(long)]
    pub netuid: u16,
    #[arg(long, value_name = "SS58")]
    pub hotkey: String,
    /// Amount (TAO to stake, alpha to unstake), decimal.
    #[arg(long, value_name = "AMOUNT", value_parser = parse_tao_arg)]
    pub amount: u64,
    /// Refuse (on chain, SlippageTooHigh) when the price moves more than this from now.
    #[arg(long, value_name = "PERCENT", default_value_t = 1.0)]
    pub max_slippage_percent: f64,
    #[command(flatten)]
    pub signer: SignerArgs,
}

#[derive(Args, Debug)]
pub struct ServeAxonArgs {
    #[arg(long)]
    pub netuid: u16,
    /// Hotkey file with the secret key (the hotkey signs serve_axon).
    #[arg(long, value_name = "FILE")]
    pub hotkey_file: PathBuf,
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    #[arg(long)]
    pub ip: IpAddr,
    #[arg(long)]
    pub port: u16,
    #[arg(long, default_value_t = 0)]
    pub version: u32,
    #[arg(long)]
    pub yes: bool,
}

fn parse_network(s: &str) -> Result<Network, String> {
    match s {
        "finney" => Ok(Network::Finney),
        "test" => Ok(Network::Test),
        "local" => Ok(Network::Local),
        _ => Err(format!("unknown network {s:?} (finney, test, local)")),
    }
}

fn parse_tao_arg(s: &str) -> Result<u64, String> {
    parse_tao(s).map_err(|e| e.0)
}

pub fn parse_ss58(s: &str) -> anyhow::Result<AccountId> {
    AccountId::from_ss58(s).with_context(|| format!("invalid SS58 address {s:?}"))
}

pub async fn run(args: ChainArgs) -> anyhow::Result<()> {
    let endpoints = if args.endpoints.is_empty() {
        vec![args.network.default_endpoint().to_string()]
    } else {
        args.endpoints.clone()
    };
    let chain = SubxtChain::new(endpoints, ConnectOptions::default())?;
    let mut out = std::io::stdout().lock();
    let fmt = args.output;
    match args.command {
        ChainCommand::Info { netuid } => commands::info(&chain, netuid, fmt, &mut out).await,
        ChainCommand::Neuron { netuid, hotkey } => {
            let hotkey = parse_ss58(&hotkey)?;
            commands::neuron(&chain, netuid, &hotkey, fmt, &mut out).await
        }
        ChainCommand::Register(a) => {
            let hotkey = keyfile::public_key(&a.hotkey_file, a.signer.password_env.as_deref())?;
            let signer = keyfile::signer(&a.signer)?;
            let req = commands::RegisterInput {
                netuid: a.netuid,
                hotkey,
                max_burn_rao: a.max_burn,
                signer: &signer,
                submit: a.signer.yes,
            };
            commands::register(&chain, &req, fmt, &mut out).await
        }
        ChainCommand::Stake { action } => {
            let (add, a) = match action {
                StakeAction::Add(a) => (true, a),
                StakeAction::Remove(a) => (false, a),
            };
            let signer = keyfile::signer(&a.signer)?;
            let req = commands::StakeInput {
                add,
                netuid: a.netuid,
                hotkey: parse_ss58(&a.hotkey)?,
                amount_rao: a.amount,
                max_slippage_percent: a.max_slippage_percent,
                signer: &signer,
                submit: a.signer.yes,
            };
            commands::stake(&chain, &req, fmt, &mut out).await
        }
        ChainCommand::ServeAxon(a) => {
            let hotkey = keyfile::keypair(&a.hotkey_file, a.password_env.as_deref())?;
            let req = commands::ServeInput {
                netuid: a.netuid,
                hotkey: &hotkey,
                ip: a.ip,
                port: a.port,
                version: a.version,
                submit: a.yes,
            };
            commands::serve_axon(&chain, &req, fmt, &mut out).await
        }
        ChainCommand::Proxy(a) => {
            let action = commands::AccountAction::Proxy {
                delegate: parse_ss58(&a.delegate)?,
                proxy_type: a.proxy_type.clone(),
                remove: a.remove,
            };
            let key = keyfile::keypair(&a.coldkey.coldkey_file, a.coldkey.password_env.as_deref())?;
            commands::account(&chain, &key, &action, a.coldkey.yes, fmt, &mut out).await
        }
        ChainCommand::Transfer(a) => {
            let action = commands::AccountAction::Transfer {
                to: parse_ss58(&a.to)?,
                amount_rao: a.amount,
            };
            let key = keyfile::keypair(&a.coldkey.coldkey_file, a.coldkey.password_env.as_deref())?;
            commands::account(&chain, &key, &action, a.coldkey.yes, fmt, &mut out).await
        }
    }
}

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &[Format::Human, Format::Json]
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(match self {
            Format::Human => "human",
            Format::Json => "json",
        }))
    }
}
