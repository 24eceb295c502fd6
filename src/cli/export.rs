//! `screener export`: all screenings (or one clinician's) as CSV, JSON or a FHIR Bundle on
//! standard output, streamed in batches.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use futures_util::StreamExt;

use super::{EXIT_BAD_INPUT, open_store};
use crate::accounts::Username;
use crate::config::DatabaseConfig;
use crate::export::{fhir, json_document, table};
use crate::store::{AuditAction, AuditEntry};

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One CSV row per screening, with a header.
    Csv,
    /// A JSON array: per screening its review code, year, answers (PRODUCT §3.2) and result (§3.3).
    Json,
    /// A FHIR R4 Bundle (collection): the Questionnaire, then one QuestionnaireResponse per
    /// screening.
    Fhir,
}

/// Arguments of `screener export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The format to write.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,

    /// Only this clinician's screenings (default: everyone's).
    #[arg(long)]
    clinician: Option<String>,

    #[command(flatten)]
    database: DatabaseConfig,
}

pub async fn run(args: ExportArgs) -> ExitCode {
    match export(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("screener export: {message}");
            ExitCode::from(code)
        }
    }
}

type Failure = (u8, String);

fn io_failure(error: std::io::Error) -> Failure {
    (1, format!("cannot write: {error}"))
}

async fn export(args: ExportArgs) -> Result<(), Failure> {
    let clinician = args
        .clinician
        .as_deref()
        .map(|name| {
            Username::parse(name).map_err(|error| (EXIT_BAD_INPUT, format!("{name:?}: {error}")))
        })
        .transpose()?;
    let store = open_store(&args.database)
        .await
        .map_err(|message| (1, message))?;
    let owner = match &clinician {
        Some(username) => Some(
            store
                .find_clinician_by_username(username)
                .await
                .map_err(|error| (1, error.to_string()))?
                .ok_or_else(|| {
                    (
                        EXIT_BAD_INPUT,
                        format!("no account has the username {username}"),
                    )
                })?
                .id,
        ),
        None => None,
    };
    let extent = store
        .export_extent(owner)
        .await
        .map_err(|error| (1, error.to_string()))?;
    let format = match args.format {
        Format::Csv => "csv",
        Format::Json => "json",
        Format::Fhir => "fhir",
    };
    store
        .record(
            AuditEntry::new("console", AuditAction::Exported)
                .subject(clinician.as_ref().map(Username::as_str))
                .detail(format!("{format}, {} rows", extent.count)),
        )
        .await
        .map_err(|error| (1, error.to_string()))?;

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Csv => out
            .write_all(&table::to_csv(true, []).map_err(|error| (1, error.to_string()))?)
            .map_err(io_failure)?,
        Format::Json => out.write_all(b"[").map_err(io_failure)?,
        Format::Fhir => {
            let opening = format!(
                "{{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{{\"resource\":{}}}",
                fhir::questionnaire()
            );
            out.write_all(opening.as_bytes()).map_err(io_failure)?;
        }
    }
    let mut first = true;
    let mut batches = std::pin::pin!(store.export_batches(extent));
    while let Some(batch) = batches.next().await {
        let batch = batch.map_err(|error| (1, error.to_string()))?;
        match args.format {
            Format::Csv => out
                .write_all(&table::to_csv(false, &batch).map_err(|error| (1, error.to_string()))?)
                .map_err(io_failure)?,
            Format::Json | Format::Fhir => {
                for screening in &batch {
                    let item = if args.format == Format::Json {
                        json_document(screening).to_string()
                    } else {
                        format!(
                            "{{\"resource\":{}}}",
                            fhir::questionnaire_response(screening)
                        )
                    };
                    let separator = if first && args.format == Format::Json {
                        ""
                    } else {
                        ","
                    };
                    first = false;
                    write!(out, "{separator}\n{item}").map_err(io_failure)?;
                }
            }
        }
    }
    match args.format {
        Format::Csv => {}
        Format::Json => out.write_all(b"\n]\n").map_err(io_failure)?,
        Format::Fhir => out.write_all(b"\n]}\n").map_err(io_failure)?,
    }
    out.flush().map_err(io_failure)?;
    store.close().await;
    Ok(())
}
