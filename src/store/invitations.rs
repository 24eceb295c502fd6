//! Invitations for the client to answer the six intake questions themselves (PRODUCT §6).
//!
//! An invitation holds its owner, how it is answered (handed-over device or link), two match
//! words, its expiry, and — once the client has answered — the coded intake answers and the
//! language, and for a re-screening the earlier screening it follows (its row id, never its
//! review code). The token of the client's link is never stored, only its SHA-256; once an
//! invitation is answered, saved, cancelled or expired its hash moves to `spent_tokens` with
//! the reason, so the link answers 410 Gone (for a week) saying why, instead of 404.
//!
//! An invitation's life (PRODUCT §6.1): open until its expiry; a form opened before then is
//! still taken for [`EXPIRY_GRACE_SECS`] more; an expired one stays in its owner's list,
//! holding no answers, until dismissed or [`EXPIRED_LISTED_SECS`] after its expiry.

use std::sync::LazyLock;

use rand::Rng;
use sqlx::QueryBuilder;
use subtle::ConstantTimeEq;

use super::client_token::ClientToken;
use super::rows::{self, StoredRow, intake_code, intake_columns};
use super::{ClinicianId, Store, StoreError, Tx};
use crate::screening::{Administration, Answers, Coded, IntakeQuestion, LanguageCode, ReviewCode};

/// How long the hash of a spent token is kept, so its link answers 410 rather than 404.
const SPENT_TOKEN_DAYS: i64 = 7;
/// Attempts at match words no open invitation of the owner uses.
const WORD_ATTEMPTS: usize = 16;

/// How long after its expiry a link still takes the answers of a form opened before the
/// expiry: 30 minutes. A client who opened the questions in the waiting room and was called
/// in, or who answers slowly on a phone, must not lose every answer because the clock passed
/// the expiry while the page was open; half an hour covers a session's interruption, yet
/// the link opens no new form once it has expired, so the window grows no wider than one
/// form already in the client's hands. (A page load after the expiry says the link expired.)
pub const EXPIRY_GRACE_SECS: i64 = 30 * 60;

/// How long an expired invitation stays in its owner's list ("Expired · make a new link")
/// before it is swept, unless dismissed first. It holds no answers meanwhile.
pub const EXPIRED_LISTED_SECS: i64 = 24 * 60 * 60;

/// An invitation's id in the clinician's addresses (`/invitations/{id}`): 64 random bits in
/// lowercase hex. Not a secret — only its owner can open it — and not the client's token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InvitationId(String);

impl InvitationId {
    fn generate() -> InvitationId {
        InvitationId(format!("{:016x}", rand::rng().random::<u64>()))
    }

    /// Sixteen lowercase hex digits, or nothing.
    pub fn parse(text: &str) -> Option<InvitationId> {
        (text.len() == 16
            && text
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte)))
        .then(|| InvitationId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for InvitationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Words that read the same in English and Spanish, so the client and the clinician see the
/// same two words whatever language the client chose. Things, then animals.
const FIRST_WORDS: &[&str] = &[
    "piano",
    "radio",
    "hotel",
    "taxi",
    "tango",
    "salsa",
    "golf",
    "motor",
    "robot",
    "tractor",
    "chocolate",
    "pizza",
    "mango",
    "papaya",
    "kiwi",
    "coral",
    "canal",
    "cacao",
    "metal",
    "idea",
    "animal",
];
const SECOND_WORDS: &[&str] = &[
    "panda", "koala", "jaguar", "puma", "llama", "alpaca", "tapir", "okapi", "dingo", "yak",
    "coyote", "cobra",
];

fn match_words() -> String {
    let mut rng = rand::rng();
    format!(
        "{} {}",
        FIRST_WORDS[rng.random_range(0..FIRST_WORDS.len())],
        SECOND_WORDS[rng.random_range(0..SECOND_WORDS.len())]
    )
}

/// An invitation as its owner sees it.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: InvitationId,
    pub owner: ClinicianId,
    pub administration: Administration,
    /// Two words shown to the client after answering and to the clinician beside it.
    pub match_words: String,
    /// When it expires, in unix seconds.
    pub expiry: i64,
    /// The language the client answered in, once answered.
    pub language: Option<LanguageCode>,
    /// The client's intake answers (the details are left at their defaults), once answered.
    pub answers: Option<Answers>,
    /// The review code of the owner's earlier screening this re-screening follows, if any
    /// (stored as the screening's row id; unlinked when that screening is deleted).
    pub prior: Option<ReviewCode>,
}

impl Invitation {
    /// True once the client has sent their answers.
    pub fn is_answered(&self) -> bool {
        self.answers.is_some()
    }

    /// True once it can bring no answers any more: its expiry has passed and, for one not
    /// answered, the grace period too (a form the client opened before the expiry may still
    /// come in: PRODUCT §6.1). An expired invitation holds no answers.
    pub fn is_expired(&self, now: i64) -> bool {
        let grace = if self.is_answered() {
            0
        } else {
            EXPIRY_GRACE_SECS
        };
        self.expiry + grace <= now
    }

    /// True once its link opens no new form (the expiry has passed).
    pub fn is_closed(&self, now: i64) -> bool {
        self.expiry <= now
    }
}

/// Why a client's link no longer opens the questions: each has its own calm page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spent {
    /// The client sent their answers.
    Used,
    /// The clinician cancelled the invitation or made a new link.
    Cancelled,
    /// Its time ran out.
    Expired,
}

impl Spent {
    /// The stored code (`spent_tokens.reason`).
    pub fn code(self) -> &'static str {
        match self {
            Spent::Used => "used",
            Spent::Cancelled => "cancelled",
            Spent::Expired => "expired",
        }
    }

    fn from_code(code: &str) -> Spent {
        match code {
            "used" => Spent::Used,
            "expired" => Spent::Expired,
            // 'cancelled', and anything unforeseen: "no longer available" is always true.
            _ => Spent::Cancelled,
        }
    }
}

/// A new invitation and its client token, which exists only in this value and the link.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub invitation: Invitation,
    /// The token for `/c/{token}`; only its hash is stored.
    pub token: ClientToken,
}

/// What a client token opens.
#[derive(Debug, Clone)]
pub enum TokenLookup {
    /// An invitation waiting for the client's answers.
    Open(Invitation),
    /// Expired less than [`EXPIRY_GRACE_SECS`] ago and unanswered: a page load says it
    /// expired, but a form opened before the expiry is still taken.
    Grace(Invitation),
    /// Used, cancelled or expired: 410 Gone, saying which.
    Gone(Spent),
    /// No such token: 404.
    Unknown,
}

/// Selects invitations, each with its prior's code as `prior_code`.
static SELECT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT id, token_hash, clinician_id, administration, match_words, expiry, \
         client_language, {}, \
         (SELECT p.review_code FROM screenings p WHERE p.id = invitations.prior_id) AS prior_code \
         FROM invitations",
        intake_columns().collect::<Vec<_>>().join(", ")
    )
});

/// `client_language = NULL` and every intake answer `= NULL`: an invitation holding no answers.
static NO_ANSWERS: LazyLock<String> = LazyLock::new(|| {
    std::iter::once("client_language")
        .chain(intake_columns())
        .map(|column| format!("{column} = NULL"))
        .collect::<Vec<_>>()
        .join(", ")
});

/// Deletes the owner's answered invitation `id` if unexpired at `now`, returning what the
/// screening saved from it keeps.
static TAKE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "DELETE FROM invitations WHERE id = $1 AND clinician_id = $2 AND expiry > $3 \
         AND q1_concern_expressed IS NOT NULL \
         RETURNING token_hash, administration, client_language, {}",
        intake_columns().collect::<Vec<_>>().join(", ")
    )
});

fn decode(row: &impl StoredRow) -> Result<Invitation, StoreError> {
    let corrupt = |what: String| StoreError::Corrupt(format!("invitation: {what}"));
    let id = row.text("id")?;
    let id = InvitationId::parse(&id).ok_or_else(|| corrupt(format!("id {id:?}")))?;
    let administration = row.text("administration")?;
    let administration = Administration::from_code(&administration)
        .ok_or_else(|| corrupt(format!("administration {administration:?}")))?;
    let language = rows::client_language(row)?;
    let answers = rows::intake_answers(row)?
        .map(|intake| rows::answers(row, intake, false))
        .transpose()?;
    Ok(Invitation {
        id,
        owner: ClinicianId(row.int("clinician_id")?),
        administration,
        match_words: row.text("match_words")?,
        expiry: row.int("expiry")?,
        language,
        answers,
        prior: row
            .maybe_text("prior_code")?
            .and_then(|code| code.parse().ok()),
    })
}

/// The day a spent token's hash may be forgotten: a whole day, so it dates nothing finer.
fn forget_after(now: i64) -> i64 {
    (now.div_euclid(86_400) + SPENT_TOKEN_DAYS + 1) * 86_400
}

/// Moves an invitation's token hash to `spent_tokens` (inside the caller's transaction),
/// with why; a hash spent already keeps its first reason (a link answered, then saved, stays
/// "used").
pub(super) async fn spend(
    transaction: &mut Tx<'_>,
    token_hash: &str,
    now: i64,
    reason: Spent,
) -> Result<(), StoreError> {
    on_tx!(transaction, connection => sqlx::query(
        "INSERT INTO spent_tokens (token_hash, forget_after, reason) VALUES ($1, $2, $3) \
         ON CONFLICT (token_hash) DO NOTHING",
    )
    .bind(token_hash)
    .bind(forget_after(now))
    .bind(reason.code())
    .execute(&mut *connection)
    .await?.rows_affected());
    Ok(())
}

/// What an answered invitation hands to the screening saved from it.
#[derive(Debug, Clone)]
pub(super) struct Taken {
    pub administration: Administration,
    pub language: Option<LanguageCode>,
    /// The client's own answers, kept with the screening to show what was corrected.
    pub answers: Answers,
}

/// Deletes the owner's answered invitation (inside the saving transaction) and spends its
/// token; returns how it was answered, or `None` when it is gone (saved already, cancelled,
/// expired) or not answered yet.
pub(super) async fn take(
    transaction: &mut Tx<'_>,
    owner: ClinicianId,
    id: &InvitationId,
) -> Result<Option<Taken>, StoreError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let taken = on_tx!(transaction, connection => {
        let row = sqlx::query(&TAKE)
        .bind(id.as_str())
        .bind(owner.0)
        .bind(now)
        .fetch_optional(&mut *connection)
        .await?;
        match row {
            None => None,
            Some(row) => {
                let intake = rows::intake_answers(&row)?
                    .ok_or_else(|| StoreError::Corrupt("invitation: answers missing".into()))?;
                Some((
                    row.text("token_hash")?,
                    row.text("administration")?,
                    rows::client_language(&row)?,
                    rows::answers(&row, intake, false)?,
                ))
            }
        }
    });
    let Some((hash, administration, language, answers)) = taken else {
        return Ok(None);
    };
    spend(transaction, &hash, now, Spent::Used).await?;
    let administration = Administration::from_code(&administration)
        .ok_or_else(|| StoreError::Corrupt(format!("administration {administration:?}")))?;
    Ok(Some(Taken {
        administration,
        language,
        answers,
    }))
}

/// An invitation as shown after its expiry: no answers, whatever the sweep has not yet
/// cleared.
fn without_stale_answers(mut invitation: Invitation, now: i64) -> Invitation {
    if invitation.is_expired(now) {
        invitation.answers = None;
        invitation.language = None;
    }
    invitation
}

impl Store {
    /// Makes an invitation for `owner` that expires at `expiry` (unix seconds), with match
    /// words none of the owner's other invitations uses (when the lists allow).
    pub async fn create_invitation(
        &self,
        owner: ClinicianId,
        administration: Administration,
        expiry: i64,
        prior: Option<&ReviewCode>,
    ) -> Result<NewInvitation, StoreError> {
        let taken: Vec<String> = on_pool!(self.readers(), pool => sqlx::query_scalar(
            "SELECT match_words FROM invitations WHERE clinician_id = $1",
        )
        .bind(owner.0)
        .fetch_all(pool)
        .await?);
        let mut words = match_words();
        for _ in 0..WORD_ATTEMPTS {
            if !taken.contains(&words) {
                break;
            }
            words = match_words();
        }
        let token = ClientToken::generate();
        let id = InvitationId::generate();
        // The prior is looked up by code among the owner's own screenings (none: no link).
        on_pool!(self.writer(), pool => sqlx::query(
            "INSERT INTO invitations (id, token_hash, clinician_id, administration, match_words, expiry, prior_id) \
             VALUES ($1, $2, $3, $4, $5, $6, \
             (SELECT id FROM screenings WHERE review_code = $7 AND clinician_id = $3))",
        )
        .bind(id.as_str())
        .bind(token.hash())
        .bind(owner.0)
        .bind(administration.code())
        .bind(&words)
        .bind(expiry)
        .bind(prior.map(ReviewCode::as_str))
        .execute(pool)
        .await?.rows_affected());
        Ok(NewInvitation {
            invitation: Invitation {
                id,
                owner,
                administration,
                match_words: words,
                expiry,
                language: None,
                answers: None,
                prior: prior.cloned(),
            },
            token,
        })
    }

    /// True when `token` is the client token of this invitation (compared in constant time);
    /// false for anything not shaped like a token.
    pub async fn token_matches(&self, id: &InvitationId, token: &str) -> Result<bool, StoreError> {
        let Some(token) = ClientToken::parse(token) else {
            return Ok(false);
        };
        let stored: Option<String> = on_pool!(self.readers(), pool => sqlx::query_scalar(
            "SELECT token_hash FROM invitations WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(pool)
        .await?);
        Ok(stored
            .is_some_and(|stored| bool::from(stored.as_bytes().ct_eq(token.hash().as_bytes()))))
    }

    /// The owner's invitation with this id, unexpired; `None` for anyone else's.
    pub async fn find_invitation(
        &self,
        owner: ClinicianId,
        id: &InvitationId,
        now: i64,
    ) -> Result<Option<Invitation>, StoreError> {
        self.owned_invitation(owner, id, now).await
    }

    /// The owner's invitation with this id, expired or not, while it is still listed; an
    /// expired one shows no answers. `None` for anyone else's.
    pub async fn find_listed_invitation(
        &self,
        owner: ClinicianId,
        id: &InvitationId,
        now: i64,
    ) -> Result<Option<Invitation>, StoreError> {
        let found = self
            .owned_invitation(owner, id, now - EXPIRED_LISTED_SECS)
            .await?;
        Ok(found.map(|invitation| without_stale_answers(invitation, now)))
    }

    /// The owner's invitation with this id that expires after `after`. Read on the readers:
    /// every write to invitations is committed before its request answers, so a reader sees
    /// it, and a read never waits for the batch writer's fsyncs.
    async fn owned_invitation(
        &self,
        owner: ClinicianId,
        id: &InvitationId,
        after: i64,
    ) -> Result<Option<Invitation>, StoreError> {
        on_pool!(self.readers(), pool => {
            let row = QueryBuilder::new(&*SELECT)
                .push(" WHERE id = ")
                .push_bind(id.as_str())
                .push(" AND clinician_id = ")
                .push_bind(owner.0)
                .push(" AND expiry > ")
                .push_bind(after)
                .build()
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(decode).transpose()
        })
    }

    /// The owner's invitations, unexpired and expired ones still listed: answered ones
    /// first, then open ones, then expired ones, each by expiry. Expired ones show no answers.
    pub async fn list_invitations(
        &self,
        owner: ClinicianId,
        now: i64,
    ) -> Result<Vec<Invitation>, StoreError> {
        let found: Vec<Invitation> = on_pool!(self.readers(), pool => {
            let rows = QueryBuilder::new(&*SELECT)
                .push(" WHERE clinician_id = ")
                .push_bind(owner.0)
                .push(" AND expiry > ")
                .push_bind(now - EXPIRED_LISTED_SECS)
                .push(" ORDER BY expiry <= ")
                .push_bind(now)
                .push(", q1_concern_expressed IS NULL, expiry LIMIT 200")
                .build()
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode).collect::<Result<_, StoreError>>()?
        });
        Ok(found
            .into_iter()
            .map(|invitation| without_stale_answers(invitation, now))
            .collect())
    }

    /// Deletes the owner's expired invitation from the list (its link keeps answering 410,
    /// "expired"); false when there is no such expired invitation.
    pub async fn dismiss_invitation(
        &self,
        owner: ClinicianId,
        id: &InvitationId,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut deletion = self.begin_deletion().await?;
        let hash: Option<String> = on_tx!(deletion.tx(), connection => sqlx::query_scalar(
            "DELETE FROM invitations WHERE id = $1 AND clinician_id = $2 \
             AND expiry + CASE WHEN q1_concern_expressed IS NULL THEN $4 ELSE 0 END <= $3 \
             RETURNING token_hash",
        )
        .bind(id.as_str())
        .bind(owner.0)
        .bind(now)
        .bind(EXPIRY_GRACE_SECS)
        .fetch_optional(&mut *connection)
        .await?);
        let Some(hash) = hash else {
            return Ok(false);
        };
        spend(deletion.tx(), &hash, now, Spent::Expired).await?;
        deletion.commit().await?;
        Ok(true)
    }

    /// Gives the owner's expired invitation a new link and a new expiry, as a link for the
    /// client's phone with no answers (its match words and earlier screening stay); the old
    /// link answers 410 "no longer available". `None` when there is no such expired one.
    pub async fn revive_invitation(
        &self,
        owner: ClinicianId,
        id: &InvitationId,
        now: i64,
        expiry: i64,
    ) -> Result<Option<ClientToken>, StoreError> {
        let token = ClientToken::generate();
        // Its answers, if the sweep has not cleared them yet, are deleted.
        let mut deletion = self.begin_deletion().await?;
        let old: Option<String> = on_tx!(deletion.tx(), connection => sqlx::query_scalar(
            "SELECT token_hash FROM invitations WHERE id = $1 AND clinician_id = $2 \
             AND expiry + CASE WHEN q1_concern_expressed IS NULL THEN $4 ELSE 0 END <= $3",
        )
        .bind(id.as_str())
        .bind(owner.0)
        .bind(now)
        .bind(EXPIRY_GRACE_SECS)
        .fetch_optional(&mut *connection)
        .await?);
        let Some(old) = old else {
            return Ok(None);
        };
        let revived = on_tx!(deletion.tx(), connection => QueryBuilder::new("UPDATE invitations SET token_hash = ")
            .push_bind(token.hash())
            .push(", expiry = ")
            .push_bind(expiry)
            .push(", administration = 'client_link', ")
            .push(&*NO_ANSWERS)
            .push(" WHERE id = ")
            .push_bind(id.as_str())
            .push(" AND token_hash = ")
            .push_bind(&old)
            .build()
            .execute(&mut *connection)
            .await?
            .rows_affected());
        if revived != 1 {
            return Ok(None);
        }
        spend(deletion.tx(), &old, now, Spent::Cancelled).await?;
        deletion.commit().await?;
        Ok(Some(token))
    }

    /// What a client token opens at `now`. Read on the readers (see
    /// [`Store::find_invitation`]).
    pub async fn client_token(
        &self,
        token: &ClientToken,
        now: i64,
    ) -> Result<TokenLookup, StoreError> {
        let hash = token.hash();
        let found = on_pool!(self.readers(), pool => {
            let row = QueryBuilder::new(&*SELECT)
                .push(" WHERE token_hash = ")
                .push_bind(&hash)
                .build()
                .fetch_optional(pool)
                .await?;
            match row {
                None => None,
                Some(row) => Some((row.text("token_hash")?, decode(&row)?)),
            }
        });
        if let Some((stored, invitation)) = found
            && bool::from(stored.as_bytes().ct_eq(hash.as_bytes()))
        {
            return Ok(if invitation.is_answered() {
                TokenLookup::Gone(Spent::Used)
            } else if invitation.expiry > now {
                TokenLookup::Open(invitation)
            } else if invitation.expiry + EXPIRY_GRACE_SECS > now {
                TokenLookup::Grace(invitation)
            } else {
                TokenLookup::Gone(Spent::Expired)
            });
        }
        let spent: Option<(String, String)> = on_pool!(self.readers(), pool => sqlx::query_as(
            "SELECT token_hash, reason FROM spent_tokens WHERE token_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(pool)
        .await?);
        Ok(match spent {
            Some((stored, reason)) if bool::from(stored.as_bytes().ct_eq(hash.as_bytes())) => {
                TokenLookup::Gone(Spent::from_code(&reason))
            }
            _ => TokenLookup::Unknown,
        })
    }

    /// Stores the client's intake answers on the open invitation of `token`, once: false
    /// when the token is not open any more (answered meanwhile, cancelled, or expired more
    /// than [`EXPIRY_GRACE_SECS`] ago — the caller takes answers after the expiry only from
    /// a form opened before it). The invitation then expires at `expiry` unless the
    /// clinician saves it first, and its link is spent.
    pub async fn record_client_answers(
        &self,
        token: &ClientToken,
        answers: &Answers,
        language: LanguageCode,
        now: i64,
        expiry: i64,
    ) -> Result<bool, StoreError> {
        let hash = token.hash();
        let codes: Vec<String> = IntakeQuestion::ALL
            .into_iter()
            .map(|question| intake_code(answers, question))
            .collect();
        let mut transaction = self.writer().begin().await?;
        let updated = on_tx!(&mut transaction, connection => {
            let mut query = QueryBuilder::new("UPDATE invitations SET client_language = ");
            query.push_bind(language.as_str()).push(", expiry = ").push_bind(expiry);
            for (column, code) in intake_columns().zip(&codes) {
                query.push(", ").push(column).push(" = ").push_bind(code);
            }
            query
                .push(" WHERE token_hash = ")
                .push_bind(&hash)
                .push(" AND q1_concern_expressed IS NULL AND expiry > ")
                .push_bind(now - EXPIRY_GRACE_SECS)
                .build()
                .execute(&mut *connection)
                .await?
                .rows_affected()
        });
        if updated != 1 {
            return Ok(false);
        }
        spend(&mut transaction, &hash, now, Spent::Used).await?;
        transaction.commit().await?;
        Ok(true)
    }

    /// Gives the owner's unanswered invitation a new client token (the old link then answers
    /// 410); `None` when there is no such open invitation.
    pub async fn renew_token(
        &self,
        owner: ClinicianId,
        id: &InvitationId,
        now: i64,
    ) -> Result<Option<ClientToken>, StoreError> {
        let token = ClientToken::generate();
        let mut transaction = self.writer().begin().await?;
        let old: Option<String> = on_tx!(&mut transaction, connection => sqlx::query_scalar(
            "SELECT token_hash FROM invitations WHERE id = $1 AND clinician_id = $2 \
             AND q1_concern_expressed IS NULL AND expiry > $3",
        )
        .bind(id.as_str())
        .bind(owner.0)
        .bind(now)
        .fetch_optional(&mut *connection)
        .await?);
        let Some(old) = old else {
            return Ok(None);
        };
        // Only if no one renewed it meanwhile (another tab, another instance).
        let renewed = on_tx!(&mut transaction, connection => sqlx::query(
            "UPDATE invitations SET token_hash = $1 WHERE id = $2 AND token_hash = $3",
        )
        .bind(token.hash())
        .bind(id.as_str())
        .bind(&old)
        .execute(&mut *connection)
        .await?
        .rows_affected());
        if renewed != 1 {
            return Ok(None);
        }
        spend(&mut transaction, &old, now, Spent::Cancelled).await?;
        transaction.commit().await?;
        Ok(Some(token))
    }

    /// Deletes the owner's invitation (its link then answers 410); false when there is none.
    pub async fn cancel_invitation(
        &self,
        owner: ClinicianId,
        id: &InvitationId,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut deletion = self.begin_deletion().await?;
        let hash: Option<String> = on_tx!(deletion.tx(), connection => sqlx::query_scalar(
            "DELETE FROM invitations WHERE id = $1 AND clinician_id = $2 RETURNING token_hash",
        )
        .bind(id.as_str())
        .bind(owner.0)
        .fetch_optional(&mut *connection)
        .await?);
        let Some(hash) = hash else {
            return Ok(false);
        };
        // An answered one's link was spent as "used" already, and stays so.
        spend(deletion.tx(), &hash, now, Spent::Cancelled).await?;
        deletion.commit().await?;
        Ok(true)
    }

    /// Deletes the answers of expired invitations (an answered one waits a day, then keeps
    /// nothing), deletes invitations expired more than [`EXPIRED_LISTED_SECS`] ago (their
    /// links answer 410 "expired"), and forgets spent tokens older than a week; returns how
    /// many invitations lost their answers or were deleted.
    pub async fn sweep_invitations(&self, now: i64) -> Result<u64, StoreError> {
        let mut deletion = self.begin_deletion().await?;
        let cleared = on_tx!(deletion.tx(), connection => QueryBuilder::new("UPDATE invitations SET ")
            .push(&*NO_ANSWERS)
            .push(" WHERE q1_concern_expressed IS NOT NULL AND expiry <= ")
            .push_bind(now)
            .build()
            .execute(&mut *connection)
            .await?
            .rows_affected());
        let hashes: Vec<String> = on_tx!(deletion.tx(), connection => sqlx::query_scalar(
            "DELETE FROM invitations WHERE expiry <= $1 RETURNING token_hash",
        )
        .bind(now - EXPIRED_LISTED_SECS)
        .fetch_all(&mut *connection)
        .await?);
        for hash in &hashes {
            spend(deletion.tx(), hash, now, Spent::Expired).await?;
        }
        let forgotten = on_tx!(deletion.tx(), connection => sqlx::query(
            "DELETE FROM spent_tokens WHERE forget_after <= $1",
        )
        .bind(now)
        .execute(&mut *connection)
        .await?.rows_affected());
        if cleared == 0 && hashes.is_empty() && forgotten == 0 {
            // Nothing changed: no commit, no checkpoint.
            return Ok(0);
        }
        deletion.commit().await?;
        Ok(cleared + hashes.len() as u64)
    }

    /// Sweeps expired invitations every `period`, until the store fails (run it as a task).
    pub async fn sweep_invitations_every(self, period: std::time::Duration) {
        let mut ticks = tokio::time::interval(period);
        loop {
            ticks.tick().await;
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            if let Err(error) = self.sweep_invitations(now).await {
                tracing::warn!(%error, "could not sweep expired invitations");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_their_shape() {
        let id = InvitationId::generate();
        assert_eq!(InvitationId::parse(id.as_str()), Some(id));
        assert_eq!(InvitationId::parse("0123456789ABCDEF"), None);
        assert_eq!(InvitationId::parse("../../etc/passwd"), None);
    }

    #[test]
    fn spent_tokens_are_forgotten_on_a_whole_day_a_week_on() {
        let now = 1_700_000_123;
        let day = forget_after(now);
        assert_eq!(day % 86_400, 0);
        assert!(day - now > SPENT_TOKEN_DAYS * 86_400);
        assert!(day - now <= (SPENT_TOKEN_DAYS + 1) * 86_400);
    }

    #[test]
    fn match_words_are_two_words() {
        for _ in 0..50 {
            assert_eq!(match_words().split(' ').count(), 2);
        }
    }
}
