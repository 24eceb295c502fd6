//! Reading many screenings at once: exports in batches, and the dashboard's counts.

use super::rows::StoredRow;
use super::screenings::{StoredScreening, decode, select_sql};
use super::{ClinicianId, Pool, Store, StoreError};
use crate::screening::{Band, Coded, IntakeQuestion};

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
        let owner = owner.map(|owner| owner.0);
        // One read transaction: the count and the bounds see the same rows.
        let mut snapshot = self.readers().begin().await?;
        if let super::Tx::Postgres(connection) = &mut snapshot {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut **connection)
                .await?;
        }
        let (count, last) = on_tx!(&mut snapshot, connection => {
            let count: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM screenings WHERE CAST($1 AS BIGINT) IS NULL OR clinician_id = $1",
            )
            .bind(owner)
            .fetch_one(&mut *connection)
            .await?;
            let last: Vec<(i64, i32, i64)> = sqlx::query_as(
                "SELECT s.clinician_id, s.year, max(s.seq_in_year) FROM screenings s \
                 WHERE (CAST($1 AS BIGINT) IS NULL OR s.clinician_id = $1) \
                   AND s.year = (SELECT max(year) FROM screenings t WHERE t.clinician_id = s.clinician_id) \
                 GROUP BY s.clinician_id, s.year ORDER BY s.clinician_id",
            )
            .bind(owner)
            .fetch_all(&mut *connection)
            .await?;
            (count, last)
        });
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
        let sql = format!(
            "{} WHERE s.clinician_id = $1 AND (s.year, s.seq_in_year) > ($2, $3) \
             AND (s.year, s.seq_in_year) <= ($4, $5) \
             ORDER BY s.year, s.seq_in_year LIMIT $6",
            select_sql()
        );
        // The state: which clinician of the extent, and the (year, seq_in_year) sent last.
        futures_util::stream::try_unfold((0_usize, (0_i32, 0_i64)), move |(index, after)| {
            let store = store.clone();
            let last = extent.last.clone();
            let sql = sql.clone();
            async move {
                let mut index = index;
                let mut after = after;
                while let Some(&(clinician, last_year, last_seq)) = last.get(index) {
                    let read = on_pool!(store.readers(), pool => {
                        let rows = sqlx::query(&sql)
                            .bind(clinician)
                            .bind(after.0)
                            .bind(after.1)
                            .bind(last_year)
                            .bind(last_seq)
                            .bind(EXPORT_BATCH)
                            .fetch_all(pool)
                            .await?;
                        match rows.last() {
                            None => None,
                            Some(row) => Some((
                                (row.year("year")?, row.int("seq_in_year")?),
                                rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?,
                            )),
                        }
                    });
                    let Some((next_after, batch)) = read else {
                        index += 1;
                        after = (0, 0);
                        continue;
                    };
                    return Ok::<_, StoreError>(Some((batch, (index, next_after))));
                }
                Ok(None)
            }
        })
    }

    /// Counts for the owner's dashboard.
    pub async fn summary(&self, owner: ClinicianId) -> Result<ScreeningSummary, StoreError> {
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
        let flags_sql = format!(
            "SELECT {} FROM screenings WHERE clinician_id = $1",
            flags.join(", ")
        );
        let readers: Pool<'_> = self.readers();
        let (counts, flag_counts) = on_pool!(readers, pool => {
            let rows = sqlx::query(
                "SELECT year, band, count(*) AS count FROM screenings WHERE clinician_id = $1 \
                 GROUP BY year, band ORDER BY year",
            )
            .bind(owner.0)
            .fetch_all(pool)
            .await?;
            let counts = rows
                .iter()
                .map(|row| Ok((row.year("year")?, row.text("band")?, row.int("count")?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            let row = sqlx::query(&flags_sql).bind(owner.0).fetch_one(pool).await?;
            let flag_counts = IntakeQuestion::ALL
                .iter()
                .map(|question| row.int(question.field()))
                .collect::<Result<Vec<_>, StoreError>>()?;
            (counts, flag_counts)
        });
        let mut summary = ScreeningSummary::default();
        for (year, band, count) in counts {
            let band = Band::from_code(&band)
                .ok_or_else(|| StoreError::Corrupt(format!("band {band:?}")))?;
            summary.total += count;
            summary.by_year.push((year, band, count));
        }
        summary
            .by_year
            .sort_by_key(|(year, band, _)| (*year, *band));
        summary.red_flags = IntakeQuestion::ALL.into_iter().zip(flag_counts).collect();
        Ok(summary)
    }
}

/// An SQL expression that is 1 when a stored answer raises a red flag (PRODUCT §2.1), built from
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
