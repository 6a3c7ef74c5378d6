//! `andes-local`: run template.yaml on this machine (see `andes-local up --help`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use andes_local::template::{self, StackOptions};
use andes_local::up::{self, UpOptions, LOCAL_ACCOUNT_ID};
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "andes-local",
    about = "The Andes local platform: template.yaml on one machine, no Docker"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the backend, create every resource, serve every API and trigger; Ctrl-C stops.
    Up(UpArgs),
    /// Print every HTTP route of the template with its function and authorizer.
    Routes(StackArgs),
    /// Measure init (exec to first `/next`) and peak RSS of function binaries: median of runs.
    MeasureInit(MeasureArgs),
}

#[derive(Args)]
struct MeasureArgs {
    /// Cold starts per binary.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Variables the binaries need to initialise, NAME=VALUE.
    #[arg(long = "env", value_parser = parse_override)]
    environment: Vec<(String, String)>,
    binaries: Vec<PathBuf>,
}

#[derive(Args)]
struct StackArgs {
    /// The SAM template.
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    /// Template parameters, as `sam deploy --parameter-overrides`: Name=Value ...
    #[arg(long, num_args = 1.., value_parser = parse_override)]
    parameter_overrides: Vec<(String, String)>,
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    #[arg(long, default_value = "andes-local")]
    stack_name: String,
}

#[derive(Args)]
struct UpArgs {
    #[command(flatten)]
    stack: StackArgs,
    /// Port of the API gateway.
    #[arg(long, env = "ANDES_PORT", default_value_t = 3000)]
    port: u16,
    /// Port of the local AWS backend (moto server).
    #[arg(long, env = "ANDES_BACKEND_PORT", default_value_t = 5000)]
    backend_port: u16,
    /// Directory holding the function binaries (`cargo build` output).
    #[arg(long, default_value = "target/debug")]
    target_dir: PathBuf,
    /// Where to write the stack's endpoints, names and demo credentials.
    #[arg(long, default_value = ".andes/local.env")]
    env_file: PathBuf,
    /// Admin processes to run once the stack is up.
    #[arg(long, default_value = "local/setup.yaml")]
    setup: PathBuf,
    /// Skip the setup steps (no permissions, no demo accounts).
    #[arg(long)]
    no_setup: bool,
    /// Concurrent instances per function when the template sets no ReservedConcurrentExecutions.
    #[arg(long, default_value_t = 10)]
    max_instances: u32,
    /// Seconds an instance may stay idle before it is retired (as Lambda retires idle execution
    /// environments; the next call is a cold start). 0 keeps idle instances forever.
    #[arg(long, env = "ANDES_IDLE_TIMEOUT_SECONDS", default_value_t = 300)]
    idle_timeout_seconds: u64,
}

fn parse_override(raw: &str) -> Result<(String, String), String> {
    raw.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected Name=Value, got {raw}"))
}

fn absolute(path: PathBuf) -> PathBuf {
    std::path::absolute(&path).unwrap_or(path)
}

fn stack_options(args: &StackArgs, endpoint: String) -> StackOptions {
    StackOptions {
        stack_name: args.stack_name.clone(),
        region: args.region.clone(),
        account_id: LOCAL_ACCOUNT_ID.to_string(),
        endpoint,
        parameter_overrides: args.parameter_overrides.iter().cloned().collect::<BTreeMap<_, _>>(),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Up(args) => {
            let project_dir = absolute(PathBuf::from("."));
            let options = UpOptions {
                parameter_overrides: stack_options(&args.stack, String::new()).parameter_overrides,
                template: absolute(args.stack.template),
                target_dir: absolute(args.target_dir),
                port: args.port,
                backend_port: args.backend_port,
                region: args.stack.region,
                stack_name: args.stack.stack_name,
                env_file: absolute(args.env_file),
                setup_file: (!args.no_setup).then(|| absolute(args.setup)),
                max_instances: args.max_instances.max(1),
                idle_timeout: (args.idle_timeout_seconds > 0).then(|| Duration::from_secs(args.idle_timeout_seconds)),
                project_dir,
            };
            up::run(options).await.map_err(|e| e.to_string())
        }
        Command::Routes(args) => print_routes(&args),
        Command::MeasureInit(args) => measure_init(&args).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("andes-local: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn print_routes(args: &StackArgs) -> Result<(), String> {
    let stack =
        template::load(&args.template, &stack_options(args, "http://127.0.0.1".into())).map_err(|e| e.to_string())?;
    for (function, route) in stack.routes() {
        let authorizer = route.authorizer.as_deref().unwrap_or("none");
        println!(
            "{:<40} {:<28} authorizer: {authorizer}",
            route.route_key(),
            function.logical_id
        );
    }
    Ok(())
}

async fn measure_init(args: &MeasureArgs) -> Result<(), String> {
    println!(
        "| binary | init, exec → first /next (median of {}) | peak RSS |",
        args.runs
    );
    println!("|---|---|---|");
    for binary in &args.binaries {
        let sample = andes_local::measure::measure(binary, &args.environment, args.runs)
            .await
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let name = binary
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "| {name} | {:.2} ms | {:.1} MB |",
            sample.init.as_secs_f64() * 1000.0,
            sample.peak_rss_kib as f64 / 1024.0
        );
    }
    Ok(())
}
