//! The command line: `hearth [serve]`, `hearth migrate`, and the admin
//! commands under `hearth user`.

use crate::app::AppState;
use crate::config::{Config, Settings};
use crate::service::accounts::NewAccount;
use clap::{Parser, Subcommand};
use hearth_store::StoreError;
use std::io::BufRead;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "hearth",
    version,
    about = "Hearth: self-hosted real-time chat in one binary.",
    long_about = "Hearth: self-hosted real-time chat in one binary.\n\n\
        Settings come from flags, HEARTH_* environment variables, or a TOML file \
        (--config), in that order of precedence. TOML keys are the flag names with \
        '_' for '-', e.g. bind = \"0.0.0.0:8080\"."
)]
pub struct Cli {
    /// A TOML settings file
    #[arg(long, global = true, env = "HEARTH_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default)
    Serve,
    /// Apply database migrations and exit
    Migrate,
    /// Copy a SQLite database into an empty PostgreSQL one (moving to cluster mode)
    MigrateToPostgres {
        /// The SQLite database [default: the configured database URL]
        #[arg(long)]
        from: Option<String>,
        /// The PostgreSQL database, e.g. postgres://hearth@db/hearth
        #[arg(long)]
        to: String,
    },
    /// Manage accounts
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account
    Create {
        #[arg(long)]
        username: String,
        /// The password; read from standard input when omitted
        #[arg(long)]
        password: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Make the account a server admin
        #[arg(long)]
        admin: bool,
    },
    /// Set a new password and sign the user out everywhere
    ResetPassword {
        #[arg(long)]
        username: String,
        /// The password; read from standard input when omitted
        #[arg(long)]
        password: Option<String>,
    },
    /// Grant (or with --revoke, take away) server admin rights
    SetAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        revoke: bool,
    },
    /// Deactivate an account: it can no longer sign in and its sessions end
    Deactivate {
        #[arg(long)]
        username: String,
    },
    /// Let a deactivated account sign in again
    Reactivate {
        #[arg(long)]
        username: String,
    },
    /// Turn off two-factor authentication for a user who lost their device and recovery codes
    #[command(name = "disable-2fa")]
    Disable2fa {
        #[arg(long)]
        username: String,
    },
}

impl Cli {
    /// Flags and environment over the TOML file over defaults.
    pub fn resolve_config(&self) -> anyhow::Result<Config> {
        let file = match &self.config {
            Some(path) => Settings::from_toml_file(path)?,
            None => Settings::default(),
        };
        Ok(self.settings.clone().over(file).resolve())
    }
}

fn password_from(arg: Option<String>) -> anyhow::Result<String> {
    match arg {
        Some(p) => Ok(p),
        None => {
            eprintln!("password (one line on standard input):");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            Ok(line.trim_end_matches(['\r', '\n']).to_string())
        }
    }
}

/// Runs an admin command against the configured store.
pub async fn run_user_command(config: Config, cmd: UserCommand) -> anyhow::Result<()> {
    let state = AppState::build(config).await?;
    let find = |username: String| {
        let state = state.clone();
        async move {
            match state
                .node
                .store
                .user_by_login(&username.to_ascii_lowercase())
                .await
            {
                Ok(u) => Ok(u),
                Err(StoreError::NotFound) => anyhow::bail!("no user named {username:?}"),
                Err(e) => Err(e.into()),
            }
        }
    };
    match cmd {
        UserCommand::Create {
            username,
            password,
            email,
            display_name,
            admin,
        } => {
            let password = password_from(password)?;
            let user = state
                .services
                .accounts
                .create_user(
                    NewAccount::parse(
                        &username,
                        password,
                        display_name.as_deref(),
                        email.as_deref(),
                    )
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if admin && !user.is_admin {
                state.node.store.set_admin(user.id, true).await?;
            }
            println!("created user {} ({})", user.username, user.id);
        }
        UserCommand::ResetPassword { username, password } => {
            let user = find(username).await?;
            let password = crate::domain::Password::parse(password_from(password)?)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let hash = crate::auth::password::hash(password.expose().to_string())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            state.node.store.set_password_hash(user.id, &hash).await?;
            let revoked = state.node.store.revoke_user_sessions(user.id, None).await?;
            println!(
                "password of {} reset; {} session(s) signed out",
                user.username,
                revoked.len()
            );
        }
        UserCommand::SetAdmin { username, revoke } => {
            let user = find(username).await?;
            state.node.store.set_admin(user.id, !revoke).await?;
            println!(
                "{} is {} a server admin",
                user.username,
                if revoke { "no longer" } else { "now" }
            );
        }
        UserCommand::Deactivate { username } => {
            let user = find(username).await?;
            state.node.store.set_deactivated(user.id, true).await?;
            let revoked = state.node.store.revoke_user_sessions(user.id, None).await?;
            // A running server learns of the revocation when tokens next
            // refresh: within the access-token lifetime.
            println!(
                "{} deactivated; {} session(s) signed out",
                user.username,
                revoked.len()
            );
        }
        UserCommand::Reactivate { username } => {
            let user = find(username).await?;
            state.node.store.set_deactivated(user.id, false).await?;
            println!("{} can sign in again", user.username);
        }
        UserCommand::Disable2fa { username } => {
            let user = find(username).await?;
            state.node.store.disable_totp(user.id).await?;
            println!(
                "two-factor authentication of {} is off; recovery codes are void",
                user.username
            );
        }
    }
    Ok(())
}
