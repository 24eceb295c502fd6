//! `screener score [FILE]`.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::EXIT_BAD_INPUT;
use crate::screening::{Answers, RulesVersion};

/// Arguments of `screener score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The answers document (PRODUCT §3.2); standard input when absent or `-`.
    file: Option<PathBuf>,

    /// The scoring rules version: 1, 2 or 3 (PRODUCT §2.3, §2.3b, §2.3c). Default: the current
    /// version, 3.
    #[arg(long, value_name = "VERSION", value_parser = parse_rules)]
    rules: Option<RulesVersion>,
}

fn parse_rules(name: &str) -> Result<RulesVersion, String> {
    RulesVersion::parse(name).ok_or_else(|| {
        let known: Vec<&str> = RulesVersion::ALL.iter().map(|v| v.as_str()).collect();
        format!(
            "no rules version \"{name}\"; choose one of: {}",
            known.join(", ")
        )
    })
}

pub fn run(args: ScoreArgs) -> ExitCode {
    let text = match read_input(args.file.as_ref()) {
        Ok(text) => text,
        Err(message) => {
            eprintln!("screener score: {message}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    match Answers::from_json(&text) {
        Ok(answers) => {
            let outcome = args.rules.unwrap_or(RulesVersion::CURRENT).score(&answers);
            println!("{:#}", outcome.to_document());
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for error in &errors.0 {
                eprintln!("screener score: invalid answers: {error}");
            }
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// The largest answers document read: a real one is under 1 KiB.
const MAX_INPUT: u64 = 1024 * 1024;

/// Reads at most [`MAX_INPUT`] bytes; a larger input is refused in one line, without echoing it.
fn read_input(file: Option<&PathBuf>) -> Result<String, String> {
    let mut bytes = Vec::new();
    let (read, source) = match file {
        Some(path) if path.as_os_str() != "-" => {
            let file = std::fs::File::open(path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            (
                file.take(MAX_INPUT + 1).read_to_end(&mut bytes),
                path.display().to_string(),
            )
        }
        _ => (
            std::io::stdin().take(MAX_INPUT + 1).read_to_end(&mut bytes),
            "standard input".to_owned(),
        ),
    };
    read.map_err(|error| format!("cannot read {source}: {error}"))?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(format!(
            "{source} is larger than 1 MiB; an answers document is a few hundred bytes"
        ));
    }
    String::from_utf8(bytes).map_err(|_| format!("{source} is not UTF-8 text"))
}
