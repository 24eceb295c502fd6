//! Handing results on over HTTP: the clinician's screenings as CSV (streamed), the instrument
//! as a FHIR Questionnaire, and one screening as a FHIR QuestionnaireResponse.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt, stream};

use super::plumbing::error::WebError;
use super::plumbing::route::{Access, Category, Route};
use super::plumbing::session::SignedIn;
use super::plumbing::state::AppState;
use crate::export::{fhir, table};
use crate::screening::ReviewCode;
use crate::store::{AuditAction, AuditEntry};

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/screenings/export.csv", Access::Clinician, export_csv)
            .counted(Category::Screening),
        Route::get(
            "/fhir/Questionnaire/intake-screener",
            Access::Clinician,
            questionnaire,
        )
        .counted(Category::Other),
        Route::get(
            "/screenings/{code}/fhir",
            Access::Clinician,
            questionnaire_response,
        )
        .counted(Category::Screening),
    ]
}

/// FHIR's JSON media type.
const FHIR_JSON: &str = "application/fhir+json";

/// `GET /screenings/export.csv`: every screening of the signed-in clinician, oldest first,
/// streamed in batches so memory stays flat at any size. The export is audited with its
/// row count.
async fn export_csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, WebError> {
    let extent = state.store.export_extent(Some(signed_in.id)).await?;
    state
        .store
        .record(
            AuditEntry::new(signed_in.username.as_str(), AuditAction::Exported)
                .detail(format!("csv, {} rows", extent.count)),
        )
        .await?;
    let header = table::to_csv(true, []).map_err(|_| WebError::Internal)?;
    let rows = state.store.export_batches(extent).map(|batch| {
        let batch = batch.map_err(std::io::Error::other)?;
        table::to_csv(false, &batch)
            .map(Bytes::from)
            .map_err(std::io::Error::other)
    });
    let body = Body::from_stream(stream::once(async move { Ok(Bytes::from(header)) }).chain(rows));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"screenings.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

fn fhir_json(resource: serde_json::Value) -> Response {
    ([(header::CONTENT_TYPE, FHIR_JSON)], Json(resource)).into_response()
}

async fn questionnaire() -> Response {
    fhir_json(fhir::questionnaire())
}

async fn questionnaire_response(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
) -> Result<Response, WebError> {
    let code: ReviewCode = code.parse().map_err(|_| WebError::NotFound)?;
    let screening = state
        .store
        .find_screening(signed_in.id, &code)
        .await?
        .ok_or(WebError::NotFound)?;
    // Audited like any export, with its count and never its review code (PRODUCT §4).
    state
        .store
        .record(
            AuditEntry::new(signed_in.username.as_str(), AuditAction::Exported)
                .detail("fhir, 1 row".to_owned()),
        )
        .await?;
    Ok(fhir_json(fhir::questionnaire_response(&screening)))
}
