//! What every request handler can reach.

use crate::store::Store;

/// Shared application state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
}
