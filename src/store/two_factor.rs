//! A clinician's second factor: the sealed TOTP secret, the last step accepted, and the
//! hashes of the unused recovery codes.

use super::audit::{self, AuditEntry};
use super::{AccountChangeError, Store, StoreError};
use crate::accounts::{AccountError, ClinicianId, Username};

/// What is stored of a clinician's TOTP: the sealed secret (see [`crate::two_factor`]).
#[derive(Clone)]
pub struct StoredTotp {
    pub sealed: Vec<u8>,
}

impl std::fmt::Debug for StoredTotp {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("StoredTotp(sealed)")
    }
}

impl Store {
    /// The clinician's TOTP, when enrolled.
    pub async fn two_factor(&self, id: ClinicianId) -> Result<Option<StoredTotp>, StoreError> {
        let sealed: Option<Vec<u8>> = on_pool!(self.writer(), pool => {
            sqlx::query_scalar("SELECT totp_sealed FROM two_factor WHERE clinician_id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(sealed.map(|sealed| StoredTotp { sealed }))
    }

    /// Enrols a clinician: the sealed secret, the step of the first code (already used), the
    /// recovery codes' hashes, and `audit`, in one transaction. False when already enrolled.
    pub async fn enrol_two_factor(
        &self,
        id: ClinicianId,
        sealed: &[u8],
        step: i64,
        recovery_hashes: &[Vec<u8>],
        audit: AuditEntry<'_>,
    ) -> Result<bool, StoreError> {
        let mut transaction = self.writer().begin().await?;
        let inserted = on_tx!(&mut transaction, connection => sqlx::query(
            "INSERT INTO two_factor (clinician_id, totp_sealed, last_step) VALUES ($1, $2, $3) \
             ON CONFLICT (clinician_id) DO NOTHING",
        )
        .bind(id.0)
        .bind(sealed)
        .bind(step)
        .execute(&mut *connection)
        .await?
        .rows_affected());
        if inserted == 0 {
            return Ok(false);
        }
        for hash in recovery_hashes {
            on_tx!(&mut transaction, connection => sqlx::query(
                "INSERT INTO recovery_codes (clinician_id, code_hash) VALUES ($1, $2)",
            )
            .bind(id.0)
            .bind(hash.as_slice())
            .execute(&mut *connection)
            .await?
            .rows_affected());
        }
        audit::insert(&mut transaction, audit).await?;
        transaction.commit().await?;
        Ok(true)
    }

    /// Accepts TOTP step `step` for the clinician when it is later than every step accepted
    /// before: one statement checks and sets it, so two instances (or two requests) cannot
    /// both accept a code (OWASP ASVS 5.0 V6.5.1).
    pub async fn accept_totp_step(&self, id: ClinicianId, step: i64) -> Result<bool, StoreError> {
        let updated = on_pool!(self.writer(), pool => sqlx::query(
            "UPDATE two_factor SET last_step = $2 WHERE clinician_id = $1 AND last_step < $2",
        )
        .bind(id.0)
        .bind(step)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(updated == 1)
    }

    /// Uses up the recovery code hashed `hash`, recording `audit` with it (its detail: how
    /// many are left): the number of codes left, or `None` when it is not an unused code of
    /// this clinician.
    pub async fn use_recovery_code(
        &self,
        id: ClinicianId,
        hash: &[u8],
        audit: AuditEntry<'_>,
    ) -> Result<Option<i64>, StoreError> {
        let mut transaction = self.writer().begin().await?;
        let deleted = on_tx!(&mut transaction, connection => sqlx::query(
            "DELETE FROM recovery_codes WHERE clinician_id = $1 AND code_hash = $2",
        )
        .bind(id.0)
        .bind(hash)
        .execute(&mut *connection)
        .await?
        .rows_affected());
        if deleted != 1 {
            return Ok(None);
        }
        let left: i64 = on_tx!(&mut transaction, connection => sqlx::query_scalar(
            "SELECT count(*) FROM recovery_codes WHERE clinician_id = $1",
        )
        .bind(id.0)
        .fetch_one(&mut *connection)
        .await?);
        audit::insert(&mut transaction, audit.detail(format!("{left} left"))).await?;
        transaction.commit().await?;
        Ok(Some(left))
    }

    /// Removes the clinician's second factor and recovery codes, recording `audit` with it.
    pub async fn remove_two_factor(
        &self,
        id: ClinicianId,
        audit: AuditEntry<'_>,
    ) -> Result<bool, StoreError> {
        let mut transaction = self.writer().begin().await?;
        let deleted = on_tx!(&mut transaction, connection => {
            sqlx::query("DELETE FROM recovery_codes WHERE clinician_id = $1")
                .bind(id.0)
                .execute(&mut *connection)
                .await?;
            sqlx::query("DELETE FROM two_factor WHERE clinician_id = $1")
                .bind(id.0)
                .execute(&mut *connection)
                .await?
                .rows_affected()
        });
        if deleted == 0 {
            return Ok(false);
        }
        audit::insert(&mut transaction, audit).await?;
        transaction.commit().await?;
        Ok(true)
    }

    /// Removes the second factor and recovery codes of the account `username`, for an
    /// administrator or the console (a clinician who lost their phone and codes), recording
    /// `audit` with it. False when it had none.
    pub async fn reset_two_factor(
        &self,
        username: &Username,
        audit: AuditEntry<'_>,
    ) -> Result<bool, AccountChangeError> {
        let clinician = self
            .find_clinician_by_username(username)
            .await?
            .ok_or(AccountError::UnknownUsername)?;
        Ok(self.remove_two_factor(clinician.id, audit).await?)
    }
}
