//! Findings as the console shows them: the stable code and the message in the page's language,
//! beside the field or item they are about, and the rest in a list.

use kakehashi_sdk::{Finding, HeaderField, Severity};
use maud::{Markup, html};

use super::i18n::{Lang, t};

fn class(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "finding error",
        Severity::Warning => "finding warning",
        Severity::Info => "finding",
    }
}

fn severity_key(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "finding.error",
        Severity::Warning => "finding.warning",
        Severity::Info => "finding.info",
    }
}

/// One finding: severity, message and code.
pub fn finding(lang: Lang, f: &Finding) -> Markup {
    html! {
        span class=(class(f.severity)) {
            strong { (t(lang, severity_key(f.severity))) } ": "
            (lang.pick(&f.message_ja, &f.message)) " "
            code { "(" (f.code) ")" }
        }
    }
}

/// The findings about one field or item (by its path or code), for beside its input; `id`
/// is what the input's `aria-describedby` names.
pub fn beside(lang: Lang, findings: &[Finding], about: &str, id: &str) -> Markup {
    html! {
        @let mine: Vec<&Finding> = findings.iter().filter(|f| f.item.as_deref() == Some(about)).collect();
        @if !mine.is_empty() {
            span id=(id) {
                @for f in mine { (finding(lang, f)) }
            }
        }
    }
}

/// Whether any finding is about `about`.
pub fn any_about(findings: &[Finding], about: &str) -> bool {
    findings.iter().any(|f| f.item.as_deref() == Some(about))
}

/// What a finding is about: a header field's label, else the item's code.
fn about(lang: Lang, item: &str) -> Markup {
    match HeaderField::from_path(item) {
        Some(field) => {
            let d = field.describe();
            html! { (lang.pick(d.label_ja, d.label_en)) " " code { "(" (item) ")" } }
        }
        None => html! { code { (item) } },
    }
}

/// Every finding in a list (the summary at the top of a sheet, an upload's results).
pub fn list(lang: Lang, findings: &[Finding]) -> Markup {
    html! {
        @if findings.is_empty() {
            p { (t(lang, "finding.none")) }
        } @else {
            ul {
                @for f in findings {
                    li {
                        @if let Some(item) = &f.item { (about(lang, item)) " — " }
                        (finding(lang, f))
                    }
                }
            }
        }
    }
}
