//! `GET /dashboard`: the clinician's screenings per band by year and in total, and how often
//! each question raised a red flag — as charts drawn on the server (inline SVG, no
//! JavaScript) with a table equivalent for each.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

use super::plumbing::error::WebError;
use super::plumbing::layout::Layout;
use super::plumbing::route::{Access, Category, Route};
use super::plumbing::session::SignedIn;
use super::plumbing::state::AppState;
use crate::screening::{Band, Coded};
use crate::store::ScreeningSummary;

pub fn routes() -> Vec<Route> {
    vec![Route::get("/dashboard", Access::Clinician, dashboard).counted(Category::Screening)]
}

/// Chart geometry, in SVG user units.
const CHART_WIDTH: u32 = 640;
const CHART_HEIGHT: u32 = 240;
const PLOT_TOP: u32 = 24;
const PLOT_BOTTOM: u32 = 208;
const BAR_WIDTH: u32 = 56;

/// One coloured piece of a year's column.
pub struct Segment {
    pub band: &'static str,
    pub label: &'static str,
    pub count: i64,
    pub y: u32,
    pub height: u32,
}

/// One year's column.
pub struct YearColumn {
    pub year: i32,
    pub x: u32,
    pub width: u32,
    pub label_x: u32,
    pub total: i64,
    pub total_y: u32,
    pub segments: Vec<Segment>,
    /// Counts per band in band order, for the table.
    pub counts: Vec<i64>,
}

/// One question's red-flag bar.
pub struct FlagBar {
    pub number: u8,
    pub topic: &'static str,
    pub count: i64,
    pub percent: u32,
    pub y: u32,
    pub width: u32,
}

/// The dashboard page.
#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    layout: Layout,
    total: i64,
    bands: Vec<(&'static str, &'static str, i64)>,
    columns: Vec<YearColumn>,
    chart_width: u32,
    chart_height: u32,
    baseline: u32,
    chart_summary: String,
    flags: Vec<FlagBar>,
    flags_height: u32,
}

/// `count` of `total` as a whole percentage, rounded half up (2 of 3 is 67%, not 66%).
fn rounded_percent(count: i64, total: i64) -> u32 {
    if total <= 0 {
        return 0;
    }
    ((count.clamp(0, total) * 200 + total) / (2 * total)) as u32
}

async fn dashboard(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<DashboardPage, WebError> {
    let summary = state.store.summary(signed_in.id).await?;
    Ok(DashboardPage::new(&signed_in, &summary))
}

impl DashboardPage {
    fn new(signed_in: &SignedIn, summary: &ScreeningSummary) -> DashboardPage {
        let mut years: Vec<i32> = summary.by_year.iter().map(|(year, _, _)| *year).collect();
        years.dedup();
        let count = |year: i32, band: Band| {
            summary
                .by_year
                .iter()
                .find(|(y, b, _)| *y == year && *b == band)
                .map_or(0, |(_, _, count)| *count)
        };
        let tallest = years
            .iter()
            .map(|&year| Band::ALL.iter().map(|&band| count(year, band)).sum::<i64>())
            .max()
            .unwrap_or(0)
            .max(1);
        let plot_height = PLOT_BOTTOM - PLOT_TOP;
        let slot = if years.is_empty() {
            CHART_WIDTH
        } else {
            CHART_WIDTH / years.len() as u32
        };
        let bar_width = BAR_WIDTH.min(slot.saturating_sub(8)).max(8);
        let columns = years
            .iter()
            .enumerate()
            .map(|(index, &year)| {
                let x = index as u32 * slot + (slot - bar_width) / 2;
                let mut top = PLOT_BOTTOM;
                let counts: Vec<i64> = Band::ALL.iter().map(|&band| count(year, band)).collect();
                let segments = Band::ALL
                    .iter()
                    .zip(&counts)
                    .filter(|(_, count)| **count > 0)
                    .map(|(&band, &count)| {
                        let height = ((count as u64 * u64::from(plot_height)) / tallest as u64)
                            .max(2) as u32;
                        top = top.saturating_sub(height);
                        Segment {
                            band: band.code(),
                            label: band.label(),
                            count,
                            y: top,
                            height,
                        }
                    })
                    .collect();
                YearColumn {
                    year,
                    x,
                    width: bar_width,
                    label_x: x + bar_width / 2,
                    total: counts.iter().sum(),
                    total_y: top.saturating_sub(6),
                    segments,
                    counts,
                }
            })
            .collect::<Vec<_>>();
        let bands: Vec<(&str, &str, i64)> = Band::ALL
            .iter()
            .map(|&band| {
                let total = summary
                    .by_year
                    .iter()
                    .filter(|(_, b, _)| *b == band)
                    .map(|(_, _, count)| count)
                    .sum();
                (band.code(), band.label(), total)
            })
            .collect();
        let chart_summary = if summary.total == 0 {
            "No screenings yet.".to_owned()
        } else {
            let parts: Vec<String> = bands
                .iter()
                .map(|(_, label, count)| format!("{label}: {count}"))
                .collect();
            format!("{} screenings in all. {}.", summary.total, parts.join(", "))
        };
        let flags = summary
            .red_flags
            .iter()
            .enumerate()
            .map(|(index, (question, count))| {
                let percent = rounded_percent(*count, summary.total);
                FlagBar {
                    number: question.number(),
                    topic: question.topic(),
                    count: *count,
                    percent,
                    y: index as u32 * 32 + 4,
                    width: (percent * 3).max(if *count > 0 { 2 } else { 0 }),
                }
            })
            .collect::<Vec<_>>();
        DashboardPage {
            layout: Layout::signed_in("Dashboard", signed_in),
            total: summary.total,
            bands,
            flags_height: flags.len() as u32 * 32 + 8,
            columns,
            chart_width: CHART_WIDTH,
            chart_height: CHART_HEIGHT,
            baseline: PLOT_BOTTOM,
            chart_summary,
            flags,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::rounded_percent;

    #[test]
    fn percentages_are_rounded_not_truncated() {
        assert_eq!(rounded_percent(2, 3), 67);
        assert_eq!(rounded_percent(1, 3), 33);
        assert_eq!(rounded_percent(1, 8), 13, "12.5 rounds half up");
        assert_eq!(rounded_percent(1, 200), 1, "0.5 rounds half up");
        assert_eq!(rounded_percent(1, 201), 0);
        assert_eq!(rounded_percent(3, 3), 100);
        assert_eq!(rounded_percent(0, 0), 0);
    }
}
