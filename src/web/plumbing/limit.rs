//! The request body limit. A body is read (up to [`BODY_LIMIT_BYTES`]) before routing; a larger
//! one is answered 413 with a page that says so. Before answering, what the client is still
//! sending is read and thrown away (within bounds), so that it reads the 413 instead of a
//! connection reset by a server closing on unread data.

use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use super::error::WebError;

/// The largest request body accepted; a screening form is well under 2 KiB.
pub const BODY_LIMIT_BYTES: usize = 16 * 1024;
/// At most this much of a refused body is read and discarded.
const DRAIN_BYTES: u64 = 4 * 1024 * 1024;
/// For at most this long.
const DRAIN_TIME: Duration = Duration::from_secs(2);

/// Buffers the body within the limit, or answers 413.
pub async fn limit_body(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    // A client waiting for `100 Continue` sends nothing unless the body is read: refuse it
    // without reading, and it never sends the body at all.
    let awaits_continue = request.headers().contains_key(header::EXPECT);
    let (parts, mut body) = request.into_parts();
    let mut buffered = Vec::new();
    let mut too_large = declared.is_some_and(|length| length > BODY_LIMIT_BYTES as u64);
    while !too_large {
        match body.frame().await {
            None => break,
            Some(Err(_)) => {
                return WebError::BadRequest("The request body could not be read.".into())
                    .into_response();
            }
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    too_large = buffered.len() + data.len() > BODY_LIMIT_BYTES;
                    if !too_large {
                        buffered.extend_from_slice(&data);
                    }
                }
            }
        }
    }
    if too_large {
        let drainable = declared.is_none_or(|length| length <= DRAIN_BYTES);
        if drainable && !awaits_continue {
            let _ = tokio::time::timeout(DRAIN_TIME, drain(body)).await;
        }
        return WebError::TooLarge(BODY_LIMIT_BYTES).into_response();
    }
    next.run(Request::from_parts(parts, Body::from(buffered)))
        .await
}

/// Reads and discards up to [`DRAIN_BYTES`] of a body.
async fn drain(mut body: Body) {
    let mut read = 0u64;
    while read < DRAIN_BYTES {
        match body.frame().await {
            Some(Ok(frame)) => {
                read += frame.data_ref().map_or(0, |data| data.len() as u64);
            }
            _ => return,
        }
    }
}
