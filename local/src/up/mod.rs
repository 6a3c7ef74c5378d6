//! `andes-local up`: the whole stack on one machine, in dependency order — backend, resources,
//! runtime, triggers, gateway, setup steps, env file — then everything stops on Ctrl-C.

pub mod env_file;
pub mod setup;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::backend::access::Access;
use crate::backend::{Backend, Clients};
use crate::control::{Background, Invoker};
use crate::runtime::{Runtime, RuntimeConfig};
use crate::template::{self, StackOptions};
use crate::triggers::Triggers;

/// Account id of the local stack (moto's default account).
pub const LOCAL_ACCOUNT_ID: &str = "123456789012";

#[derive(Debug, Clone)]
pub struct UpOptions {
    pub project_dir: PathBuf,
    pub template: PathBuf,
    pub target_dir: PathBuf,
    pub port: u16,
    pub backend_port: u16,
    pub region: String,
    pub stack_name: String,
    pub parameter_overrides: BTreeMap<String, String>,
    pub env_file: PathBuf,
    /// `None` skips the setup steps.
    pub setup_file: Option<PathBuf>,
    pub max_instances: u32,
    /// See [`RuntimeConfig::idle_timeout`].
    pub idle_timeout: Option<std::time::Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum UpError {
    #[error("{0}")]
    Template(#[from] template::TemplateError),
    #[error("{0}")]
    Setup(#[from] setup::SetupError),
    #[error("{what}: {reason}")]
    Start { what: &'static str, reason: String },
}

fn start_error(what: &'static str) -> impl FnOnce(String) -> UpError {
    move |reason| UpError::Start { what, reason }
}

pub async fn run(options: UpOptions) -> Result<(), UpError> {
    let started = Instant::now();
    let endpoint = format!("http://127.0.0.1:{}", options.backend_port);
    let stack_options = StackOptions {
        stack_name: options.stack_name.clone(),
        region: options.region.clone(),
        account_id: LOCAL_ACCOUNT_ID.to_string(),
        endpoint: endpoint.clone(),
        parameter_overrides: options.parameter_overrides.clone(),
    };
    let stack = Arc::new(template::load(&options.template, &stack_options)?);
    report_missing_binaries(&stack, &options.target_dir);

    // Bind the gateway first: a busy port should fail before anything is started.
    let address = SocketAddr::from(([127, 0, 0, 1], options.port));
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| start_error("gateway")(format!("cannot listen on {address}: {e}")))?;

    let python = options.project_dir.join(".venv/bin/python");
    let script = options.project_dir.join("local/python/moto_server.py");
    // Each function's calls are checked against its execution role, as SAM would build it.
    let sam_templates = template::SamPolicyTemplates::from_venv(&options.project_dir.join(".venv"))?;
    let access = Access::for_stack(&stack, &sam_templates).map_err(start_error("IAM roles"))?;
    // Each function signs with its own key, so the front door knows who calls.
    let function_env = stack
        .functions
        .iter()
        .filter_map(|f| {
            Some((
                f.logical_id.clone(),
                env_file::credentials(access.function_key(&f.logical_id)?),
            ))
        })
        .collect();
    let platform_key = access.platform_key().clone();
    let mut backend =
        Backend::start_with_account(&python, &script, options.backend_port, Some(&stack.account_id), access)
            .await
            .map_err(|e| start_error("local AWS backend")(e.to_string()))?;
    println!("[andes] backend ready at {}", backend.endpoint());

    let clients = Clients::signing_with(&endpoint, &options.region, &platform_key.id, &platform_key.secret);
    crate::resources::create_all(&stack, &clients)
        .await
        .map_err(|e| start_error("resources")(e.to_string()))?;
    println!(
        "[andes] created {} tables, {} buckets, {} queues",
        stack.tables.len(),
        stack.buckets.len(),
        stack.queues.len()
    );

    // Functions get the endpoint, and keys of their own; the env file the platform's key too.
    let mut function_environment = env_file::backend_environment(&endpoint, &options.region);
    let mut environment = function_environment.clone();
    environment.extend(env_file::credentials(&platform_key));
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        // Function logs are relayed line by line; colour codes only help a terminal.
        function_environment.insert("NO_COLOR".into(), "1".into());
    }
    let runtime = Runtime::start(
        stack.clone(),
        RuntimeConfig {
            target_dir: options.target_dir.clone(),
            base_env: function_environment,
            function_env,
            max_instances_default: options.max_instances,
            idle_timeout: options.idle_timeout,
        },
    )
    .await
    .map_err(|e| start_error("runtime")(e.to_string()))?;
    let invoker: Arc<dyn Invoker> = runtime.clone();

    let triggers = Triggers::start(stack.clone(), clients, invoker.clone())
        .await
        .map_err(|e| start_error("triggers")(e.to_string()))?;
    let background: Arc<dyn Background> = triggers.clone();

    let ready = Arc::new(AtomicBool::new(false));
    let (runtime_for_stats, triggers_for_stats) = (runtime.clone(), triggers.clone());
    let gateway = tokio::spawn(crate::gateway::serve(
        listener,
        stack.clone(),
        invoker,
        background,
        crate::gateway::LocalEndpoints {
            ready: ready.clone(),
            runtime_stats: Arc::new(move || runtime_for_stats.stats()),
            trigger_stats: Arc::new(move || triggers_for_stats.stats()),
            docs_dir: options.template.parent().map(|dir| dir.join("docs").join("openapi")),
        },
    ));
    let base_url = format!("http://{address}");
    println!(
        "[andes] gateway serving {} routes at {base_url}",
        stack.routes().count()
    );

    environment.extend(env_file::stack_environment(&stack));
    environment.insert("ANDES_BASE_URL".into(), base_url.clone());
    environment.insert("ANDES_PROJECT_DIR".into(), options.project_dir.display().to_string());
    environment.insert("ANDES_TARGET_DIR".into(), options.target_dir.display().to_string());
    if let Some(path) = &options.setup_file {
        let steps = setup::load(path)?;
        let exported = setup::run(&steps, &options.project_dir, &options.target_dir, &environment).await;
        match exported {
            Ok(exported) => environment.extend(exported),
            Err(error) => {
                shutdown(&triggers, &runtime, &mut backend).await;
                return Err(error.into());
            }
        }
    }
    env_file::write(&options.env_file, &environment)
        .map_err(|e| start_error("env file")(format!("{}: {e}", options.env_file.display())))?;
    print_summary(&options, &environment, &stack);
    ready.store(true, Ordering::SeqCst);
    println!(
        "[andes] up in {:.1} s — GET {base_url}/_local/health; Ctrl-C stops everything",
        started.elapsed().as_secs_f64()
    );

    tokio::select! {
        _ = shutdown_signal() => println!("[andes] stopping"),
        result = gateway => println!("[andes] gateway stopped: {result:?}"),
    }
    shutdown(&triggers, &runtime, &mut backend).await;
    Ok(())
}

async fn shutdown(triggers: &Triggers, runtime: &Runtime, backend: &mut Backend) {
    triggers.shutdown().await;
    runtime.shutdown().await;
    backend.stop().await;
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => return interrupt.await.unwrap_or(()),
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    interrupt.await.unwrap_or(());
}

/// Functions whose binary is not built yet fail at their first invocation; say so up front.
fn report_missing_binaries(stack: &template::Stack, target_dir: &std::path::Path) {
    let missing: Vec<&str> = stack
        .functions
        .iter()
        .filter(|f| !target_dir.join(&f.binary).is_file())
        .map(|f| f.binary.as_str())
        .collect();
    if !missing.is_empty() {
        println!(
            "[andes] warning: not built in {}: {} (run `cargo build --workspace --bins`)",
            target_dir.display(),
            missing.join(", ")
        );
    }
}

fn print_summary(options: &UpOptions, environment: &BTreeMap<String, String>, stack: &template::Stack) {
    println!("[andes] wrote {}:", options.env_file.display());
    for (key, value) in environment {
        let secret = key == "AWS_SECRET_ACCESS_KEY"
            || stack
                .parameters
                .iter()
                .any(|(name, p)| p.no_echo && env_file::screaming_snake(name) == *key);
        // The issue asks for the demo credentials to be printed: they are generated for this
        // local run only. Secrets of the template itself (NoEcho parameters) and the platform's
        // unrestricted key stay in the file.
        let shown = if secret {
            "(hidden: see the env file)"
        } else {
            value.as_str()
        };
        println!("  {key}={shown}");
    }
}
