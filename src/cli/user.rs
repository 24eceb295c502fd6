//! `screener user …`: manage clinician accounts from the server's console.

use std::io::BufRead;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{CONSOLE, EXIT_BAD_INPUT, open_store};
use crate::accounts::{NewPassword, Username};
use crate::config::DatabaseConfig;
use crate::store::{AccountChangeError, AuditAction, AuditEntry};

/// Arguments of `screener user`.
#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a clinician account; the password is read from the first line of standard input.
    Add {
        /// The username (letters, digits, dots, dashes, underscores; folded to lowercase).
        name: String,
        /// Make the account an administrator.
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input (required: passwords never go on the
        /// command line, where other users and shell history could see them).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// List the accounts.
    List {
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Deactivate an account; its sessions end at their next request.
    Deactivate {
        /// The username.
        name: String,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Reactivate a deactivated account.
    Activate {
        /// The username.
        name: String,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Set an account's password, read from the first line of standard input.
    SetPassword {
        /// The username.
        name: String,
        /// Read the password from standard input (required).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Remove an account's second factor and recovery codes (a lost phone and lost codes);
    /// the clinician signs in with the password alone and enrols again. Audited.
    ResetTwoFactor {
        /// The username.
        name: String,
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

pub async fn run(args: UserArgs) -> ExitCode {
    match execute(args).await {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(Failure::BadInput(message)) => {
            eprintln!("screener user: {message}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
        Err(Failure::Other(message)) => {
            eprintln!("screener user: {message}");
            ExitCode::FAILURE
        }
    }
}

enum Failure {
    BadInput(String),
    Other(String),
}

impl From<AccountChangeError> for Failure {
    fn from(error: AccountChangeError) -> Self {
        match error {
            AccountChangeError::Refused(refused) => Failure::BadInput(refused.to_string()),
            AccountChangeError::Store(error) => Failure::Other(error.to_string()),
        }
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(error: crate::store::StoreError) -> Self {
        Failure::Other(error.to_string())
    }
}

fn username(name: &str) -> Result<Username, Failure> {
    Username::parse(name).map_err(|error| Failure::BadInput(format!("{name:?}: {error}")))
}

fn read_password() -> Result<NewPassword, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|error| Failure::Other(format!("cannot read standard input: {error}")))?;
    let password = line.trim_end_matches(['\n', '\r']);
    NewPassword::parse(password).map_err(|error| Failure::BadInput(error.to_string()))
}

/// What the console did to `subject`, for the audit log.
fn audit(action: AuditAction, subject: &Username) -> AuditEntry<'_> {
    AuditEntry::new(CONSOLE, action).subject(subject.as_str())
}

async fn execute(args: UserArgs) -> Result<String, Failure> {
    let store = |database: DatabaseConfig| async move {
        open_store(&database).await.map_err(Failure::Other)
    };
    match args.command {
        UserCommand::Add {
            name,
            admin,
            database,
            ..
        } => {
            let username = username(&name)?;
            let password = read_password()?;
            let store = store(database).await?;
            let hash = password
                .hash_off_runtime()
                .await
                .map_err(|error| Failure::Other(error.to_string()))?;
            store
                .create_clinician(
                    &username,
                    &hash,
                    admin,
                    Some(
                        audit(AuditAction::AccountCreated, &username)
                            .detail(admin.then(|| "administrator".to_owned())),
                    ),
                )
                .await?;
            Ok(format!(
                "Created {} {username}.",
                if admin { "administrator" } else { "clinician" }
            ))
        }
        UserCommand::List { database } => {
            let store = store(database).await?;
            let clinicians = store.list_clinicians().await?;
            if clinicians.is_empty() {
                return Ok("No accounts yet.".to_owned());
            }
            let lines: Vec<String> = clinicians
                .iter()
                .map(|clinician| {
                    format!(
                        "{:<32} {:<13} {}",
                        clinician.username.as_str(),
                        if clinician.is_admin {
                            "administrator"
                        } else {
                            "clinician"
                        },
                        if clinician.is_active {
                            "active"
                        } else {
                            "deactivated"
                        }
                    )
                })
                .collect();
            Ok(lines.join("\n"))
        }
        UserCommand::Deactivate { name, database } => {
            let username = username(&name)?;
            let store = store(database).await?;
            store
                .set_clinician_active(
                    &username,
                    false,
                    audit(AuditAction::AccountDeactivated, &username),
                )
                .await?;
            Ok(format!(
                "Deactivated {username}; their sessions end at their next request."
            ))
        }
        UserCommand::Activate { name, database } => {
            let username = username(&name)?;
            let store = store(database).await?;
            store
                .set_clinician_active(
                    &username,
                    true,
                    audit(AuditAction::AccountActivated, &username),
                )
                .await?;
            Ok(format!("Activated {username}."))
        }
        UserCommand::SetPassword { name, database, .. } => {
            let username = username(&name)?;
            let password = read_password()?;
            let store = store(database).await?;
            let hash = password
                .hash_off_runtime()
                .await
                .map_err(|error| Failure::Other(error.to_string()))?;
            store
                .set_clinician_password(
                    &username,
                    &hash,
                    audit(AuditAction::PasswordReset, &username),
                )
                .await?;
            Ok(format!("Set the password of {username}."))
        }
        UserCommand::ResetTwoFactor { name, database } => {
            let username = username(&name)?;
            let store = store(database).await?;
            let removed = store
                .reset_two_factor(&username, audit(AuditAction::TwoFactorReset, &username))
                .await?;
            Ok(if removed {
                format!(
                    "Reset the two-factor sign-in of {username}: the password alone signs in until they enrol again."
                )
            } else {
                format!("{username} had no two-factor sign-in; nothing changed.")
            })
        }
    }
}
