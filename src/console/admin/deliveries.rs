//! Deliveries to the national DB (the outbox), newest first, filtered by state and paged on the
//! server ([`deliveries`]); a dead letter (配信不能) is retried with a fresh budget or discarded
//! ([`resolve_dead_letter`]).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::api::AppState;
use crate::api::deliveries::{deliveries, resolve_dead_letter};
use crate::console::paging::{self, PAGE_SIZE};
use crate::console::{Console, Lang, form_csrf, page, t};
use crate::store::DeliveryStatus;

const PATH: &str = "/console/admin/deliveries";

fn status_key(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Pending => "admin.deliveries.pending",
        DeliveryStatus::Delivered => "admin.deliveries.delivered",
        DeliveryStatus::Dead => "admin.deliveries.dead",
        DeliveryStatus::Discarded => "admin.deliveries.discarded",
        DeliveryStatus::Withdrawn => "admin.deliveries.withdrawn",
    }
}

/// `?status=dead&page=N`
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: Option<u32>,
}

fn status_filter(lang: Lang, current: &str) -> maud::Markup {
    html! {
        form class="filters" method="get" action=(PATH) role="search" {
            div class="field" {
                label for="status" { (t(lang, "admin.deliveries.status")) }
                select id="status" name="status" {
                    option value="" { (t(lang, "list.any")) }
                    @for s in DeliveryStatus::ALL {
                        option value=(s.as_str()) selected[s.as_str() == current] { (t(lang, status_key(s))) }
                    }
                }
            }
            div { button type="submit" { (t(lang, "list.apply")) } }
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(params): Query<ListParams>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    let lang = console.lang;
    let status = DeliveryStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == params.status);
    let (page_number, offset) = paging::offset(params.page);
    let fetched = match deliveries(&state, &console.principal, status, offset + PAGE_SIZE + 1).await
    {
        Ok(fetched) => fetched,
        Err(error) => return console.error(&error),
    };
    let (rows, more) = paging::split(fetched.into_iter().skip(offset as usize).collect());
    let current = status.map(DeliveryStatus::as_str).unwrap_or_default();
    let body = html! {
        (status_filter(lang, current))
        @if rows.is_empty() {
            p { (t(lang, "list.empty")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (t(lang, "admin.deliveries.id")) }
                    th scope="col" { (t(lang, "admin.deliveries.status")) }
                    th scope="col" { (t(lang, "admin.deliveries.attempts")) }
                    th scope="col" { (t(lang, "admin.deliveries.last_error")) }
                    th scope="col" { (t(lang, "admin.deliveries.updated")) }
                    th scope="col" { (t(lang, "admin.users.actions")) }
                } }
                tbody {
                    @for d in &rows {
                        tr {
                            td { code { (d.id.get(..8).unwrap_or(&d.id)) } }
                            td {
                                (t(lang, status_key(d.status)))
                                @if let Some(since) = &d.in_doubt_since {
                                    br;
                                    span class="finding warning" { (t(lang, "admin.deliveries.in_doubt")) " " (since) }
                                }
                            }
                            td { (d.attempts) }
                            td { (d.last_error.as_deref().unwrap_or("—")) }
                            td { (d.updated_at) }
                            td {
                                @if d.status == DeliveryStatus::Dead {
                                    form method="post" action={ (PATH) "/" (d.id) "/retry" } {
                                        (form_csrf(&console))
                                        button type="submit" aria-label={ (t(lang, "admin.deliveries.retry")) " " (d.id) } { (t(lang, "admin.deliveries.retry")) }
                                    }
                                    form method="post" action={ (PATH) "/" (d.id) "/discard" } {
                                        (form_csrf(&console))
                                        button class="secondary" type="submit" aria-label={ (t(lang, "admin.deliveries.discard")) " " (d.id) } { (t(lang, "admin.deliveries.discard")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (paging::pager(lang, PATH, &[("status", current)], page_number, more))
        }
    };
    page(&console, t(lang, "admin.deliveries.title"), body).into_response()
}

async fn resolve(state: &AppState, console: &Console, id: &str, to: DeliveryStatus) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    match resolve_dead_letter(state, &console.principal, id, to).await {
        Ok(_) => Redirect::to(&format!("{PATH}?status=dead")).into_response(),
        Err(error) => console.error(&error),
    }
}

pub async fn retry(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    resolve(&state, &console, &id, DeliveryStatus::Pending).await
}

pub async fn discard(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    resolve(&state, &console, &id, DeliveryStatus::Discarded).await
}
