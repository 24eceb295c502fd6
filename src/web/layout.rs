//! What every page shares: its title and the address of the stylesheet.

use super::assets;
use crate::screening::guidance;

/// The frame around every page.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The page's title, before the app's name.
    pub title: String,
    /// The stylesheet's address, with its content hash.
    pub stylesheet: &'static str,
    /// The clinical source, cited on every page.
    pub citation: &'static str,
}

impl Layout {
    /// The frame for a page with this title.
    pub fn new(title: impl Into<String>) -> Layout {
        Layout {
            title: title.into(),
            stylesheet: assets::stylesheet_url(),
            citation: guidance::CITATION,
        }
    }
}
