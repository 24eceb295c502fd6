//! `GET /static/{file}`: the embedded static files (their addresses are
//! [`super::plumbing::assets`]'s).

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::plumbing::assets;
use super::plumbing::error::WebError;
use super::plumbing::route::{Access, Category, Route};

pub fn routes() -> Vec<Route> {
    // Counted: a client's phone loads the stylesheet on its first page, so the line's time
    // would date the client's visit. Open while locked: the client view needs it.
    vec![
        Route::get("/static/{file}", Access::Public, asset)
            .counted(Category::Other)
            .open_while_locked(),
    ]
}

/// A file with a year's immutable caching: its address changes with its content.
async fn asset(Path(file): Path<String>) -> Result<Response, WebError> {
    let asset = assets::file(&file).ok_or(WebError::NotFound)?;
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
