//! The command line: `hearth [serve]`, `hearth migrate`, and the admin
//! commands under `hearth user`.

use crate::config::{self, Config, name_the_setting};
use crate::service::accounts::NewAccount;
use crate::state::AppState;
use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::ffi::OsString;
use std::io::BufRead;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "hearth",
    version,
    about = "Hearth: self-hosted real-time chat in one binary.",
    long_about = "Hearth: self-hosted real-time chat in one binary.\n\n\
        Settings come from flags, HEARTH_* environment variables, or a TOML file \
        (--config), in that order of precedence. TOML keys sit in the sections below \
        (e.g. [limits] send_burst = 30), except the server's own (bind = \"0.0.0.0:8080\"); \
        the README's table lists each setting's key."
)]
pub struct Cli {
    /// A TOML settings file
    #[arg(long, env = "HEARTH_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub settings: Config,
    /// What the settings file should change (keys of earlier versions).
    #[arg(skip)]
    pub file_warnings: Vec<String>,
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
    /// Flags over `HEARTH_*` variables over the `--config` file over the
    /// defaults; a refused value names its setting.
    pub fn load() -> Result<Cli, clap::Error> {
        Self::load_from(std::env::args_os().collect(), command)
    }

    /// As `load`, without the process environment (which the tests share).
    #[cfg(test)]
    pub(crate) fn load_without_env(args: Vec<&str>) -> Result<Cli, clap::Error> {
        let args = args.into_iter().map(OsString::from).collect();
        Self::load_from(args, || command().mut_args(|arg| arg.env(None)))
    }

    /// Parses `args` with `command`; when they name a settings file, parses
    /// them again with the file's values as the settings' defaults (which
    /// flags and variables override, as they override the built-in ones).
    fn load_from(args: Vec<OsString>, command: fn() -> clap::Command) -> Result<Cli, clap::Error> {
        let parse = |mut command: clap::Command| {
            command
                .try_get_matches_from_mut(&args)
                .and_then(|matches| Cli::from_arg_matches(&matches))
                .map_err(|e| name_the_setting(e, &command))
        };
        let cli = parse(command())?;
        let Some(path) = &cli.config else {
            return Ok(cli);
        };
        let file = config::file::read(path, &config::settings_command())
            .map_err(|e| clap::Error::raw(ErrorKind::Io, format!("{e}\n")))?;
        let mut with_file = command();
        for (id, value) in file.values {
            with_file = with_file.mut_arg(id, |arg| arg.default_value(value));
        }
        let mut cli = parse(with_file)?;
        cli.file_warnings = file.warnings;
        Ok(cli)
    }
}

/// The command line. Every setting may also follow the subcommand
/// (`hearth serve --bind …`), and shows its value as `<SEND_BURST>` rather
/// than as its id (`limits.send_burst`).
fn command() -> clap::Command {
    Cli::command().mut_args(|arg| {
        let id = arg.get_id().as_str();
        let name = id.rsplit('.').next().unwrap_or(id).to_ascii_uppercase();
        arg.global(true).value_name(name)
    })
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

/// Ends every session of `user`. The store records each revocation; running
/// servers read them within a second (see `crate::revocation`), refuse the
/// tokens and close the connections with 4003.
async fn sign_out_everywhere(
    state: &AppState,
    user: hearth_protocol::UserId,
) -> anyhow::Result<usize> {
    state
        .services
        .sessions
        .end_all(user, None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
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
                .await?
            {
                Some(u) => Ok(u),
                None => anyhow::bail!("no user named {username:?}"),
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
            let revoked = sign_out_everywhere(&state, user.id).await?;
            println!(
                "password of {} reset; {revoked} session(s) signed out",
                user.username
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
            let revoked = sign_out_everywhere(&state, user.id).await?;
            println!(
                "{} deactivated; {revoked} session(s) signed out",
                user.username
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
