//! Who is signed in, as a type only: what the page layout, the gates and the handlers share,
//! with no dependency on how a session is kept.

use crate::accounts::Username;
use crate::store::ClinicianId;

/// The signed-in clinician of a request (put in it by the session's gate).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub id: ClinicianId,
    pub username: Username,
    pub is_admin: bool,
    pub csrf_token: String,
}
