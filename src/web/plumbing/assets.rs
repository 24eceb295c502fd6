//! Static assets, embedded in the binary and served with a content hash in their address so
//! browsers may cache them for good.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

use super::error::WebError;
use super::route::{Access, Category, Route};

#[derive(RustEmbed)]
#[folder = "static/"]
struct Assets;

const STYLESHEET: &str = "app.css";
const CLIENT_STYLESHEET: &str = "client.css";
const INVITATION_SCRIPT: &str = "invitation.js";

pub fn routes() -> Vec<Route> {
    // Counted: a client's phone loads the stylesheet on its first page, so the line's time
    // would date the client's visit.
    vec![Route::new("/static/{file}", Access::Public, get(asset)).counted(Category::Other)]
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

async fn asset(Path(file): Path<String>) -> Result<Response, WebError> {
    let asset = Assets::get(&file).ok_or(WebError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, asset.metadata.mimetype().to_owned()),
            (
                header::CACHE_CONTROL,
                "public, max-age=31536000, immutable".to_owned(),
            ),
        ],
        asset.data,
    )
        .into_response())
}
