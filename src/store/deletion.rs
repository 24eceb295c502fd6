//! The one way to delete client data (PRODUCT §4): a transaction whose commit is followed by
//! SQLite's `wal_checkpoint(TRUNCATE)`, so that deleted rows do not linger in the write-ahead
//! log. Every delete of screenings, drafts and invitations (and every clearing of an
//! invitation's answers) runs in a [`Deletion`]; the batch writer, whose transaction is shared
//! by many saves, is the one exception, and [`Store::save`] checkpoints after it instead.

use super::{Store, StoreError, Tx};

/// A write transaction that deletes client data: [`Deletion::commit`] commits it and then
/// checkpoints (see [`Store::checkpoint`]). Dropped without a commit, it rolls back.
#[derive(Debug)]
pub(super) struct Deletion<'s> {
    store: &'s Store,
    transaction: Tx<'static>,
}

impl Store {
    /// Begins a deletion on the writer.
    pub(super) async fn begin_deletion(&self) -> Result<Deletion<'_>, StoreError> {
        Ok(Deletion {
            store: self,
            transaction: self.writer().begin().await?,
        })
    }
}

impl Deletion<'_> {
    /// The open transaction, for [`on_tx!`] and the helpers that take one.
    pub(super) fn tx(&mut self) -> &mut Tx<'static> {
        &mut self.transaction
    }

    /// Commits, then returns once no file of a SQLite database holds the deleted rows.
    pub(super) async fn commit(self) -> Result<(), StoreError> {
        self.transaction.commit().await?;
        self.store.checkpoint().await;
        Ok(())
    }
}
