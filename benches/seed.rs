//! Bench-only helper: stores COUNT screenings for an existing account through the app's own
//! `Store::save_screening` (each one a durable commit, as a submission is), so that the list
//! page can be measured against a large table. Run by `benches/load.sh`; never by `cargo test`.
//!
//! Usage: cargo bench --bench seed -- DATABASE_URL USERNAME COUNT

use std::process::ExitCode;
use std::time::Instant;

use intake_screener::accounts::Username;
use intake_screener::screening::{Answers, RulesVersion};
use intake_screener::store::Store;

/// Submitters writing at once (they queue on the store's single writer connection).
const TASKS: usize = 16;

/// Casual, at-risk and addicted answers, six in ten casual, three at risk, one addicted.
const MIX: [usize; 10] = [0, 0, 0, 0, 0, 0, 1, 1, 1, 2];

fn templates() -> Vec<Answers> {
    let forms: [&[(&str, &str)]; 3] = [
        &[
            ("q1_concern_expressed", "no"),
            ("q2_self_concern", "no"),
            ("q3_escape", "sleep"),
            ("q4_secrets", "no"),
            ("q5_others_disturbed", "no"),
            ("q6_shame", "no"),
        ],
        &[
            ("q1_concern_expressed", "yes"),
            ("q2_self_concern", "no"),
            ("q3_escape", "exercise"),
            ("q3_escape", "pornography"),
            ("q4_secrets", "yes"),
            ("q5_others_disturbed", "declined"),
            ("q6_shame", "no"),
            ("pattern", "intense_periods"),
            ("control", "retained"),
            ("escape_use", "on"),
        ],
        &[
            ("q1_concern_expressed", "yes"),
            ("q2_self_concern", "yes"),
            ("q3_escape", "pornography"),
            ("q4_secrets", "yes"),
            ("q5_others_disturbed", "yes"),
            ("q6_shame", "yes"),
            ("pattern", "compulsive"),
            ("control", "lost"),
            ("despite_consequences", "on"),
        ],
    ];
    forms
        .iter()
        .map(|form| Answers::from_form(form.iter().copied()).expect("valid template"))
        .collect()
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (url, name, count) = match args.as_slice() {
        [url, name, count, ..] => match count.parse::<usize>() {
            Ok(count) => (url.clone(), name.clone(), count),
            Err(_) => {
                eprintln!("seed: COUNT must be a number");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("usage: cargo bench --bench seed -- DATABASE_URL USERNAME COUNT");
            return ExitCode::SUCCESS;
        }
    };
    let store = match Store::open(&url).await {
        Ok(store) => store,
        Err(error) => {
            eprintln!("seed: {error}");
            return ExitCode::FAILURE;
        }
    };
    let owner = match Username::parse(&name) {
        Ok(username) => match store.find_clinician_by_username(&username).await {
            Ok(Some(clinician)) => clinician.id,
            _ => {
                eprintln!("seed: no account {name}");
                return ExitCode::FAILURE;
            }
        },
        Err(error) => {
            eprintln!("seed: {name:?}: {error}");
            return ExitCode::from(2);
        }
    };
    let templates = templates();
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let (store, templates) = (store.clone(), templates.clone());
            tokio::spawn(async move {
                for n in (task..count).step_by(TASKS) {
                    let answers = &templates[MIX[n % MIX.len()]];
                    let outcome = RulesVersion::CURRENT.score(answers);
                    let year = 2020 + (n % 7) as i32;
                    store
                        .save_screening(owner, answers, &outcome, year)
                        .await
                        .expect("save");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("seeding task");
    }
    let seconds = started.elapsed().as_secs_f64();
    store.close().await;
    println!(
        "seeded {count} screenings in {seconds:.1} s ({:.0} durable saves/s)",
        count as f64 / seconds
    );
    ExitCode::SUCCESS
}
