//! The sheet list: server-side paging and filters (disease, state, findings, date), through
//! the API's listing ([`list_sheets`]).

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::api::AppState;
use crate::api::sheets::list_sheets;
use crate::console::paging::escape_query;
use crate::console::{Console, Lang, page, t};
use crate::store::{SheetListing, SheetQuery, SheetStatus};

/// Sheets on one page of the list.
const PAGE_SIZE: u32 = 50;

/// The list's filters and page, as the query string carries them (empty means no filter).
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    disease: String,
    #[serde(default)]
    status: String,
    /// `errors` or `clean`.
    #[serde(default)]
    findings: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: Option<u32>,
}

/// Japan's offset from UTC: days and times are shown and filtered as in Japan.
fn japan() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// The start of a day in Japan (`YYYY-MM-DD`, `days_later` days on) as a stored timestamp.
fn start_of_day(text: &str, days_later: i64) -> Option<String> {
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?
        + chrono::Duration::days(days_later);
    let start = day
        .and_hms_opt(0, 0, 0)?
        .and_local_timezone(japan())
        .single()?;
    Some(
        start
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

/// A stored timestamp as a time in Japan, to the minute.
fn japan_time(stamp: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(stamp).map_or_else(
        |_| stamp.to_owned(),
        |t| {
            t.with_timezone(&japan())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        },
    )
}

impl ListParams {
    fn query(&self) -> SheetQuery {
        let page = self.page.unwrap_or(1).max(1);
        SheetQuery {
            disease_number: self.disease.trim().parse().ok(),
            status: match self.status.as_str() {
                "draft" => Some(SheetStatus::Draft),
                "confirmed" => Some(SheetStatus::Confirmed),
                _ => None,
            },
            has_errors: match self.findings.as_str() {
                "errors" => Some(true),
                "clean" => Some(false),
                _ => None,
            },
            created_from: start_of_day(&self.from, 0),
            created_before: start_of_day(&self.to, 1),
            offset: (page - 1).saturating_mul(PAGE_SIZE),
            limit: PAGE_SIZE,
        }
    }

    /// The query string of another page with the same filters.
    fn page_link(&self, page: u32) -> String {
        let pairs = [
            ("disease", self.disease.as_str()),
            ("status", self.status.as_str()),
            ("findings", self.findings.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
        ];
        let mut link = format!("/console/sheets?page={page}");
        for (key, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
            link.push_str(&format!("&{key}={}", escape_query(value)));
        }
        link
    }
}

/// The name of a sheet's disease from the catalogue of notified diseases.
pub fn disease_label(state: &AppState, s: &SheetListing) -> String {
    let Some(number) = s.disease_number else {
        return "—".to_owned();
    };
    let key = kakehashi_sdk::DiseaseKey {
        kind: s.kind,
        group: s.disease_group,
        number,
    };
    let name = state
        .pipeline
        .catalog()
        .diseases
        .get(&key)
        .map(|e| e.name.as_str())
        .unwrap_or_default();
    match s.disease_group {
        Some(group) => format!("{group}-{number} {name}"),
        None => format!("{number} {name}"),
    }
}

/// The catalogue key of a sheet state's name.
pub fn status_key(status: SheetStatus) -> &'static str {
    match status {
        SheetStatus::Draft => "status.draft",
        SheetStatus::Confirmed => "status.confirmed",
    }
}

/// A table of sheets.
pub fn table(state: &AppState, lang: Lang, sheets: &[SheetListing]) -> Markup {
    html! {
        @if sheets.is_empty() {
            p { (t(lang, "list.empty")) }
        } @else {
            table {
                thead {
                    tr {
                        th scope="col" { (t(lang, "list.sheet")) }
                        th scope="col" { (t(lang, "list.disease")) }
                        th scope="col" { (t(lang, "list.status")) }
                        th scope="col" { (t(lang, "list.findings")) }
                        th scope="col" { (t(lang, "list.created")) }
                    }
                }
                tbody {
                    @for s in sheets {
                        tr {
                            td { a href={ "/console/sheets/" (s.id) } { code { (s.id.get(..8).unwrap_or(&s.id)) } } }
                            td { (disease_label(state, s)) }
                            td { (t(lang, status_key(s.status))) }
                            td {
                                @if s.has_errors { span class="finding error" { (t(lang, "list.has_errors")) } }
                                @else { (t(lang, "list.no_errors")) }
                            }
                            td { (japan_time(&s.created_at)) }
                        }
                    }
                }
            }
        }
    }
}

fn filters(lang: Lang, params: &ListParams) -> Markup {
    let option = |value: &str, current: &str, key: &str| {
        html! { option value=(value) selected[value == current] { (t(lang, key)) } }
    };
    html! {
        form class="filters" method="get" action="/console/sheets" role="search" {
            div class="field" {
                label for="disease" { (t(lang, "list.filter_disease")) }
                input id="disease" name="disease" type="text" inputmode="numeric" size="6" value=(params.disease);
            }
            div class="field" {
                label for="status" { (t(lang, "list.status")) }
                select id="status" name="status" {
                    (option("", &params.status, "list.any"))
                    (option("draft", &params.status, "status.draft"))
                    (option("confirmed", &params.status, "status.confirmed"))
                }
            }
            div class="field" {
                label for="findings" { (t(lang, "list.findings")) }
                select id="findings" name="findings" {
                    (option("", &params.findings, "list.any"))
                    (option("errors", &params.findings, "list.has_errors"))
                    (option("clean", &params.findings, "list.no_errors"))
                }
            }
            div class="field" {
                label for="from" { (t(lang, "list.from")) }
                input id="from" name="from" type="date" value=(params.from);
            }
            div class="field" {
                label for="to" { (t(lang, "list.to")) }
                input id="to" name="to" type="date" value=(params.to);
            }
            div { button type="submit" { (t(lang, "list.apply")) } }
        }
    }
}

/// The list page's markup for one page of sheets.
fn render(
    state: &AppState,
    console: &Console,
    params: &ListParams,
    sheets: &[SheetListing],
    total: u64,
) -> Markup {
    let lang = console.lang;
    let page_number = params.page.unwrap_or(1).max(1);
    let pages = total.div_ceil(u64::from(PAGE_SIZE)).max(1);
    let body = html! {
        (filters(lang, params))
        p role="status" { (t(lang, "list.total")) ": " (total) }
        (table(state, lang, sheets))
        nav class="pager" aria-label=(t(lang, "list.pages")) {
            @if page_number > 1 {
                a href=(params.page_link(page_number - 1)) rel="prev" { (t(lang, "list.previous")) }
            }
            span { (page_number) " / " (pages) }
            @if u64::from(page_number) < pages {
                a href=(params.page_link(page_number + 1)) rel="next" { (t(lang, "list.next")) }
            }
        }
    };
    page(console, t(lang, "list.title"), body)
}

/// Loads one page of the caller's sheets and renders it.
async fn load_and_render(
    state: &AppState,
    console: &Console,
    params: &ListParams,
) -> Result<Markup, Response> {
    console.require(super::ROLES)?;
    let (sheets, total) = list_sheets(state, &console.principal, &params.query())
        .await
        .map_err(|e| console.error(&e))?;
    Ok(render(state, console, params, &sheets, total))
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Query(params): Query<ListParams>,
) -> Response {
    match load_and_render(&state, &console, &params).await {
        Ok(markup) => markup.into_response(),
        Err(response) => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_days_in_japan() {
        assert_eq!(
            start_of_day("2026-04-01", 0).as_deref(),
            Some("2026-03-31T15:00:00.000Z")
        );
        assert_eq!(
            start_of_day("2026-04-01", 1).as_deref(),
            Some("2026-04-01T15:00:00.000Z")
        );
        assert_eq!(start_of_day("April", 0), None);
        assert_eq!(japan_time("2026-03-31T15:30:00.000Z"), "2026-04-01 00:30");
    }
}
