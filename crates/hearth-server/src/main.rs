//! `hearth`: parse the command line, then serve, migrate or administer.

use hearth_server::cli::{Cli, Command};
use hearth_server::{AppState, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    return_large_allocations_to_the_os();
    let Cli {
        settings: config,
        command,
        file_warnings,
        ..
    } = Cli::load().unwrap_or_else(|e| e.exit());
    telemetry::init(config.log_format);
    for warning in file_warnings.into_iter().chain(config.warnings()) {
        tracing::warn!("{warning}");
    }
    match command {
        None | Some(Command::Serve) => {
            let state = AppState::build(config.clone()).await?;
            let listener = tokio::net::TcpListener::bind(config.bind).await?;
            tracing::info!(
                address = %listener.local_addr()?,
                store = state.node.store.backend(),
                "hearth listening on http://{}",
                listener.local_addr()?
            );
            hearth_server::serve(state, listener, hearth_server::shutdown::os_signal()).await
        }
        Some(Command::Migrate) => {
            AppState::build(config).await?;
            println!("migrations applied");
            Ok(())
        }
        Some(Command::MigrateToPostgres { from, to }) => {
            hearth_server::transfer::run(&config, from, &to).await
        }
        Some(Command::User(cmd)) => hearth_server::cli::run_user_command(config, cmd).await,
    }
}

/// glibc keeps freed blocks in per-thread arenas, so every blocking thread
/// that once ran argon2 (19 MiB) held on to it: RSS grew to ~1 GB after a few
/// dozen logins. Serving blocks of 1 MiB and more from mmap returns them on free.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_allocations_to_the_os() {
    // SAFETY: mallopt only tunes glibc's allocator, takes its own locks, and
    // is given a documented parameter.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_allocations_to_the_os() {}
