//! Paging of the console's lists: the page asked for, the rows of that page fetched on the
//! server (never the whole list in the browser), and the links to the pages beside it that keep
//! the list's filters.

use maud::{Markup, html};

use super::i18n::{Lang, t};

/// Rows on one page of a list.
pub const PAGE_SIZE: u32 = 50;

/// `value` for a URL's query string.
pub fn escape_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The link to page `page` of the list at `path` with the non-empty `filters`.
pub fn page_link(path: &str, filters: &[(&str, &str)], page: u32) -> String {
    let mut link = format!("{path}?page={page}");
    for (key, value) in filters.iter().filter(|(_, v)| !v.is_empty()) {
        link.push_str(&format!("&{key}={}", escape_query(value)));
    }
    link
}

/// The page asked for (from 1) and the offset of its first row.
pub fn offset(page: Option<u32>) -> (u32, u32) {
    let page = page.unwrap_or(1).max(1);
    (page, (page - 1).saturating_mul(PAGE_SIZE))
}

/// Of `rows` fetched from `offset` with one row more than a page, the page's rows and whether
/// a next page exists.
pub fn split<T>(mut rows: Vec<T>) -> (Vec<T>, bool) {
    let more = rows.len() > PAGE_SIZE as usize;
    rows.truncate(PAGE_SIZE as usize);
    (rows, more)
}

/// The previous/next links of page `page` of the list at `path`.
pub fn pager(lang: Lang, path: &str, filters: &[(&str, &str)], page: u32, more: bool) -> Markup {
    html! {
        nav class="pager" aria-label=(t(lang, "list.pages")) {
            @if page > 1 {
                a href=(page_link(path, filters, page - 1)) rel="prev" { (t(lang, "list.previous")) }
            }
            span { (t(lang, "paging.page")) " " (page) }
            @if more {
                a href=(page_link(path, filters, page + 1)) rel="next" { (t(lang, "list.next")) }
            }
        }
    }
}
