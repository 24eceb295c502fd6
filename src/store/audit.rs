//! The audit trail: an append-only record of clinician actions with their time. Creating or
//! viewing a screening is never recorded, and a deletion is recorded without the review code,
//! so no time is ever tied to a review code (PRODUCT §4). A failed sign-in names the account
//! only when the typed name is one; anything else typed is never stored.

use super::rows::StoredRow;
use super::{Store, StoreError, Tx};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    SignedIn,
    SignInFailed,
    SignInThrottled,
    SignedOut,
    AccountCreated,
    AccountDeactivated,
    AccountActivated,
    PasswordChanged,
    PasswordReset,
    /// A clinician ended their own other sessions.
    OtherSessionsEnded,
    /// An administrator ended every session of a clinician.
    SessionsEnded,
    Exported,
    ScreeningDeleted,
    ScreeningsPurged,
    BackupTaken,
    /// A clinician enrolled a second factor (TOTP and recovery codes).
    TwoFactorEnrolled,
    /// A clinician removed their second factor.
    TwoFactorRemoved,
    /// An administrator (or the console) removed a clinician's second factor.
    TwoFactorReset,
    /// A recovery code was used for a second step.
    RecoveryCodeUsed,
    /// A second step was refused (a wrong, reused or expired code).
    TwoFactorFailed,
}

impl AuditAction {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            AuditAction::SignedIn => "signed_in",
            AuditAction::SignInFailed => "sign_in_failed",
            AuditAction::SignInThrottled => "sign_in_throttled",
            AuditAction::SignedOut => "signed_out",
            AuditAction::AccountCreated => "account_created",
            AuditAction::AccountDeactivated => "account_deactivated",
            AuditAction::AccountActivated => "account_activated",
            AuditAction::PasswordChanged => "password_changed",
            AuditAction::PasswordReset => "password_reset",
            AuditAction::OtherSessionsEnded => "other_sessions_ended",
            AuditAction::SessionsEnded => "sessions_ended",
            AuditAction::Exported => "exported",
            AuditAction::ScreeningDeleted => "screening_deleted",
            AuditAction::ScreeningsPurged => "screenings_purged",
            AuditAction::BackupTaken => "backup_taken",
            AuditAction::TwoFactorEnrolled => "two_factor_enrolled",
            AuditAction::TwoFactorRemoved => "two_factor_removed",
            AuditAction::TwoFactorReset => "two_factor_reset",
            AuditAction::RecoveryCodeUsed => "recovery_code_used",
            AuditAction::TwoFactorFailed => "two_factor_failed",
        }
    }
}

/// One thing to record.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// Who acted: an account's username, [`UNKNOWN_USERNAME`] or `console`.
    pub actor: &'a str,
    pub action: AuditAction,
    /// What it acted on: an account's username (never a review code).
    pub subject: Option<&'a str>,
    /// A coded detail, such as a row count.
    pub detail: Option<String>,
}

impl<'a> AuditEntry<'a> {
    /// An entry for `action` by `actor`, with no subject or detail yet.
    pub fn new(actor: &'a str, action: AuditAction) -> AuditEntry<'a> {
        AuditEntry {
            actor,
            action,
            subject: None,
            detail: None,
        }
    }

    /// What the action was done to: an account's username.
    pub fn subject(mut self, subject: impl Into<Option<&'a str>>) -> AuditEntry<'a> {
        self.subject = subject.into();
        self
    }

    /// A coded detail, such as a row count.
    pub fn detail(mut self, detail: impl Into<Option<String>>) -> AuditEntry<'a> {
        self.detail = detail.into();
        self
    }
}

/// The actor of a failed sign-in whose typed name is no account's.
pub const UNKNOWN_USERNAME: &str = "unknown username";

/// A recorded event.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub id: i64,
    pub occurred_at: String,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub detail: Option<String>,
}

/// How many audit events a page shows.
pub const AUDIT_PAGE_SIZE: i64 = 50;

/// The current time in UTC, to the second (RFC 3339).
fn now() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Appends an event inside the transaction that makes the change it records.
pub(super) async fn insert(
    transaction: &mut Tx<'_>,
    entry: AuditEntry<'_>,
) -> Result<(), StoreError> {
    let actor: String = entry.actor.chars().take(64).collect();
    on_tx!(transaction, connection => sqlx::query(
        "INSERT INTO audit_events (occurred_at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(now())
    .bind(&actor)
    .bind(entry.action.code())
    .bind(entry.subject)
    .bind(&entry.detail)
    .execute(&mut *connection)
    .await?.rows_affected());
    Ok(())
}

impl Store {
    /// Appends an event, stamped with the current time.
    pub async fn record(&self, entry: AuditEntry<'_>) -> Result<(), StoreError> {
        let mut transaction = self.writer().begin().await?;
        insert(&mut transaction, entry).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// A page of events, newest first, older than the event `before` when given.
    pub async fn audit_page(&self, before: Option<i64>) -> Result<Vec<AuditEvent>, StoreError> {
        on_pool!(self.readers(), pool => {
            let rows = sqlx::query(
                "SELECT id, occurred_at, actor, action, subject, detail FROM audit_events \
                 WHERE (CAST($1 AS BIGINT) IS NULL OR id < $1) ORDER BY id DESC LIMIT $2",
            )
            .bind(before)
            .bind(AUDIT_PAGE_SIZE)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(AuditEvent {
                        id: row.int("id")?,
                        occurred_at: row.text("occurred_at")?,
                        actor: row.text("actor")?,
                        action: row.text("action")?,
                        subject: row.maybe_text("subject")?,
                        detail: row.maybe_text("detail")?,
                    })
                })
                .collect()
        })
    }
}
