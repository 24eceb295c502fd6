//! Screenings: coded answers, result, rules version and year under a review code.

use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Row, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use super::invitations::{self, InvitationId};
use super::{ClinicianId, Store, StoreError};
use crate::screening::questions::{CONTROL_FIELD, PATTERN_FIELD};
use crate::screening::{
    Administration, Answers, Band, Coded, Indicator, IntakeQuestion, LanguageCode, Outcome,
    ReviewCode, RulesVersion,
};

/// How many screenings a list page shows.
pub const PAGE_SIZE: u32 = 25;

/// Attempts at a fresh review code before giving up (a clash is a 1-in-10^12 event).
const CODE_ATTEMPTS: usize = 8;

/// A stored screening, re-scored by the rules version it was stored with.
#[derive(Debug, Clone)]
pub struct StoredScreening {
    pub review_code: ReviewCode,
    pub year: i32,
    pub answers: Answers,
    pub outcome: Outcome,
    /// The earlier screening this one follows, if it still exists.
    pub prior: Option<ReviewCode>,
    /// The owning clinician's username.
    pub owner: String,
    /// How the intake answers were given.
    pub administration: Administration,
    /// The language the client answered in, when they answered themselves.
    pub client_language: Option<LanguageCode>,
    /// True when the clinician changed any of the client's own answers before saving.
    pub intake_corrected: bool,
}

/// Which screenings to list.
#[derive(Debug, Clone)]
pub struct ScreeningQuery {
    /// Whose screenings.
    pub owner: ClinicianId,
    /// Only this band.
    pub band: Option<Band>,
    /// Only screenings older than the one with this code (the next page).
    pub older_than: Option<ReviewCode>,
}

/// One page of screenings, newest first.
#[derive(Debug, Clone)]
pub struct ScreeningPage {
    pub screenings: Vec<StoredScreening>,
    /// The code to ask `older_than` for the next page, if there is one.
    pub next: Option<ReviewCode>,
}

/// The columns of the coded answers, named after the instrument's fields.
fn answer_columns() -> impl Iterator<Item = &'static str> {
    IntakeQuestion::ALL
        .into_iter()
        .map(IntakeQuestion::field)
        .chain([PATTERN_FIELD, CONTROL_FIELD])
        .chain(Indicator::ALL.iter().map(|indicator| indicator.code()))
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

/// How the intake answers were given (SPEC §6).
const ORIGIN_COLUMNS: [&str; 3] = ["administration", "client_language", "intake_corrected"];

fn insert_sql() -> String {
    let columns: Vec<&str> = ["id", "review_code", "clinician_id", "year", "rules_version"]
        .into_iter()
        .chain(answer_columns())
        .chain(RESULT_COLUMNS)
        .chain(ORIGIN_COLUMNS)
        .collect();
    // The prior is looked up by code among the owner's own screenings; `seq_in_year` is the
    // next number of the owner's year (the statement runs on the single writer connection).
    // A clash of review code or random id inserts nothing, and is tried again.
    format!(
        "INSERT INTO screenings ({}, prior_id, seq_in_year) VALUES ({}, \
         (SELECT id FROM screenings WHERE review_code = ? AND clinician_id = ?), \
         (SELECT coalesce(max(seq_in_year), 0) + 1 FROM screenings WHERE clinician_id = ? AND year = ?)) \
         ON CONFLICT DO NOTHING",
        columns.join(", "),
        vec!["?"; columns.len()].join(", ")
    )
}

/// The first and last-but-one random row ids: [2^32, 2^62), so that row ids say nothing of
/// the order screenings were taken in (and stay clear of small ids an older version used).
const ROW_IDS: std::ops::Range<i64> = (1 << 32)..(1 << 62);

fn random_row_id() -> i64 {
    rand::random_range(ROW_IDS)
}

/// Selects screenings as `s`, each with its prior's code as `prior_code` and its owner's
/// username as `owner`.
fn select_sql() -> String {
    let columns: Vec<String> = ["id", "review_code", "year", "seq_in_year", "rules_version"]
        .into_iter()
        .chain(answer_columns())
        .chain(ORIGIN_COLUMNS)
        .map(|column| format!("s.{column}"))
        .collect();
    format!(
        "SELECT {}, p.review_code AS prior_code, c.username AS owner FROM screenings s \
         LEFT JOIN screenings p ON p.id = s.prior_id \
         JOIN clinicians c ON c.id = s.clinician_id",
        columns.join(", ")
    )
}

/// A screening waiting for the batch writer, and who to tell when it is on disk.
#[derive(Debug)]
pub(super) struct SaveJob {
    owner: ClinicianId,
    /// The owner's screening this one follows, if any.
    prior: Option<ReviewCode>,
    answers: Answers,
    outcome: Outcome,
    year: i32,
    /// The client's invitation whose answers these are, deleted in the same transaction.
    invitation: Option<(InvitationId, bool)>,
    done: oneshot::Sender<Result<ReviewCode, StoreError>>,
}

/// The most screenings committed in one transaction.
const MAX_BATCH: usize = 256;

/// Group commit: takes every screening waiting, writes them in one transaction on the single
/// writer connection, and answers each once the transaction is durably committed (one fsync
/// for the batch instead of one per screening). Under light load a batch is one screening.
pub(super) async fn write_batches(writer: SqlitePool, mut jobs: mpsc::Receiver<SaveJob>) {
    let sql = insert_sql();
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let results = commit_batch(&writer, &sql, &batch).await;
        for (job, result) in batch.drain(..).zip(results) {
            // The request may have gone away meanwhile; its screening is stored all the same.
            let _ = job.done.send(result);
        }
    }
}

/// One result per job: a review code only when the whole transaction committed.
async fn commit_batch(
    writer: &SqlitePool,
    sql: &str,
    batch: &[SaveJob],
) -> Vec<Result<ReviewCode, StoreError>> {
    let attempt = async {
        let mut transaction = writer.begin().await?;
        let mut results = Vec::with_capacity(batch.len());
        for job in batch {
            let result = match &job.invitation {
                None => insert(&mut transaction, sql, job, Origin::default()).await,
                Some((id, corrected)) => {
                    // A savepoint: the invitation is deleted only with its screening stored.
                    let mut savepoint = sqlx::Connection::begin(&mut *transaction).await?;
                    let result = match take_invitation(&mut savepoint, job.owner, id).await? {
                        None => Err(StoreError::InvitationGone),
                        Some((administration, client_language)) => {
                            let origin = Origin {
                                administration,
                                client_language,
                                corrected: *corrected,
                            };
                            insert(&mut savepoint, sql, job, origin).await
                        }
                    };
                    if result.is_ok() {
                        savepoint.commit().await?;
                    } else {
                        savepoint.rollback().await?;
                    }
                    result
                }
            };
            results.push(result);
        }
        transaction.commit().await?;
        Ok::<_, StoreError>(results)
    };
    match attempt.await {
        Ok(results) => results,
        Err(error) => {
            let message = error.to_string();
            batch
                .iter()
                .map(|_| Err(StoreError::NotCommitted(message.clone())))
                .collect()
        }
    }
}

/// How a screening's intake answers were given.
#[derive(Debug, Clone, Copy, Default)]
struct Origin {
    administration: Administration,
    client_language: Option<LanguageCode>,
    corrected: bool,
}

/// Deletes the owner's answered invitation (inside the batch's transaction) and spends its
/// token; returns how it was answered, or `None` when it is gone (saved already, cancelled,
/// expired) or not answered yet.
async fn take_invitation(
    connection: &mut SqliteConnection,
    owner: ClinicianId,
    id: &InvitationId,
) -> Result<Option<(Administration, Option<LanguageCode>)>, StoreError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let row = sqlx::query(
        "DELETE FROM invitations WHERE id = ? AND clinician_id = ? AND expiry > ? \
         AND q1_concern_expressed IS NOT NULL \
         RETURNING token_hash, administration, client_language",
    )
    .bind(id.as_str())
    .bind(owner.0)
    .bind(now)
    .fetch_optional(&mut *connection)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let hash: String = row.try_get("token_hash")?;
    let administration: String = row.try_get("administration")?;
    let language: Option<String> = row.try_get("client_language")?;
    invitations::spend(connection, &hash, now).await?;
    let administration = Administration::from_code(&administration)
        .ok_or_else(|| StoreError::Corrupt(format!("administration {administration:?}")))?;
    Ok(Some((
        administration,
        language.as_deref().and_then(LanguageCode::parse),
    )))
}

/// Inserts one screening under a fresh review code (inside the batch's transaction).
async fn insert(
    connection: &mut SqliteConnection,
    sql: &str,
    job: &SaveJob,
    origin: Origin,
) -> Result<ReviewCode, StoreError> {
    let (answers, outcome) = (&job.answers, &job.outcome);
    for _ in 0..CODE_ATTEMPTS {
        let code = ReviewCode::generate();
        let mut query = sqlx::query(sql)
            .bind(random_row_id())
            .bind(code.as_str())
            .bind(job.owner.0)
            .bind(job.year)
            .bind(outcome.rules_version.as_str());
        for question in IntakeQuestion::ALL {
            query = query.bind(intake_code(answers, question));
        }
        query = query
            .bind(answers.pattern.map(|pattern| pattern.code()))
            .bind(answers.control.code());
        for &indicator in Indicator::ALL {
            query = query.bind(answers.observed(indicator));
        }
        let inserted = query
            .bind(outcome.band.code())
            .bind(outcome.red_flags.len() as i64)
            .bind(outcome.further_investigation)
            .bind(outcome.referral)
            .bind(outcome.provisional)
            .bind(outcome.incomplete)
            .bind(origin.administration.code())
            .bind(origin.client_language.map(|code| code.to_string()))
            .bind(origin.corrected)
            .bind(job.prior.as_ref().map(ReviewCode::as_str))
            .bind(job.owner.0)
            .bind(job.owner.0)
            .bind(job.year)
            .execute(&mut *connection)
            .await?;
        if inserted.rows_affected() == 1 {
            return Ok(code);
        }
    }
    Err(StoreError::Corrupt(
        "could not find an unused review code and row id".into(),
    ))
}

impl Store {
    /// Stores a scored screening under a fresh review code and returns the code once the
    /// transaction holding it is durably committed. Concurrent calls share transactions
    /// (see [`write_batches`]).
    pub async fn save_screening(
        &self,
        owner: ClinicianId,
        answers: &Answers,
        outcome: &Outcome,
        year: i32,
    ) -> Result<ReviewCode, StoreError> {
        self.save_follow_up(owner, None, answers, outcome, year)
            .await
    }

    /// Stores a scored screening that follows the owner's screening `prior` (a re-screening),
    /// through the batch writer like [`Store::save_screening`].
    pub async fn save_follow_up(
        &self,
        owner: ClinicianId,
        prior: Option<&ReviewCode>,
        answers: &Answers,
        outcome: &Outcome,
        year: i32,
    ) -> Result<ReviewCode, StoreError> {
        self.save_job(owner, prior, answers, outcome, year, None)
            .await
    }

    /// Stores a scored screening whose intake answers the client gave through the owner's
    /// invitation `id`, and deletes the invitation in the same transaction.
    /// [`StoreError::InvitationGone`] when the invitation is not there to take (saved
    /// already, cancelled or expired); then nothing is stored. `corrected`: the clinician
    /// changed some of the client's answers.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_from_invitation(
        &self,
        owner: ClinicianId,
        prior: Option<&ReviewCode>,
        answers: &Answers,
        outcome: &Outcome,
        year: i32,
        id: &InvitationId,
        corrected: bool,
    ) -> Result<ReviewCode, StoreError> {
        let saved = self
            .save_job(
                owner,
                prior,
                answers,
                outcome,
                year,
                Some((id.clone(), corrected)),
            )
            .await;
        if saved.is_ok() {
            // The invitation is deleted: not left readable in the write-ahead log either.
            self.checkpoint().await;
        }
        saved
    }

    async fn save_job(
        &self,
        owner: ClinicianId,
        prior: Option<&ReviewCode>,
        answers: &Answers,
        outcome: &Outcome,
        year: i32,
        invitation: Option<(InvitationId, bool)>,
    ) -> Result<ReviewCode, StoreError> {
        let (done, committed) = oneshot::channel();
        let job = SaveJob {
            owner,
            prior: prior.cloned(),
            answers: answers.clone(),
            outcome: outcome.clone(),
            year,
            invitation,
            done,
        };
        let stopped = || StoreError::NotCommitted("the store is closed".into());
        self.screening_jobs.send(job).await.map_err(|_| stopped())?;
        committed.await.map_err(|_| stopped())?
    }

    /// The screening with this review code, if it is the owner's.
    pub async fn find_screening(
        &self,
        owner: ClinicianId,
        code: &ReviewCode,
    ) -> Result<Option<StoredScreening>, StoreError> {
        let row = sqlx::query(&format!(
            "{} WHERE s.review_code = ? AND s.clinician_id = ?",
            select_sql()
        ))
        .bind(code.as_str())
        .bind(owner.0)
        .fetch_optional(&self.readers)
        .await?;
        row.map(|row| decode(&row)).transpose()
    }

    /// A page of screenings, newest first (by year, then the owner's number within the year).
    /// Each filter is in the statement only when asked for, so that SQLite walks the matching
    /// index ((clinician_id, year, seq_in_year) or (clinician_id, band, year, seq_in_year))
    /// from the cursor instead of filtering row by row.
    pub async fn list_screenings(
        &self,
        query: &ScreeningQuery,
    ) -> Result<ScreeningPage, StoreError> {
        // The cursor's place first: bound as values, the row-value range below is an index
        // range; as a subquery SQLite would walk the cursor's whole year.
        let cursor: Option<(i32, i64)> = match &query.older_than {
            Some(code) => {
                let place = sqlx::query_as(
                    "SELECT year, seq_in_year FROM screenings WHERE review_code = ? AND clinician_id = ?",
                )
                .bind(code.as_str())
                .bind(query.owner.0)
                .fetch_optional(&self.readers)
                .await?;
                match place {
                    Some(place) => Some(place),
                    // Not the owner's (or deleted meanwhile): nothing is older than it.
                    None => {
                        return Ok(ScreeningPage {
                            screenings: Vec::new(),
                            next: None,
                        });
                    }
                }
            }
            None => None,
        };
        let mut sql = format!("{} WHERE s.clinician_id = ?", select_sql());
        if query.band.is_some() {
            sql.push_str(" AND s.band = ?");
        }
        if cursor.is_some() {
            sql.push_str(" AND (s.year, s.seq_in_year) < (?, ?)");
        }
        sql.push_str(" ORDER BY s.year DESC, s.seq_in_year DESC LIMIT ?");
        let mut statement = sqlx::query(&sql).bind(query.owner.0);
        if let Some(band) = query.band {
            statement = statement.bind(band.code());
        }
        if let Some((year, seq_in_year)) = cursor {
            statement = statement.bind(year).bind(seq_in_year);
        }
        let rows = statement
            .bind(i64::from(PAGE_SIZE) + 1)
            .fetch_all(&self.readers)
            .await?;
        let mut screenings = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
        let next = if screenings.len() > PAGE_SIZE as usize {
            screenings.truncate(PAGE_SIZE as usize);
            screenings.last().map(|last| last.review_code.clone())
        } else {
            None
        };
        Ok(ScreeningPage { screenings, next })
    }
}

impl Store {
    /// Deletes the owner's screening with this code and records, in the same transaction,
    /// that `actor` deleted a screening (without its code: a code with a time would date
    /// it); false when there is none. Returns once no file of the database holds the row
    /// any more (see [`Store::checkpoint`]).
    pub async fn delete_screening(
        &self,
        owner: ClinicianId,
        code: &ReviewCode,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let mut transaction = self.writer.begin().await?;
        let deleted =
            sqlx::query("DELETE FROM screenings WHERE review_code = ? AND clinician_id = ?")
                .bind(code.as_str())
                .bind(owner.0)
                .execute(&mut *transaction)
                .await?;
        if deleted.rows_affected() != 1 {
            return Ok(false);
        }
        super::audit::insert(
            &mut transaction,
            super::AuditEntry::new(actor, super::AuditAction::ScreeningDeleted)
                .detail("1 screening".to_owned()),
        )
        .await?;
        transaction.commit().await?;
        self.checkpoint().await;
        Ok(true)
    }
}

/// Screenings read per batch when exporting.
const EXPORT_BATCH: i64 = 500;

/// What an export will cover: a fixed set of rows, so the count audited is the count sent.
/// Rows are exported clinician by clinician, each clinician's oldest first.
#[derive(Debug, Clone)]
pub struct ExportExtent {
    /// How many screenings.
    pub count: i64,
    /// Each clinician's newest screening included, as (clinician, year, seq_in_year); later
    /// ones are left out.
    last: Vec<(i64, i32, i64)>,
}

/// Per-band counts and red-flag frequencies of one clinician's screenings.
#[derive(Debug, Clone, Default)]
pub struct ScreeningSummary {
    /// (year, band, count), by year then band.
    pub by_year: Vec<(i32, Band, i64)>,
    /// How many screenings in all.
    pub total: i64,
    /// How many raised a red flag on each question, in question order.
    pub red_flags: Vec<(IntakeQuestion, i64)>,
}

impl Store {
    /// Fixes what an export of the owner's screenings (everyone's when `None`) covers.
    pub async fn export_extent(
        &self,
        owner: Option<ClinicianId>,
    ) -> Result<ExportExtent, StoreError> {
        // One read transaction: the count and the bounds see the same rows.
        let mut snapshot = self.readers.begin().await?;
        let count = sqlx::query_scalar(
            "SELECT count(*) FROM screenings WHERE ?1 IS NULL OR clinician_id = ?1",
        )
        .bind(owner.map(|owner| owner.0))
        .fetch_one(&mut *snapshot)
        .await?;
        let last = sqlx::query_as(
            "SELECT s.clinician_id, s.year, max(s.seq_in_year) FROM screenings s \
             WHERE (?1 IS NULL OR s.clinician_id = ?1) \
               AND s.year = (SELECT max(year) FROM screenings t WHERE t.clinician_id = s.clinician_id) \
             GROUP BY s.clinician_id ORDER BY s.clinician_id",
        )
        .bind(owner.map(|owner| owner.0))
        .fetch_all(&mut *snapshot)
        .await?;
        snapshot.commit().await?;
        Ok(ExportExtent { count, last })
    }

    /// The screenings of an export, in batches (see [`ExportExtent`]): memory stays flat
    /// however many there are, and no read transaction is held open between batches.
    pub fn export_batches(
        &self,
        extent: ExportExtent,
    ) -> impl futures_util::Stream<Item = Result<Vec<StoredScreening>, StoreError>> + Send + 'static
    {
        let store = self.clone();
        // The state: which clinician of the extent, and the (year, seq_in_year) sent last.
        futures_util::stream::try_unfold((0_usize, (0_i32, 0_i64)), move |(index, after)| {
            let store = store.clone();
            let last = extent.last.clone();
            async move {
                let mut index = index;
                let mut after = after;
                while let Some(&(clinician, last_year, last_seq)) = last.get(index) {
                    let rows = sqlx::query(&format!(
                        "{} WHERE s.clinician_id = ?1 AND (s.year, s.seq_in_year) > (?2, ?3) \
                         AND (s.year, s.seq_in_year) <= (?4, ?5) \
                         ORDER BY s.year, s.seq_in_year LIMIT ?6",
                        select_sql()
                    ))
                    .bind(clinician)
                    .bind(after.0)
                    .bind(after.1)
                    .bind(last_year)
                    .bind(last_seq)
                    .bind(EXPORT_BATCH)
                    .fetch_all(&store.readers)
                    .await?;
                    let Some(row) = rows.last() else {
                        index += 1;
                        after = (0, 0);
                        continue;
                    };
                    let next_after = (row.try_get("year")?, row.try_get("seq_in_year")?);
                    let batch = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
                    return Ok(Some((batch, (index, next_after))));
                }
                Ok(None)
            }
        })
    }

    /// Counts for the owner's dashboard.
    pub async fn summary(&self, owner: ClinicianId) -> Result<ScreeningSummary, StoreError> {
        let rows = sqlx::query(
            "SELECT year, band, count(*) AS count FROM screenings WHERE clinician_id = ? \
             GROUP BY year, band ORDER BY year",
        )
        .bind(owner.0)
        .fetch_all(&self.readers)
        .await?;
        let mut summary = ScreeningSummary::default();
        for row in rows {
            let band: String = row.try_get("band")?;
            let band = Band::from_code(&band)
                .ok_or_else(|| StoreError::Corrupt(format!("band {band:?}")))?;
            let count: i64 = row.try_get("count")?;
            summary.total += count;
            summary.by_year.push((row.try_get("year")?, band, count));
        }
        summary
            .by_year
            .sort_by_key(|(year, band, _)| (*year, *band));

        let flags: Vec<String> = IntakeQuestion::ALL
            .iter()
            .map(|question| {
                format!(
                    "coalesce(sum({}), 0) AS {}",
                    red_flag_sql(*question),
                    question.field()
                )
            })
            .collect();
        let row = sqlx::query(&format!(
            "SELECT {} FROM screenings WHERE clinician_id = ?",
            flags.join(", ")
        ))
        .bind(owner.0)
        .fetch_one(&self.readers)
        .await?;
        for question in IntakeQuestion::ALL {
            summary
                .red_flags
                .push((question, row.try_get(question.field())?));
        }
        Ok(summary)
    }
}

/// An SQL expression that is 1 when a stored answer raises a red flag (SPEC §2.1), built from
/// the instrument so it cannot drift from the rules.
fn red_flag_sql(question: IntakeQuestion) -> String {
    let column = question.field();
    if question == IntakeQuestion::Escape {
        let any_sexual: Vec<String> = crate::screening::CopingCode::sexual_or_romantic()
            .map(|code| format!("(' ' || {column} || ' ') LIKE '% {} %'", code.code()))
            .collect();
        format!("(CASE WHEN {} THEN 1 ELSE 0 END)", any_sexual.join(" OR "))
    } else {
        format!("(CASE WHEN {column} = 'yes' THEN 1 ELSE 0 END)")
    }
}

/// The most screenings a trajectory shows.
const TRAJECTORY_LIMIT: i64 = 100;

impl Store {
    /// The owner's screenings linked to this one through re-screening — the ones it follows
    /// and the ones that follow it — oldest first, itself included.
    pub async fn trajectory(
        &self,
        owner: ClinicianId,
        code: &ReviewCode,
    ) -> Result<Vec<StoredScreening>, StoreError> {
        let rows = sqlx::query(&format!(
            "WITH RECURSIVE \
               earlier(id, prior_id) AS ( \
                 SELECT id, prior_id FROM screenings WHERE review_code = ?1 AND clinician_id = ?2 \
                 UNION SELECT t.id, t.prior_id FROM screenings t JOIN earlier e ON t.id = e.prior_id), \
               later(id) AS ( \
                 SELECT id FROM screenings WHERE review_code = ?1 AND clinician_id = ?2 \
                 UNION SELECT t.id FROM screenings t JOIN later l ON t.prior_id = l.id) \
             {} WHERE s.clinician_id = ?2 \
               AND s.id IN (SELECT id FROM earlier UNION SELECT id FROM later) \
             ORDER BY s.year, s.seq_in_year LIMIT ?3",
            select_sql()
        ))
        .bind(code.as_str())
        .bind(owner.0)
        .bind(TRAJECTORY_LIMIT)
        .fetch_all(&self.readers)
        .await?;
        rows.iter().map(decode).collect()
    }
}

/// The stored form of an intake answer: its code, or question 3's codes joined by spaces.
fn intake_code(answers: &Answers, question: IntakeQuestion) -> String {
    match answers.intake(question) {
        crate::screening::answers::IntakeAnswer::Reply(reply) => reply.code().to_owned(),
        crate::screening::answers::IntakeAnswer::Escape(escape) => escape.codes().join(" "),
    }
}

/// Reads a row back through the same parser the form and the JSON document use, so a stored
/// screening is exactly as valid as a submitted one.
fn decode(row: &SqliteRow) -> Result<StoredScreening, StoreError> {
    let corrupt = |what: String| StoreError::Corrupt(what);
    let code: String = row.try_get("review_code")?;
    let review_code: ReviewCode = code
        .parse()
        .map_err(|_| corrupt(format!("review code {code:?}")))?;
    let version: String = row.try_get("rules_version")?;
    let rules_version = RulesVersion::parse(&version)
        .ok_or_else(|| corrupt(format!("rules version {version:?}")))?;

    let mut fields: Vec<(&'static str, String)> = Vec::new();
    for question in IntakeQuestion::ALL {
        let value: String = row.try_get(question.field())?;
        if question == IntakeQuestion::Escape {
            fields.extend(
                value
                    .split(' ')
                    .map(|code| (question.field(), code.to_owned())),
            );
        } else {
            fields.push((question.field(), value));
        }
    }
    let pattern: Option<String> = row.try_get(PATTERN_FIELD)?;
    fields.push((PATTERN_FIELD, pattern.unwrap_or_default()));
    fields.push((CONTROL_FIELD, row.try_get(CONTROL_FIELD)?));
    for &indicator in Indicator::ALL {
        let observed: bool = row.try_get(indicator.code())?;
        fields.push((indicator.code(), observed.to_string()));
    }
    let answers = Answers::from_form(fields.iter().map(|(field, value)| (*field, value.as_str())))
        .map_err(|errors| corrupt(format!("stored answers do not parse: {errors}")))?;
    let outcome = rules_version.score(&answers);
    let prior: Option<String> = row.try_get("prior_code")?;
    let administration: String = row.try_get("administration")?;
    let administration = Administration::from_code(&administration)
        .ok_or_else(|| corrupt(format!("administration {administration:?}")))?;
    let client_language: Option<String> = row.try_get("client_language")?;
    Ok(StoredScreening {
        review_code,
        year: row.try_get("year")?,
        answers,
        outcome,
        prior: prior.and_then(|code| code.parse().ok()),
        owner: row.try_get("owner")?,
        administration,
        client_language: client_language.as_deref().and_then(LanguageCode::parse),
        intake_corrected: row.try_get("intake_corrected")?,
    })
}
