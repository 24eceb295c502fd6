//! Reading and deleting screenings: coded answers, result, rules version and year under a
//! review code. Saving is [`super::screening_writer`]'s; exports and counts are
//! [`super::reports`]'.

use sqlx::QueryBuilder;

use super::rows::{self, StoredRow, answer_columns};
use super::screening_writer::{CLIENT_PREFIX, origin_columns};
use super::{ClinicianId, Store, StoreError};
use crate::screening::{
    Administration, Answers, Band, Coded, LanguageCode, Outcome, ReviewCode, RulesVersion,
};

/// How many screenings a list page shows.
pub const PAGE_SIZE: u32 = 25;

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
    /// The client's own intake answers as they sent them (details at their defaults), when
    /// the client answered and the screening was saved by this version or later.
    pub client_answers: Option<Answers>,
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

/// Selects screenings as `s`, each with its prior's code as `prior_code` and its owner's
/// username as `owner`.
pub(super) fn select_sql() -> String {
    let columns: Vec<String> = [
        "id",
        "review_code",
        "year",
        "seq_in_year",
        "rules_version",
        "band",
    ]
    .into_iter()
    .chain(answer_columns())
    .chain(origin_columns())
    .map(|column| format!("s.{column}"))
    .collect();
    format!(
        "SELECT {}, p.review_code AS prior_code, c.username AS owner FROM screenings s \
         LEFT JOIN screenings p ON p.id = s.prior_id \
         JOIN clinicians c ON c.id = s.clinician_id",
        columns.join(", ")
    )
}

impl Store {
    /// The screening with this review code, if it is the owner's.
    pub async fn find_screening(
        &self,
        owner: ClinicianId,
        code: &ReviewCode,
    ) -> Result<Option<StoredScreening>, StoreError> {
        let sql = format!(
            "{} WHERE s.review_code = $1 AND s.clinician_id = $2",
            select_sql()
        );
        on_pool!(self.readers(), pool => {
            let row = sqlx::query(&sql)
                .bind(code.as_str())
                .bind(owner.0)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(decode).transpose()
        })
    }

    /// A page of screenings, newest first (by year, then the owner's number within the year).
    /// Each filter is in the statement only when asked for, so that the database walks the
    /// matching index ((clinician_id, year, seq_in_year) or (clinician_id, band, year,
    /// seq_in_year)) from the cursor instead of filtering row by row.
    pub async fn list_screenings(
        &self,
        query: &ScreeningQuery,
    ) -> Result<ScreeningPage, StoreError> {
        // The cursor's place first: bound as values, the row-value range below is an index
        // range; as a subquery SQLite would walk the cursor's whole year.
        let cursor: Option<(i32, i64)> = match &query.older_than {
            Some(code) => {
                let place = on_pool!(self.readers(), pool => sqlx::query_as(
                    "SELECT year, seq_in_year FROM screenings WHERE review_code = $1 AND clinician_id = $2",
                )
                .bind(code.as_str())
                .bind(query.owner.0)
                .fetch_optional(pool)
                .await?);
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
        let mut screenings = on_pool!(self.readers(), pool => {
            let mut sql = QueryBuilder::new(select_sql());
            sql.push(" WHERE s.clinician_id = ").push_bind(query.owner.0);
            if let Some(band) = query.band {
                sql.push(" AND s.band = ").push_bind(band.code());
            }
            if let Some((year, seq_in_year)) = cursor {
                sql.push(" AND (s.year, s.seq_in_year) < (")
                    .push_bind(year)
                    .push(", ")
                    .push_bind(seq_in_year)
                    .push(")");
            }
            let rows = sql
                .push(" ORDER BY s.year DESC, s.seq_in_year DESC LIMIT ")
                .push_bind(i64::from(PAGE_SIZE) + 1)
                .build()
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?
        });
        let next = if screenings.len() > PAGE_SIZE as usize {
            screenings.truncate(PAGE_SIZE as usize);
            screenings.last().map(|last| last.review_code.clone())
        } else {
            None
        };
        Ok(ScreeningPage { screenings, next })
    }

    /// Deletes the owner's screening with this code and records, in the same transaction,
    /// that `actor` deleted a screening (without its code: a code with a time would date
    /// it); false when there is none. Returns once no file of a SQLite database holds the
    /// row any more (the write-ahead log is checkpointed after the commit).
    pub async fn delete_screening(
        &self,
        owner: ClinicianId,
        code: &ReviewCode,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let mut deletion = self.begin_deletion().await?;
        let deleted = on_tx!(deletion.tx(), connection => sqlx::query(
            "DELETE FROM screenings WHERE review_code = $1 AND clinician_id = $2",
        )
        .bind(code.as_str())
        .bind(owner.0)
        .execute(&mut *connection)
        .await?
        .rows_affected());
        if deleted != 1 {
            return Ok(false);
        }
        super::audit::insert(
            deletion.tx(),
            super::AuditEntry::new(actor, super::AuditAction::ScreeningDeleted)
                .detail("1 screening".to_owned()),
        )
        .await?;
        deletion.commit().await?;
        Ok(true)
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
        let sql = format!(
            "WITH RECURSIVE \
               earlier(id, prior_id) AS ( \
                 SELECT id, prior_id FROM screenings WHERE review_code = $1 AND clinician_id = $2 \
                 UNION SELECT t.id, t.prior_id FROM screenings t JOIN earlier e ON t.id = e.prior_id), \
               later(id) AS ( \
                 SELECT id FROM screenings WHERE review_code = $1 AND clinician_id = $2 \
                 UNION SELECT t.id FROM screenings t JOIN later l ON t.prior_id = l.id) \
             {} WHERE s.clinician_id = $2 \
               AND s.id IN (SELECT id FROM earlier UNION SELECT id FROM later) \
             ORDER BY s.year, s.seq_in_year LIMIT $3",
            select_sql()
        );
        on_pool!(self.readers(), pool => {
            let rows = sqlx::query(&sql)
                .bind(code.as_str())
                .bind(owner.0)
                .bind(TRAJECTORY_LIMIT)
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode).collect()
        })
    }
}

impl Store {
    /// The owner's screening with this code and its trajectory (see [`Store::trajectory`]),
    /// read in one query when the trajectory holds it (as it does unless it is longer than its
    /// limit); `None` when the screening is not the owner's.
    pub async fn screening_with_trajectory(
        &self,
        owner: ClinicianId,
        code: &ReviewCode,
    ) -> Result<Option<(StoredScreening, Vec<StoredScreening>)>, StoreError> {
        let trajectory = self.trajectory(owner, code).await?;
        let found = trajectory
            .iter()
            .find(|screening| screening.review_code == *code)
            .cloned();
        let screening = match found {
            Some(screening) => screening,
            None => match self.find_screening(owner, code).await? {
                Some(screening) => screening,
                None => return Ok(None),
            },
        };
        Ok(Some((screening, trajectory)))
    }
}

/// Reads a stored screening from its stored codes, and re-scores it by its rules version. The
/// stored band must be the one the re-scoring gives: a screening whose stored band differs
/// (changed outside the app, or a rules version that no longer scores as it did) is
/// [`StoreError::Corrupt`], never shown at either level.
pub(super) fn decode(row: &impl StoredRow) -> Result<StoredScreening, StoreError> {
    let corrupt = StoreError::Corrupt;
    let code = row.text("review_code")?;
    let review_code: ReviewCode = code
        .parse()
        .map_err(|_| corrupt(format!("review code {code:?}")))?;
    let version = row.text("rules_version")?;
    let rules_version = RulesVersion::parse(&version)
        .ok_or_else(|| corrupt(format!("rules version {version:?}")))?;
    let intake = rows::intake_answers(row)?
        .ok_or_else(|| corrupt("an intake answer is missing".to_owned()))?;
    let answers = rows::answers(row, intake, true)?;
    let outcome = rules_version.score(&answers);
    let stored_band = row.text("band")?;
    if Band::from_code(&stored_band) != Some(outcome.band) {
        // Neither level is named: the message reaches the log, which holds no results.
        return Err(corrupt(
            "the stored level is not the level its answers score by its rules version".to_owned(),
        ));
    }
    let administration = row.text("administration")?;
    let administration = Administration::from_code(&administration)
        .ok_or_else(|| corrupt(format!("administration {administration:?}")))?;
    Ok(StoredScreening {
        review_code,
        year: row.year("year")?,
        answers,
        outcome,
        prior: row
            .maybe_text("prior_code")?
            .and_then(|code| code.parse().ok()),
        owner: row.text("owner")?,
        administration,
        client_language: rows::client_language(row)?,
        intake_corrected: row.flag("intake_corrected")?,
        client_answers: rows::intake_answers_in(row, CLIENT_PREFIX)?
            .map(|intake| rows::answers(row, intake, false))
            .transpose()?,
    })
}
