//! Static assets, embedded in the binary, and their addresses with a content hash so browsers
//! may cache them for good. Pure: the route that serves them is
//! [`crate::web::static_files`]'s.

use std::sync::OnceLock;

use rust_embed::{EmbeddedFile, RustEmbed};

#[derive(RustEmbed)]
#[folder = "static/"]
struct Assets;

const STYLESHEET: &str = "app.css";
const CLIENT_STYLESHEET: &str = "client.css";
const INVITATION_SCRIPT: &str = "invitation.js";

/// The embedded file called `name`, if there is one.
pub fn file(name: &str) -> Option<EmbeddedFile> {
    Assets::get(name)
}

/// The stylesheet's address, `/static/app.css?v=<hash>`.
pub fn stylesheet_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| versioned(STYLESHEET))
}

/// The client view's own additions, `/static/client.css?v=<hash>`.
pub fn client_stylesheet_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| versioned(CLIENT_STYLESHEET))
}

/// The invitation page's script, `/static/invitation.js?v=<hash>`: it reloads the waiting
/// page and works the Copy button (the only script; the page works without it).
pub fn invitation_script_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| versioned(INVITATION_SCRIPT))
}

fn versioned(file: &str) -> String {
    let hash = Assets::get(file)
        .map(|file| file.metadata.sha256_hash())
        .unwrap_or_default();
    let short: String = hash[..6].iter().map(|byte| format!("{byte:02x}")).collect();
    format!("/static/{file}?v={short}")
}
