//! A sheet as the officer sees it: the machine judgment (機械判定 / 一次判定) item by item with
//! its reasons ([`judge`]), its state and findings ([`read_sheet`]), the masked print for the review board ([`print_sheet`]) and the
//! patient's answer on research use (研究利用同意, [`record_consent`]).

use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Response};
use kakehashi_core::judgment::{Outcome, Reason, SectionJudgment, Truth};
use maud::{Markup, html};
use serde::Deserialize;

use crate::api::AppState;
use crate::api::consent::{ConsentView, DeliveryOutlook, record_consent};
use crate::api::judgment::judge;
use crate::api::print::print_sheet;
use crate::api::sheets::read_sheet;
use crate::console::hospital::list::status_key;
use crate::console::{Console, Lang, findings, form_csrf, page, t};
use crate::store::SheetStatus;

pub(super) fn outcome_key(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Eligible => "muni.judgment.eligible",
        Outcome::NotEligible => "muni.judgment.not_eligible",
        Outcome::NeedsReview => "muni.judgment.needs_review",
    }
}

fn truth_key(truth: Truth) -> &'static str {
    match truth {
        Truth::Met => "muni.judgment.met",
        Truth::NotMet => "muni.judgment.not_met",
        Truth::Unknown => "muni.judgment.unknown",
    }
}

fn reason_row(lang: Lang, r: &Reason) -> Markup {
    html! {
        tr {
            td { code { (r.item) } @if let Some(label) = &r.item_label { " " (label) } }
            td {
                @match &r.observed {
                    Some(value) => { (value.to_string()) }
                    None => { (t(lang, "muni.judgment.missing")) }
                }
                @if r.unreadable { " " span class="finding error" { (t(lang, "muni.judgment.unreadable")) } }
            }
            td { code { (r.expected) } }
            td { (t(lang, truth_key(r.status))) }
            td { (lang.pick(&r.reason, &r.reason_en)) }
        }
    }
}

fn section(lang: Lang, title: &str, s: &SectionJudgment) -> Markup {
    html! {
        section {
            h2 { (title) ": " (t(lang, outcome_key(s.outcome))) }
            @if let Some(note) = &s.note { p { (lang.pick(&note.message_ja, &note.message)) } }
            @if !s.unknown_items.is_empty() {
                p { (t(lang, "muni.judgment.unknown_items")) ": "
                    @for item in &s.unknown_items { code { (item) } " " } }
            }
            @for rule in &s.rules {
                table {
                    caption {
                        (lang.pick(&rule.label, &rule.label_en)) " — " (t(lang, truth_key(rule.status)))
                        @if s.met_rule.as_deref() == Some(rule.id.as_str()) { " ✓" }
                    }
                    thead {
                        tr {
                            th scope="col" { (t(lang, "muni.judgment.item")) }
                            th scope="col" { (t(lang, "muni.judgment.observed")) }
                            th scope="col" { (t(lang, "muni.judgment.expected")) }
                            th scope="col" { (t(lang, "muni.judgment.status")) }
                            th scope="col" { (t(lang, "muni.judgment.reason")) }
                        }
                    }
                    tbody { @for r in &rule.reasons { (reason_row(lang, r)) } }
                }
            }
        }
    }
}

fn consent_result(lang: Lang, view: &ConsentView) -> Markup {
    let outlook = match view.outlook {
        DeliveryOutlook::AwaitingConfirmation => "muni.consent.awaiting_confirmation",
        DeliveryOutlook::Enqueued => "muni.consent.enqueued",
        DeliveryOutlook::Delivered => "muni.consent.delivered",
        DeliveryOutlook::NotSent => "muni.consent.not_sent",
        DeliveryOutlook::PossiblyDelivered => "muni.consent.possibly_delivered",
    };
    html! {
        div class="notice success" role="status" {
            p {
                (t(lang, if view.consent.consented { "muni.consent.recorded_yes" } else { "muni.consent.recorded_no" }))
                " " (t(lang, outlook))
            }
        }
    }
}

/// The sheet's page: judgment, print and consent; `consented` the answer just recorded.
async fn render(
    state: &AppState,
    console: &Console,
    id: &str,
    consented: Option<&ConsentView>,
) -> Result<Markup, Response> {
    let lang = console.lang;
    let judgment = judge(state, &console.principal, id, None)
        .await
        .map_err(|e| console.error(&e))?;
    let sheet = read_sheet(state, &console.principal, id)
        .await
        .map_err(|e| console.error(&e))?;
    let body = html! {
        @if let Some(view) = consented { (consent_result(lang, view)) }
        dl {
            dt { (t(lang, "muni.sheet.id")) } dd { code { (id) } }
            dt { (t(lang, "muni.sheet.disease")) }
            dd {
                (judgment.disease.as_deref().unwrap_or("—"))
                @if let Some(name) = &sheet.sheet.disease.name { " " (name) }
            }
            dt { (t(lang, "list.status")) } dd { (t(lang, status_key(sheet.status))) }
            dt { (t(lang, "muni.judgment.application_date")) } dd { (judgment.application_date) }
            dt { (t(lang, "muni.judgment.overall")) } dd { strong { (t(lang, outcome_key(judgment.outcome))) } }
        }
        p {
            a class="button" href={ "/console/municipal/sheets/" (id) "/print" } download {
                (t(lang, "muni.sheet.masked_print"))
            }
            @if sheet.status == SheetStatus::Confirmed {
                " "
                a class="button secondary" href={ "/console/municipal/sheets/" (id) "/registration-card" } download {
                    (t(lang, "muni.sheet.registration_card"))
                }
            }
        }
        h2 { (t(lang, "muni.sheet.findings")) }
        (findings::list(lang, &sheet.findings))
        (section(lang, t(lang, "muni.judgment.category"), &judgment.category))
        (section(lang, t(lang, "muni.judgment.severity"), &judgment.severity))
        @if let Some(m) = &judgment.mild_high_cost {
            section {
                h2 { (t(lang, "muni.judgment.mild_high_cost")) ": " (t(lang, outcome_key(m.outcome))) }
                p { (lang.pick(&m.reason, &m.reason_en)) }
                p { (m.window_from) " – " (m.window_to) ": "
                    (t(lang, "muni.judgment.months_over")) " " (m.months_over.len()) " / " (m.months_at_least) }
            }
        }
        form method="post" action={ "/console/municipal/sheets/" (id) "/consent" } {
            (form_csrf(console))
            fieldset {
                legend { (t(lang, "muni.consent.title")) }
                p class="hint" { (t(lang, "muni.consent.hint")) }
                button type="submit" name="consented" value="true" { (t(lang, "muni.consent.yes")) }
                " "
                button class="secondary" type="submit" name="consented" value="false" { (t(lang, "muni.consent.no")) }
            }
        }
    };
    Ok(page(console, t(lang, "muni.sheet.title"), body))
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    match render(&state, &console, &id, None).await {
        Ok(markup) => markup.into_response(),
        Err(response) => response,
    }
}

/// The masked print for the review board (personal data blacked out and absent from the file).
pub async fn print(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    print_sheet(&state, &console.principal, &id, Some("true"))
        .await
        .unwrap_or_else(|e| console.error(&e))
}

/// The registration card (登録者証) of a confirmed sheet whose patient consented, as the API
/// answers it (only the municipality the sheet was sent to; audited).
pub async fn registration_card(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    crate::api::print::registration_card(
        State(state),
        axum::Extension(console.principal.clone()),
        crate::api::extract::Path(id),
    )
    .await
    .unwrap_or_else(|e| console.error(&e))
}

/// The patient's answer.
#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    consented: bool,
}

pub async fn consent(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Form(form): Form<ConsentForm>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    let view = match record_consent(&state, &console.principal, id.clone(), form.consented).await {
        Ok(view) => view,
        Err(error) => return console.error(&error),
    };
    match render(&state, &console, &id, Some(&view)).await {
        Ok(markup) => markup.into_response(),
        Err(response) => response,
    }
}
