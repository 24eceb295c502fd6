//! Saving screenings: one save path (an optional prior, an optional invitation), through a
//! batch writer that commits concurrent submissions together.

use std::sync::LazyLock;

use sqlx::QueryBuilder;
use tokio::sync::{mpsc, oneshot};

use super::drafts::{self, DraftId};
use super::invitations::{self, InvitationId};
use super::rows::{answer_columns, intake_code, intake_columns};
use super::{ClinicianId, OwnedPool, Store, StoreError, Tx};
use crate::screening::{
    Administration, Answers, Coded, Indicator, IntakeQuestion, LanguageCode, Outcome, ReviewCode,
};

/// Attempts at a fresh review code before giving up (a clash is a 1-in-10^12 event).
const CODE_ATTEMPTS: usize = 8;

/// The most screenings committed in one transaction.
const MAX_BATCH: usize = 256;

/// The first and last-but-one random row ids: [2^32, 2^62), so that row ids say nothing of
/// the order screenings were taken in (and stay clear of small ids an older version used).
const ROW_IDS: std::ops::Range<i64> = (1 << 32)..(1 << 62);

fn random_row_id() -> i64 {
    rand::random_range(ROW_IDS)
}

/// A scored screening to store.
#[derive(Debug, Clone)]
pub struct NewScreening {
    pub owner: ClinicianId,
    /// The owner's screening this one follows (a re-screening), if any.
    pub prior: Option<ReviewCode>,
    pub answers: Answers,
    pub outcome: Outcome,
    pub year: i32,
    /// The owner's invitation whose answers these are (deleted in the same transaction),
    /// and whether the clinician changed any of the client's answers.
    pub invitation: Option<(InvitationId, bool)>,
    /// The owner's draft this screening was finished from (deleted in the same transaction).
    pub draft: Option<DraftId>,
}

impl NewScreening {
    /// True when saving it deletes something else in the same transaction.
    fn takes_anything(&self) -> bool {
        self.invitation.is_some() || self.draft.is_some()
    }
}

/// A screening waiting for the batch writer, and who to tell when it is on disk.
#[derive(Debug)]
pub(super) struct SaveJob {
    screening: NewScreening,
    done: oneshot::Sender<Result<ReviewCode, StoreError>>,
}

/// The result columns, derived from the answers and kept for filtering and counting.
const RESULT_COLUMNS: [&str; 6] = [
    "band",
    "red_flag_count",
    "further_investigation",
    "referral",
    "provisional",
    "incomplete",
];

/// The prefix of the columns holding the client's own intake answers.
pub(super) const CLIENT_PREFIX: &str = "client_";

/// How the intake answers were given (PRODUCT §6), and the client's own answers when the client
/// gave them (PRODUCT §6.1: the result shows what the clinician corrected): the intake columns
/// under [`CLIENT_PREFIX`].
pub(super) fn origin_columns() -> impl Iterator<Item = &'static str> {
    static CLIENT_COLUMNS: LazyLock<Vec<String>> = LazyLock::new(|| {
        intake_columns()
            .map(|column| format!("{CLIENT_PREFIX}{column}"))
            .collect()
    });
    ["administration", "client_language", "intake_corrected"]
        .into_iter()
        .chain(CLIENT_COLUMNS.iter().map(String::as_str))
}

/// The start of a save's statement, up to its values: the columns in the order [`insert`]
/// binds them, then the prior and `seq_in_year`, which the statement looks up.
static INSERT: LazyLock<String> = LazyLock::new(|| {
    let columns: Vec<&str> = ["id", "review_code", "clinician_id", "year", "rules_version"]
        .into_iter()
        .chain(answer_columns())
        .chain(RESULT_COLUMNS)
        .chain(origin_columns())
        .collect();
    format!(
        "INSERT INTO screenings ({}, prior_id, seq_in_year) VALUES (",
        columns.join(", ")
    )
});

/// Group commit: takes every screening waiting, writes them in one transaction, and answers
/// each once the transaction is durably committed (one fsync for the batch instead of one
/// per screening). Under light load a batch is one screening.
pub(super) async fn write_batches(pool: OwnedPool, mut jobs: mpsc::Receiver<SaveJob>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let results = commit_batch(&pool, &batch).await;
        for (job, result) in batch.drain(..).zip(results) {
            // The request may have gone away meanwhile; its screening is stored all the same.
            let _ = job.done.send(result);
        }
    }
}

/// One result per job: a review code only when the whole transaction committed.
async fn commit_batch(pool: &OwnedPool, batch: &[SaveJob]) -> Vec<Result<ReviewCode, StoreError>> {
    let attempt = async {
        let mut transaction = pool.pool().begin().await?;
        if let Tx::Postgres(connection) = &mut transaction {
            // Other instances write too: hold each owner's lock (in one order, so that two
            // batches never wait for each other) until the commit, so `seq_in_year` counts
            // on without a clash.
            let mut owners: Vec<i64> = batch.iter().map(|job| job.screening.owner.0).collect();
            owners.sort_unstable();
            owners.dedup();
            sqlx::query("SELECT pg_advisory_xact_lock(owner) FROM unnest($1::bigint[]) AS owner ORDER BY owner")
                .bind(&owners)
                .execute(&mut **connection)
                .await?;
        }
        // On PostgreSQL the plain screenings of the batch go in one statement (one round
        // trip instead of one each), in a savepoint of its own: if that statement fails, it is
        // rolled back alone and every screening goes one by one instead. Any that met a clash,
        // and every other, go one by one too.
        let mut stored = match &mut transaction {
            Tx::Postgres(_) => {
                let mut savepoint = transaction.savepoint().await?;
                let Tx::Postgres(connection) = &mut savepoint else {
                    unreachable!("a savepoint of a PostgreSQL transaction")
                };
                match insert_many(connection, batch).await {
                    Ok(stored) => {
                        savepoint.commit().await?;
                        stored
                    }
                    Err(_) => {
                        // Not logged: a line with a time during a save would date it (PRODUCT §4).
                        savepoint.rollback().await?;
                        vec![None; batch.len()]
                    }
                }
            }
            Tx::Sqlite(_) => vec![None; batch.len()],
        };
        let mut results = Vec::with_capacity(batch.len());
        for (job, stored) in batch.iter().zip(stored.iter_mut()) {
            let screening = &job.screening;
            let result = if let Some(code) = stored.take() {
                Ok(code)
            } else {
                // Each screening in a savepoint of its own: one that fails is rolled back
                // alone (on PostgreSQL a failed statement would otherwise abort the whole
                // transaction, and its COMMIT would silently roll back every other), and an
                // invitation or a draft is deleted only with its screening stored.
                let mut savepoint = transaction.savepoint().await?;
                let result = if screening.takes_anything() {
                    insert_taking(&mut savepoint, screening)
                        .await
                        .and_then(|taken| taken)
                } else {
                    insert(&mut savepoint, screening, Origin::default()).await
                };
                if result.is_ok() {
                    savepoint.commit().await?;
                } else {
                    savepoint.rollback().await?;
                }
                result
            };
            results.push(result);
        }
        if let Tx::Postgres(connection) = &mut transaction {
            // PostgreSQL answers COMMIT in a failed transaction with ROLLBACK, not an error:
            // a statement refused here means the batch would not commit, so none of it is
            // acknowledged.
            sqlx::query("SELECT 1").execute(&mut **connection).await?;
        }
        transaction.commit().await?;
        Ok::<_, StoreError>(results)
    };
    match attempt.await {
        Ok(results) => results,
        // A lost connection answers every job with an error the web layer maps to 503.
        Err(error) => batch.iter().map(|_| Err(error.not_committed())).collect(),
    }
}

/// PostgreSQL: inserts the batch's screenings that come from no invitation in one statement,
/// each under a fresh review code and row id and the next number of its owner's year (the
/// batch holds the owners' locks). Returns the code of each job stored; `None` for a job with
/// an invitation or one whose code or id clashed (to be inserted one by one).
async fn insert_many(
    connection: &mut sqlx::PgConnection,
    batch: &[SaveJob],
) -> Result<Vec<Option<ReviewCode>>, StoreError> {
    let plain: Vec<&NewScreening> = batch
        .iter()
        .map(|job| &job.screening)
        .filter(|screening| !screening.takes_anything())
        .collect();
    if plain.is_empty() {
        return Ok(vec![None; batch.len()]);
    }
    // The next number of each (owner, year) in the batch.
    let mut next: std::collections::HashMap<(i64, i32), i64> = std::collections::HashMap::new();
    for screening in &plain {
        let key = (screening.owner.0, screening.year);
        if let std::collections::hash_map::Entry::Vacant(entry) = next.entry(key) {
            let last: i64 = sqlx::query_scalar(
                "SELECT coalesce(max(seq_in_year), 0) FROM screenings \
                 WHERE clinician_id = $1 AND year = $2",
            )
            .bind(key.0)
            .bind(key.1)
            .fetch_one(&mut *connection)
            .await?;
            entry.insert(last + 1);
        }
    }
    let n = plain.len();
    let mut ids = Vec::with_capacity(n);
    let mut codes = Vec::with_capacity(n);
    let mut owners = Vec::with_capacity(n);
    let mut years = Vec::with_capacity(n);
    let mut seqs = Vec::with_capacity(n);
    let mut rules = Vec::with_capacity(n);
    let mut intake: Vec<Vec<String>> = vec![Vec::with_capacity(n); IntakeQuestion::ALL.len()];
    let mut patterns: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut controls = Vec::with_capacity(n);
    let mut observed: Vec<Vec<bool>> = vec![Vec::with_capacity(n); Indicator::ALL.len()];
    let mut bands = Vec::with_capacity(n);
    let mut flag_counts = Vec::with_capacity(n);
    let mut flags: [Vec<bool>; 4] = Default::default();
    let mut priors: Vec<Option<String>> = Vec::with_capacity(n);
    for screening in &plain {
        let (answers, outcome) = (&screening.answers, &screening.outcome);
        let seq = next
            .get_mut(&(screening.owner.0, screening.year))
            .expect("counted above");
        ids.push(random_row_id());
        codes.push(ReviewCode::generate().as_str().to_owned());
        owners.push(screening.owner.0);
        years.push(screening.year);
        seqs.push(*seq);
        *seq += 1;
        rules.push(outcome.rules_version.as_str().to_owned());
        for (column, question) in intake.iter_mut().zip(IntakeQuestion::ALL) {
            column.push(intake_code(answers, question));
        }
        patterns.push(answers.pattern.map(|pattern| pattern.code()));
        controls.push(answers.control.code());
        for (column, &indicator) in observed.iter_mut().zip(Indicator::ALL) {
            column.push(answers.observed(indicator));
        }
        bands.push(outcome.band.code());
        flag_counts.push(outcome.red_flags.len() as i64);
        for (column, value) in flags.iter_mut().zip([
            outcome.further_investigation,
            outcome.referral,
            outcome.provisional,
            outcome.incomplete,
        ]) {
            column.push(value);
        }
        priors.push(
            screening
                .prior
                .as_ref()
                .map(|code| code.as_str().to_owned()),
        );
    }
    // (column, array type) in the order bound below.
    let mut columns: Vec<(&str, &str)> = vec![
        ("id", "bigint"),
        ("review_code", "text"),
        ("clinician_id", "bigint"),
        ("year", "int"),
        ("seq_in_year", "bigint"),
        ("rules_version", "text"),
    ];
    let mut answer_names = answer_columns();
    for _ in IntakeQuestion::ALL {
        columns.push((answer_names.next().expect("intake column"), "text"));
    }
    columns.push((answer_names.next().expect("pattern"), "text"));
    columns.push((answer_names.next().expect("control"), "text"));
    for name in answer_names {
        columns.push((name, "boolean"));
    }
    columns.extend([
        ("band", "text"),
        ("red_flag_count", "bigint"),
        ("further_investigation", "boolean"),
        ("referral", "boolean"),
        ("provisional", "boolean"),
        ("incomplete", "boolean"),
    ]);
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let selected: Vec<String> = names.iter().map(|name| format!("u.{name}")).collect();
    let mut query = QueryBuilder::<sqlx::Postgres>::new(format!(
        "INSERT INTO screenings ({columns}, prior_id) \
         SELECT {selected}, (SELECT p.id FROM screenings p \
                      WHERE p.review_code = x.prior AND p.clinician_id = u.clinician_id) \
         FROM unnest(",
        columns = names.join(", "),
        selected = selected.join(", "),
    ));
    // One array per column, typed as `columns` says, in its order.
    let mut kinds = columns.iter().map(|(_, kind)| *kind);
    let mut arrays = query.separated(", ");
    macro_rules! array {
        ($values:expr) => {{
            let kind = kinds.next().expect("a type for every column");
            arrays
                .push_bind($values)
                .push_unseparated(format!("::{kind}[]"));
        }};
    }
    array!(&ids);
    array!(&codes);
    array!(&owners);
    array!(&years);
    array!(&seqs);
    array!(&rules);
    for column in &intake {
        array!(column);
    }
    array!(&patterns);
    array!(&controls);
    for column in &observed {
        array!(column);
    }
    array!(&bands);
    array!(&flag_counts);
    for column in &flags {
        array!(column);
    }
    debug_assert!(kinds.next().is_none(), "an array for every column");
    query
        .push(format!(
            ") WITH ORDINALITY AS u({}, n) JOIN unnest(",
            names.join(", ")
        ))
        .push_bind(&priors)
        .push("::text[]) WITH ORDINALITY AS x(prior, n) USING (n) ON CONFLICT DO NOTHING RETURNING review_code");
    let inserted: std::collections::HashSet<String> = query
        .build_query_scalar::<String>()
        .fetch_all(&mut *connection)
        .await?
        .into_iter()
        .collect();
    drop(query);
    let mut codes = codes.into_iter();
    Ok(batch
        .iter()
        .map(|job| {
            if job.screening.takes_anything() {
                return None;
            }
            let code = codes.next().expect("one code per plain screening");
            inserted
                .contains(&code)
                .then(|| code.parse().expect("a generated review code"))
        })
        .collect())
}

/// Inserts one screening that deletes its draft and takes its invitation (each when it has
/// one), inside the caller's savepoint: the inner error ([`StoreError::DraftGone`],
/// [`StoreError::InvitationGone`]) means nothing is to be kept; the outer one fails the batch.
async fn insert_taking(
    savepoint: &mut Tx<'_>,
    screening: &NewScreening,
) -> Result<Result<ReviewCode, StoreError>, StoreError> {
    if let Some(id) = &screening.draft {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if let Err(gone) = drafts::take(savepoint, screening.owner, id, now).await? {
            return Ok(Err(gone));
        }
    }
    let origin = match &screening.invitation {
        None => Origin::default(),
        Some((id, corrected)) => match invitations::take(savepoint, screening.owner, id).await? {
            None => return Ok(Err(StoreError::InvitationGone)),
            Some(taken) => Origin {
                administration: taken.administration,
                client_language: taken.language,
                corrected: *corrected,
                client_answers: Some(taken.answers),
            },
        },
    };
    Ok(insert(savepoint, screening, origin).await)
}

/// How a screening's intake answers were given.
#[derive(Debug, Clone, Default)]
pub(super) struct Origin {
    pub administration: Administration,
    pub client_language: Option<LanguageCode>,
    pub corrected: bool,
    /// The client's own intake answers, as they sent them.
    pub client_answers: Option<Answers>,
}

/// Inserts one screening under a fresh review code (inside the batch's transaction). The
/// prior is looked up by code among the owner's own screenings; `seq_in_year` is the next
/// number of the owner's year (on SQLite the statement runs on the single writer connection;
/// on PostgreSQL the batch holds the owner's advisory lock). A clash of review code or random
/// id inserts nothing, and is tried again.
async fn insert(
    transaction: &mut Tx<'_>,
    screening: &NewScreening,
    origin: Origin,
) -> Result<ReviewCode, StoreError> {
    let (answers, outcome) = (&screening.answers, &screening.outcome);
    for _ in 0..CODE_ATTEMPTS {
        let code = ReviewCode::generate();
        let inserted = on_tx!(transaction, connection => {
            let mut query = QueryBuilder::new(&*INSERT);
            let mut values = query.separated(", ");
            values
                .push_bind(random_row_id())
                .push_bind(code.as_str())
                .push_bind(screening.owner.0)
                .push_bind(screening.year)
                .push_bind(outcome.rules_version.as_str());
            for question in IntakeQuestion::ALL {
                values.push_bind(intake_code(answers, question));
            }
            values
                .push_bind(answers.pattern.map(|pattern| pattern.code()))
                .push_bind(answers.control.code());
            for &indicator in Indicator::ALL {
                values.push_bind(answers.observed(indicator));
            }
            values
                .push_bind(outcome.band.code())
                .push_bind(outcome.red_flags.len() as i64)
                .push_bind(outcome.further_investigation)
                .push_bind(outcome.referral)
                .push_bind(outcome.provisional)
                .push_bind(outcome.incomplete)
                .push_bind(origin.administration.code())
                .push_bind(origin.client_language.map(|code| code.to_string()))
                .push_bind(origin.corrected);
            for question in IntakeQuestion::ALL {
                values.push_bind(
                    origin
                        .client_answers
                        .as_ref()
                        .map(|given| intake_code(given, question)),
                );
            }
            values
                .push("(SELECT id FROM screenings WHERE review_code = ")
                .push_bind_unseparated(screening.prior.as_ref().map(ReviewCode::as_str))
                .push_unseparated(" AND clinician_id = ")
                .push_bind_unseparated(screening.owner.0)
                .push_unseparated(")");
            values
                .push("(SELECT coalesce(max(seq_in_year), 0) + 1 FROM screenings WHERE clinician_id = ")
                .push_bind_unseparated(screening.owner.0)
                .push_unseparated(" AND year = ")
                .push_bind_unseparated(screening.year)
                .push_unseparated(")");
            query
                .push(") ON CONFLICT DO NOTHING")
                .build()
                .execute(&mut *connection)
                .await?
                .rows_affected()
        });
        if inserted == 1 {
            return Ok(code);
        }
    }
    Err(StoreError::NoUnusedReviewCode)
}

impl Store {
    /// Stores a scored screening and returns its fresh review code once the transaction
    /// holding it is durably committed; concurrent calls share transactions. With an
    /// invitation, the invitation is deleted in the same transaction, and
    /// [`StoreError::InvitationGone`] (nothing stored) answers when it is not there to take
    /// (saved already, cancelled or expired); the same for a draft, with
    /// [`StoreError::DraftGone`].
    pub async fn save(&self, screening: NewScreening) -> Result<ReviewCode, StoreError> {
        let (done, committed) = oneshot::channel();
        let stopped = || StoreError::NotCommitted("the store is closed".into());
        let from_invitation = screening.takes_anything();
        self.screening_jobs
            .send(SaveJob { screening, done })
            .await
            .map_err(|_| stopped())?;
        let saved = committed.await.map_err(|_| stopped())?;
        if saved.is_ok() && from_invitation {
            // The invitation or draft is deleted: not left readable in the write-ahead log
            // either.
            self.checkpoint().await;
        }
        saved
    }

    /// Stores a scored screening with no prior and no invitation (see [`Store::save`]).
    pub async fn save_screening(
        &self,
        owner: ClinicianId,
        answers: &Answers,
        outcome: &Outcome,
        year: i32,
    ) -> Result<ReviewCode, StoreError> {
        self.save(NewScreening {
            owner,
            prior: None,
            answers: answers.clone(),
            outcome: outcome.clone(),
            year,
            invitation: None,
            draft: None,
        })
        .await
    }
}
