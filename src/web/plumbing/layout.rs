//! What every page shares: its title, the stylesheet, the citation, and who is signed in.

use super::assets;
use super::identity::SignedIn;
use crate::screening::guidance;

/// The signed-in clinician as the page header shows them.
#[derive(Debug, Clone)]
pub struct HeaderAccount {
    pub username: String,
    pub is_admin: bool,
    /// For the sign-out form.
    pub csrf_token: String,
}

/// The frame around every page.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The page's title, before the app's name.
    pub title: String,
    /// The stylesheet's address, with its content hash.
    pub stylesheet: &'static str,
    /// The clinical source, cited on every page.
    pub citation: &'static str,
    /// Who is signed in, if anyone.
    pub account: Option<HeaderAccount>,
}

impl Layout {
    /// The frame for a page seen without signing in.
    pub fn public(title: impl Into<String>) -> Layout {
        Layout {
            title: title.into(),
            stylesheet: assets::stylesheet_url(),
            citation: guidance::CITATION,
            account: None,
        }
    }

    /// The frame for a signed-in clinician's page.
    pub fn signed_in(title: impl Into<String>, signed_in: &SignedIn) -> Layout {
        Layout {
            account: Some(HeaderAccount {
                username: signed_in.username.to_string(),
                is_admin: signed_in.is_admin,
                csrf_token: signed_in.csrf_token.clone(),
            }),
            ..Layout::public(title)
        }
    }
}
