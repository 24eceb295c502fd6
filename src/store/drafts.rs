//! Drafts of an interrupted intake (PRODUCT §6.1): the coded answers recorded so far, owned by
//! the clinician, with no review code and no time but an expiry on the whole hour, at most
//! 24 hours after the draft was (last) saved. The same rules as an answered invitation:
//! deleted when the screening is saved (in the same transaction, see the screening writer),
//! when it is discarded, or by the sweep once it expires; and, on SQLite, once deleted it is
//! in no file of the database (`secure_delete` and a checkpoint after every delete).

use std::sync::LazyLock;

use rand::Rng;
use sqlx::QueryBuilder;

use super::invitations::InvitationId;
use super::rows::{StoredRow, answer_columns, coded, escape_from_codes};
use super::{ClinicianId, Store, StoreError, Tx};
use crate::screening::questions::{CONTROL_FIELD, PATTERN_FIELD};
use crate::screening::{Coded, DraftAnswers, Indicator, IntakeQuestion, Reply, ReviewCode};

/// How long a draft is kept after it is saved, at most.
pub const DRAFT_HOURS: i64 = 24;

/// A draft's id in the clinician's addresses (`/screenings/new?draft={id}`): 64 random bits
/// from the thread's CSPRNG, in lowercase hex; never a sequence. Only its owner can use it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DraftId(String);

impl DraftId {
    fn generate() -> DraftId {
        DraftId(format!("{:016x}", rand::rng().random::<u64>()))
    }

    /// Sixteen lowercase hex digits, or nothing.
    pub fn parse(text: &str) -> Option<DraftId> {
        (text.len() == 16
            && text
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte)))
        .then(|| DraftId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DraftId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// When a draft saved at `now` expires: the last whole hour at most [`DRAFT_HOURS`] later, so
/// the stored expiry dates the draft to the hour and no finer, and no draft is kept longer.
pub fn draft_expiry(now: i64) -> i64 {
    (now + DRAFT_HOURS * 3600).div_euclid(3600) * 3600
}

/// A draft as its owner sees it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub id: DraftId,
    pub owner: ClinicianId,
    /// When it expires, in unix seconds (a whole hour).
    pub expiry: i64,
    /// The review code of the earlier screening, for a re-screening (read through the stored
    /// internal id; `None` once that screening is deleted).
    pub prior: Option<ReviewCode>,
    /// The client's invitation whose answers the form started from, while it is there.
    pub invitation: Option<InvitationId>,
    pub answers: DraftAnswers,
}

/// What a draft id opens for its owner.
#[derive(Debug, Clone)]
pub enum DraftLookup {
    Open(Box<Draft>),
    /// Past its expiry, not swept yet: 410.
    Expired,
    /// No draft of this owner has the id (another's, unknown, or deleted): 404.
    NotFound,
}

/// A draft to save: the answers so far and what is needed to resume it.
#[derive(Debug, Clone)]
pub struct NewDraft<'a> {
    pub owner: ClinicianId,
    pub prior: Option<&'a ReviewCode>,
    pub invitation: Option<&'a InvitationId>,
    pub answers: &'a DraftAnswers,
    pub expiry: i64,
}

/// Selects drafts as `d`, each with its prior's code as `prior_code`.
static SELECT: LazyLock<String> = LazyLock::new(|| {
    let answers: Vec<String> = answer_columns()
        .map(|column| format!("d.{column}"))
        .collect();
    format!(
        "SELECT d.id, d.clinician_id, d.expiry, d.invitation_id, \
         p.review_code AS prior_code, {} \
         FROM drafts d LEFT JOIN screenings p ON p.id = d.prior_id AND p.clinician_id = d.clinician_id",
        answers.join(", ")
    )
});

/// One stored answer of a draft: a code (or none yet), or an indicator's flag.
enum StoredAnswer {
    Code(Option<String>),
    Flag(bool),
}

/// A draft's answers as stored, in the order of [`answer_columns`].
fn stored_answers(answers: &DraftAnswers) -> Vec<StoredAnswer> {
    IntakeQuestion::ALL
        .into_iter()
        .map(|question| StoredAnswer::Code(answers.intake_code(question)))
        .chain([
            StoredAnswer::Code(answers.pattern.map(|pattern| pattern.code().to_owned())),
            StoredAnswer::Code(Some(answers.control.code().to_owned())),
        ])
        .chain(
            Indicator::ALL
                .iter()
                .map(|indicator| StoredAnswer::Flag(answers.observed.contains(indicator))),
        )
        .collect()
}

/// Pushes a draft's answers onto a separated list of a [`QueryBuilder`], for both engines: as
/// values, or (`assign: true`) as `column = value` assignments.
macro_rules! push_answers {
    ($list:expr, $answers:expr, assign: $assign:expr) => {
        for (column, value) in answer_columns().zip(stored_answers($answers)) {
            $list.push(if $assign {
                format!("{column} = ")
            } else {
                String::new()
            });
            match value {
                StoredAnswer::Code(code) => $list.push_bind_unseparated(code),
                StoredAnswer::Flag(flag) => $list.push_bind_unseparated(flag),
            };
        }
    };
}

fn decode(row: &impl StoredRow) -> Result<Draft, StoreError> {
    // The id is not named: a corrupt row's message reaches the log.
    let corrupt = |what: &str| StoreError::Corrupt(format!("draft: {what}"));
    let id = DraftId::parse(&row.text("id")?).ok_or_else(|| corrupt("id"))?;
    let mut answers = DraftAnswers::default();
    for question in IntakeQuestion::ALL {
        let column = question.field();
        let Some(code) = row.maybe_text(column)? else {
            continue;
        };
        if question == IntakeQuestion::Escape {
            answers.escape = Some(escape_from_codes(column, &code)?);
        } else {
            answers
                .replies
                .insert(question, coded::<Reply>(column, &code)?);
        }
    }
    answers.pattern = row
        .maybe_text(PATTERN_FIELD)?
        .map(|code| coded(PATTERN_FIELD, &code))
        .transpose()?;
    answers.control = coded(CONTROL_FIELD, &row.text(CONTROL_FIELD)?)?;
    for &indicator in Indicator::ALL {
        if row.flag(indicator.code())? {
            answers.observed.insert(indicator);
        }
    }
    Ok(Draft {
        id,
        owner: ClinicianId(row.int("clinician_id")?),
        expiry: row.int("expiry")?,
        prior: row
            .maybe_text("prior_code")?
            .and_then(|code| code.parse().ok()),
        invitation: row
            .maybe_text("invitation_id")?
            .as_deref()
            .and_then(InvitationId::parse),
        answers,
    })
}

/// Deletes the owner's draft inside the saving transaction of its screening: `Ok(())` when
/// it was there and unexpired, else [`StoreError::DraftGone`] (the caller rolls back).
pub(super) async fn take(
    transaction: &mut Tx<'_>,
    owner: ClinicianId,
    id: &DraftId,
    now: i64,
) -> Result<Result<(), StoreError>, StoreError> {
    let expiry: Option<i64> = on_tx!(transaction, connection => sqlx::query_scalar(
        "DELETE FROM drafts WHERE id = $1 AND clinician_id = $2 RETURNING expiry",
    )
    .bind(id.as_str())
    .bind(owner.0)
    .fetch_optional(&mut *connection)
    .await?);
    Ok(match expiry {
        None => Err(StoreError::DraftGone { expired: false }),
        Some(expiry) if expiry <= now => Err(StoreError::DraftGone { expired: true }),
        Some(_) => Ok(()),
    })
}

impl Store {
    /// Saves a new draft and returns its id.
    pub async fn create_draft(&self, draft: &NewDraft<'_>) -> Result<DraftId, StoreError> {
        let columns: Vec<&str> = answer_columns().collect();
        let head = format!(
            "INSERT INTO drafts (id, clinician_id, expiry, prior_id, invitation_id, {}) VALUES (",
            columns.join(", ")
        );
        for _ in 0..4 {
            let id = DraftId::generate();
            // The prior and the invitation are kept only when they are the owner's own.
            let inserted = on_pool!(self.writer(), pool => {
                let mut query = QueryBuilder::new(&head);
                let mut values = query.separated(", ");
                values
                    .push_bind(id.as_str())
                    .push_bind(draft.owner.0)
                    .push_bind(draft.expiry)
                    .push("(SELECT id FROM screenings WHERE review_code = ")
                    .push_bind_unseparated(draft.prior.map(ReviewCode::as_str))
                    .push_unseparated(" AND clinician_id = ")
                    .push_bind_unseparated(draft.owner.0)
                    .push_unseparated(")")
                    .push("(SELECT id FROM invitations WHERE id = ")
                    .push_bind_unseparated(draft.invitation.map(InvitationId::as_str))
                    .push_unseparated(" AND clinician_id = ")
                    .push_bind_unseparated(draft.owner.0)
                    .push_unseparated(")");
                push_answers!(values, draft.answers, assign: false);
                query
                    .push(") ON CONFLICT DO NOTHING")
                    .build()
                    .execute(pool)
                    .await?
                    .rows_affected()
            });
            if inserted == 1 {
                return Ok(id);
            }
        }
        Err(StoreError::NotCommitted(
            "no unused draft id was found".into(),
        ))
    }

    /// Replaces the answers of the owner's unexpired draft `id` (a draft resumed and saved
    /// again; its expiry starts again too). `Expired` or `NotFound` (nothing changed) when it
    /// is not there to update.
    pub async fn update_draft(
        &self,
        id: &DraftId,
        draft: &NewDraft<'_>,
        now: i64,
    ) -> Result<DraftLookup, StoreError> {
        let updated = on_pool!(self.writer(), pool => {
            let mut query = QueryBuilder::new("UPDATE drafts SET ");
            let mut sets = query.separated(", ");
            sets.push("expiry = ")
                .push_bind_unseparated(draft.expiry)
                .push("prior_id = (SELECT id FROM screenings WHERE review_code = ")
                .push_bind_unseparated(draft.prior.map(ReviewCode::as_str))
                .push_unseparated(" AND clinician_id = ")
                .push_bind_unseparated(draft.owner.0)
                .push_unseparated(")")
                .push("invitation_id = (SELECT id FROM invitations WHERE id = ")
                .push_bind_unseparated(draft.invitation.map(InvitationId::as_str))
                .push_unseparated(" AND clinician_id = ")
                .push_bind_unseparated(draft.owner.0)
                .push_unseparated(")");
            push_answers!(sets, draft.answers, assign: true);
            query
                .push(" WHERE id = ")
                .push_bind(id.as_str())
                .push(" AND clinician_id = ")
                .push_bind(draft.owner.0)
                .push(" AND expiry > ")
                .push_bind(now)
                .build()
                .execute(pool)
                .await?
                .rows_affected()
        });
        if updated == 1 {
            return self.find_draft(draft.owner, id, now).await;
        }
        Ok(match self.find_draft(draft.owner, id, now).await? {
            DraftLookup::Open(_) => DraftLookup::NotFound,
            other => other,
        })
    }

    /// The owner's draft with this id: open, expired, or not found (anyone else's is not
    /// found).
    pub async fn find_draft(
        &self,
        owner: ClinicianId,
        id: &DraftId,
        now: i64,
    ) -> Result<DraftLookup, StoreError> {
        let draft = on_pool!(self.readers(), pool => {
            let row = QueryBuilder::new(&*SELECT)
                .push(" WHERE d.id = ")
                .push_bind(id.as_str())
                .push(" AND d.clinician_id = ")
                .push_bind(owner.0)
                .build()
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(decode).transpose()?
        });
        Ok(match draft {
            None => DraftLookup::NotFound,
            Some(draft) if draft.expiry <= now => DraftLookup::Expired,
            Some(draft) => DraftLookup::Open(Box::new(draft)),
        })
    }

    /// The owner's unexpired drafts, those expiring first first.
    pub async fn list_drafts(
        &self,
        owner: ClinicianId,
        now: i64,
    ) -> Result<Vec<Draft>, StoreError> {
        on_pool!(self.readers(), pool => {
            let rows = QueryBuilder::new(&*SELECT)
                .push(" WHERE d.clinician_id = ")
                .push_bind(owner.0)
                .push(" AND d.expiry > ")
                .push_bind(now)
                .push(" ORDER BY d.expiry, d.id LIMIT 100")
                .build()
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode).collect()
        })
    }

    /// Deletes the owner's unexpired draft (then in no file of the database); `Expired` or
    /// `NotFound` (nothing deleted) otherwise, `Open` with the deleted draft on success.
    pub async fn discard_draft(
        &self,
        owner: ClinicianId,
        id: &DraftId,
        now: i64,
    ) -> Result<DraftLookup, StoreError> {
        let found = self.find_draft(owner, id, now).await?;
        if !matches!(found, DraftLookup::Open(_)) {
            return Ok(found);
        }
        let mut deletion = self.begin_deletion().await?;
        let deleted = on_tx!(deletion.tx(), connection => sqlx::query(
            "DELETE FROM drafts WHERE id = $1 AND clinician_id = $2 AND expiry > $3",
        )
        .bind(id.as_str())
        .bind(owner.0)
        .bind(now)
        .execute(&mut *connection)
        .await?
        .rows_affected());
        if deleted == 0 {
            // Saved or discarded meanwhile (another tab, another instance).
            return Ok(DraftLookup::NotFound);
        }
        deletion.commit().await?;
        Ok(found)
    }

    /// Deletes expired drafts; returns how many.
    pub async fn sweep_drafts(&self, now: i64) -> Result<u64, StoreError> {
        let mut deletion = self.begin_deletion().await?;
        let deleted = on_tx!(deletion.tx(), connection => sqlx::query(
            "DELETE FROM drafts WHERE expiry <= $1",
        )
        .bind(now)
        .execute(&mut *connection)
        .await?
        .rows_affected());
        if deleted > 0 {
            deletion.commit().await?;
        }
        Ok(deleted)
    }

    /// Sweeps expired drafts every `period`, until the store fails (run it as a task).
    pub async fn sweep_drafts_every(self, period: std::time::Duration) {
        let mut ticks = tokio::time::interval(period);
        loop {
            ticks.tick().await;
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            if let Err(error) = self.sweep_drafts(now).await {
                tracing::warn!(%error, "could not sweep expired drafts");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_hex_and_nothing_else_parses() {
        let id = DraftId::generate();
        assert_eq!(DraftId::parse(id.as_str()), Some(id.clone()));
        assert_ne!(DraftId::generate(), id);
        for bad in [
            "0123456789ABCDEF",
            "../../etc/passwd",
            "1",
            "0123456789abcdef0",
            "",
        ] {
            assert_eq!(DraftId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_draft_expires_on_the_whole_hour_within_a_day() {
        for now in [1_700_000_000, 1_700_003_599, 1_700_003_600] {
            let expiry = draft_expiry(now);
            assert_eq!(expiry % 3600, 0);
            assert!(expiry <= now + DRAFT_HOURS * 3600);
            assert!(expiry > now + (DRAFT_HOURS - 1) * 3600);
        }
    }
}
