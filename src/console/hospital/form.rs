//! The sheet form, generated from the header-field table and the disease template: typed
//! inputs, allowed values as choices, units, auto-calculated totals read-only with their
//! formula, each finding beside its field. [`render`] draws it for a sheet; [`read`] turns the
//! posted form back into a sheet (the checks then run on it as on any sheet).

use std::collections::BTreeMap;

use kakehashi_sdk::{
    FieldSection, FieldType, Finding, HeaderField, Item, ItemDef, ItemType, ItemValue, Severity,
    Sheet, SheetKind, Template,
};
use maud::{Markup, html};
use serde_json::Value;

use crate::console::findings;
use crate::console::{Lang, t};

/// The name of a header field's input.
fn header_name(field: HeaderField) -> String {
    format!("h.{}", field.path())
}

/// The name of an item's input.
fn item_name(code: &str) -> String {
    format!("i.{code}")
}

/// The input holding the free items, one `code = value` per line.
const FREE: &str = "free";

/// Choices of coded header fields: the value the sheet's JSON holds (which
/// [`HeaderField::apply`] reads back), its Japanese and English label.
fn choices(field: HeaderField) -> Option<&'static [(&'static str, &'static str, &'static str)]> {
    const PRESENCE: &[(&str, &str, &str)] = &[
        ("present", "あり", "Present"),
        ("absent", "なし", "Absent"),
        ("unknown", "不明", "Unknown"),
    ];
    match field {
        HeaderField::Sex => Some(&[("male", "男", "Male"), ("female", "女", "Female")]),
        HeaderField::ApplicationType => {
            Some(&[("new", "新規", "New"), ("renewal", "更新", "Renewal")])
        }
        HeaderField::OverallSeverity => Some(&[
            ("mild", "軽症", "Mild"),
            ("moderate", "中等症", "Moderate"),
            ("severe", "重症", "Severe"),
        ]),
        HeaderField::LongTermCare => Some(&[
            ("none", "なし", "None"),
            ("support1", "要支援1", "Support 1"),
            ("support2", "要支援2", "Support 2"),
            ("care1", "要介護1", "Care 1"),
            ("care2", "要介護2", "Care 2"),
            ("care3", "要介護3", "Care 3"),
            ("care4", "要介護4", "Care 4"),
            ("care5", "要介護5", "Care 5"),
        ]),
        HeaderField::CareSetting => Some(&[
            ("inpatient", "入院", "Inpatient"),
            ("outpatient", "外来", "Outpatient"),
            ("both", "入院・外来", "Both"),
        ]),
        HeaderField::CurrentAssessment => Some(&[
            ("cured", "治癒", "Cured"),
            ("remission", "寛解", "Remission"),
            ("improved", "改善", "Improved"),
            ("unchanged", "不変", "Unchanged"),
            ("relapsed", "再発", "Relapsed"),
            ("worsened", "悪化", "Worsened"),
            ("died", "死亡", "Died"),
            ("undeterminable", "判定不能", "Undeterminable"),
        ]),
        HeaderField::CriteriaMet => {
            Some(&[("true", "該当", "Met"), ("false", "非該当", "Not met")])
        }
        HeaderField::ResearchConsent => Some(&[
            ("true", "同意する", "Consents"),
            ("false", "同意しない", "Does not consent"),
        ]),
        _ if field.field_type() == FieldType::Presence => Some(PRESENCE),
        _ => None,
    }
}

/// The JSON value at a dotted path of the sheet.
fn at<'a>(json: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(json, |v, key| v.get(key))
}

/// A header field's value as the text its input shows; None when the value is not one the
/// form can show and read back (it is then shown, not edited).
fn header_text(sheet: &Sheet, json: &Value, field: HeaderField) -> Option<String> {
    if field.treatment_kind().is_some() {
        return Some(field.listed_text(sheet).unwrap_or_default());
    }
    match at(json, field.path()) {
        None | Some(Value::Null) => Some(String::new()),
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        Some(_) => None,
    }
}

/// Whether the hospital writes this header field on the form: not the programme (the form
/// itself) and not the municipality's decision.
fn written_by_hospital(field: HeaderField, kind: SheetKind) -> bool {
    !matches!(field, HeaderField::Kind | HeaderField::Certification)
        && (field.section() != FieldSection::Child || kind == SheetKind::Shoman)
}

/// The sections of the form, in order.
const SECTIONS: &[FieldSection] = &[
    FieldSection::Disease,
    FieldSection::Patient,
    FieldSection::Child,
    FieldSection::Clinical,
    FieldSection::Institution,
    FieldSection::Administrative,
];

/// What the form shows: the sheet's values, or the values just posted (when they could not be
/// read, so the person sees what they typed).
pub struct Shown<'a> {
    pub sheet: &'a Sheet,
    pub findings: &'a [Finding],
    pub posted: Option<&'a BTreeMap<String, String>>,
    /// False: every input is shown disabled (a confirmed sheet, a role that may not edit).
    pub editable: bool,
}

impl Shown<'_> {
    fn value(&self, name: &str, stored: impl FnOnce() -> String) -> String {
        match self.posted {
            Some(posted) => posted.get(name).cloned().unwrap_or_default(),
            None => stored(),
        }
    }
}

fn input_id(name: &str) -> String {
    name.replace('.', "-")
}

fn choice_select(
    lang: Lang,
    name: &str,
    current: &str,
    options: &[(String, String)],
    described: Option<&str>,
) -> Markup {
    let known = current.is_empty() || options.iter().any(|(v, _)| v == current);
    html! {
        select id=(input_id(name)) name=(name) aria-describedby=[described] {
            option value="" selected[current.is_empty()] { (t(lang, "form.unset")) }
            @for (value, label) in options {
                option value=(value) selected[value == current] { (label) }
            }
            @if !known { option value=(current) selected { (current) } }
        }
    }
}

fn header_input(lang: Lang, field: HeaderField, current: &str, described: Option<&str>) -> Markup {
    let name = header_name(field);
    let id = input_id(&name);
    if let Some(options) = choices(field) {
        let options: Vec<(String, String)> = options
            .iter()
            .map(|(v, ja, en)| ((*v).to_owned(), lang.pick(ja, en).to_owned()))
            .collect();
        return choice_select(lang, &name, current, &options, described);
    }
    let (kind, mode) = match field.field_type() {
        FieldType::Date => ("date", None),
        FieldType::YearMonth => ("month", None),
        FieldType::Integer | FieldType::Digits => ("text", Some("numeric")),
        FieldType::Decimal => ("text", Some("decimal")),
        _ => ("text", None),
    };
    html! {
        input id=(id) name=(name) type=(kind) inputmode=[mode] value=(current) aria-describedby=[described];
    }
}

fn label_of(lang: Lang, field: HeaderField) -> &'static str {
    let d = field.describe();
    lang.pick(d.label_ja, d.label_en)
}

fn header_fields(lang: Lang, shown: &Shown<'_>, json: &Value) -> Markup {
    let kind = shown.sheet.kind;
    html! {
        @for section in SECTIONS {
            @let fields: Vec<HeaderField> = HeaderField::ALL.iter().copied()
                .filter(|f| f.section() == *section && written_by_hospital(*f, kind)).collect();
            @if !fields.is_empty() {
                fieldset disabled[!shown.editable] {
                    legend { (lang.pick(section.title_ja(), section.title_en())) }
                    @for field in fields {
                        @let name = header_name(field);
                        @let note_id = format!("{}-findings", input_id(&name));
                        @let described = findings::any_about(shown.findings, field.path()).then_some(note_id.as_str());
                        div class="field" {
                            label for=(input_id(&name)) {
                                (label_of(lang, field))
                                @let unit = field.describe().unit;
                                @if !unit.is_empty() { span class="unit" { "（" (unit) "）" } }
                            }
                            @match header_text(shown.sheet, json, field) {
                                Some(stored) => {
                                    @let current = shown.value(&name, || stored);
                                    (header_input(lang, field, &current, described))
                                }
                                None => {
                                    input id=(input_id(&name)) type="text" readonly value=(at(json, field.path()).map(Value::to_string).unwrap_or_default());
                                }
                            }
                            (findings::beside(lang, shown.findings, field.path(), &note_id))
                        }
                    }
                }
            }
        }
    }
}

fn item_text(sheet: &Sheet, code: &str) -> String {
    sheet
        .items
        .get(code)
        .map(|i| i.as_written.clone().unwrap_or_else(|| i.value.to_string()))
        .unwrap_or_default()
}

fn item_input(lang: Lang, def: &ItemDef, current: &str, described: Option<&str>) -> Markup {
    let name = item_name(&def.code);
    if !def.allowed.is_empty() {
        let options: Vec<(String, String)> = def
            .allowed
            .iter()
            .map(|a| (a.value.to_string(), format!("{} — {}", a.value, a.label)))
            .collect();
        return choice_select(lang, &name, current, &options, described);
    }
    if def.item_type == ItemType::Boolean {
        let options = vec![
            ("true".to_owned(), t(lang, "form.yes").to_owned()),
            ("false".to_owned(), t(lang, "form.no").to_owned()),
        ];
        return choice_select(lang, &name, current, &options, described);
    }
    let (kind, mode, step) = match def.item_type {
        ItemType::Integer => ("number", None, Some("1")),
        ItemType::Decimal => ("text", Some("decimal"), None),
        ItemType::Date => ("date", None, None),
        _ => ("text", None, None),
    };
    html! {
        input id=(input_id(&name)) name=(name) type=(kind) inputmode=[mode] step=[step]
            min=[def.min] max=[def.max] value=(current) aria-describedby=[described];
    }
}

fn template_items(lang: Lang, shown: &Shown<'_>, template: &Template) -> Markup {
    html! {
        fieldset disabled[!shown.editable] {
            legend { (t(lang, "form.items")) " — " (template.name) }
            @for def in &template.items {
                @let name = item_name(&def.code);
                @let note_id = format!("{}-findings", input_id(&name));
                @let described = findings::any_about(shown.findings, &def.code).then_some(note_id.as_str());
                @let current = shown.value(&name, || item_text(shown.sheet, &def.code));
                div class="field" {
                    label for=(input_id(&name)) {
                        (lang.pick(&def.label, def.label_en.as_deref().unwrap_or(&def.label)))
                        @if let Some(unit) = &def.unit { span class="unit" { "（" (unit) "）" } }
                        @if def.required { " " span class="hint" { (t(lang, "form.required")) } }
                    }
                    (item_input(lang, def, &current, described))
                    (findings::beside(lang, shown.findings, &def.code, &note_id))
                }
            }
            @for formula in &template.formulas {
                @let id = format!("formula-{}", input_id(&formula.code));
                div class="field" {
                    label for=(id) {
                        (lang.pick(&formula.label, formula.label_en.as_deref().unwrap_or(&formula.label)))
                        @if let Some(unit) = &formula.unit { span class="unit" { "（" (unit) "）" } }
                        " " span class="hint" { (t(lang, "form.computed")) }
                    }
                    input id=(id) type="text" readonly value=(item_text(shown.sheet, &formula.code)) aria-describedby={ (id) "-formula" };
                    span class="hint" id={ (id) "-formula" } { (t(lang, "form.formula")) ": " (formula.describe()) }
                    (findings::beside(lang, shown.findings, &formula.code, &format!("{id}-findings")))
                }
            }
        }
    }
}

/// The items that are not on the template (or all, without one), as `code = value` lines.
fn free_text(sheet: &Sheet, template: Option<&Template>) -> String {
    sheet
        .items
        .iter()
        .filter(|(code, _)| !on_template(template, code))
        .map(|(code, item)| format!("{code} = {}", item_text_of(item)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn item_text_of(item: &Item) -> String {
    item.as_written
        .clone()
        .unwrap_or_else(|| item.value.to_string())
}

fn on_template(template: Option<&Template>, code: &str) -> bool {
    template.is_some_and(|t| t.item(code).is_some() || t.formulas.iter().any(|f| f.code == code))
}

/// The inputs of the form (without the `<form>` element, its token and its buttons).
pub fn render(lang: Lang, shown: &Shown<'_>, template: Option<&Template>) -> Markup {
    let json = serde_json::to_value(shown.sheet).unwrap_or(Value::Null);
    let free = shown.value(FREE, || free_text(shown.sheet, template));
    html! {
        (header_fields(lang, shown, &json))
        @if let Some(template) = template { (template_items(lang, shown, template)) }
        fieldset disabled[!shown.editable] {
            legend { (t(lang, "form.free_items")) }
            div class="field" {
                label for="free" { (t(lang, "form.free_items")) }
                textarea id="free" name=(FREE) rows="4" cols="60" aria-describedby="free-hint" { (free) }
                span class="hint" id="free-hint" { (t(lang, "form.free_hint")) }
            }
        }
    }
}

fn unreadable(about: &str, why: &str) -> Finding {
    Finding::new(
        Severity::Error,
        "field.unreadable",
        Some(about),
        format!("cannot be read: {why}"),
        format!("読み取れません: {why}"),
    )
}

/// Removes the value at a dotted path of the sheet's JSON.
fn clear(json: &mut Value, path: &str) {
    let (parent, last) = path.rsplit_once('.').unwrap_or(("", path));
    let target = if parent.is_empty() {
        Some(json)
    } else {
        parent.split('.').try_fold(json, |v, key| v.get_mut(key))
    };
    if let Some(Value::Object(map)) = target {
        map.remove(last);
    }
}

fn item_value(def_type: Option<ItemType>, text: &str) -> Result<ItemValue, String> {
    match def_type {
        Some(ItemType::Integer) => text
            .parse::<i64>()
            .map(ItemValue::Integer)
            .map_err(|_| format!("`{text}` is not a whole number")),
        Some(ItemType::Decimal) => text
            .parse::<f64>()
            .map(ItemValue::Decimal)
            .map_err(|_| format!("`{text}` is not a number")),
        Some(ItemType::Boolean) => kakehashi_sdk::parse::parse_bool(text).map(ItemValue::Boolean),
        Some(_) => Ok(ItemValue::Text(text.to_owned())),
        // A free item: a number when it reads as one.
        None => Ok(text
            .parse::<i64>()
            .map(ItemValue::Integer)
            .or_else(|_| text.parse::<f64>().map(ItemValue::Decimal))
            .unwrap_or_else(|_| ItemValue::Text(text.to_owned()))),
    }
}

/// Sets an item from its text, keeping where an unchanged value came from.
fn set_item(sheet: &mut Sheet, before: &Sheet, code: &str, value: ItemValue, text: &str) {
    if let Some(old) = before.items.get(code)
        && item_text_of(old) == text
    {
        sheet.items.insert(code.to_owned(), old.clone());
        return;
    }
    let mut item = Item::read(value, None);
    if matches!(item.value, ItemValue::Decimal(_)) {
        item.as_written = Some(text.to_owned());
    }
    sheet.items.insert(code.to_owned(), item);
}

/// The sheet the posted form describes, starting from `before` (what the form does not show is
/// kept); or the findings of the values that could not be read, beside their fields.
pub fn read(
    before: &Sheet,
    template: Option<&Template>,
    posted: &BTreeMap<String, String>,
) -> Result<Sheet, Vec<Finding>> {
    let mut json =
        serde_json::to_value(before).map_err(|e| vec![unreadable("sheet", &e.to_string())])?;
    let shown: Vec<HeaderField> = HeaderField::ALL
        .iter()
        .copied()
        .filter(|f| posted.contains_key(&header_name(*f)))
        .filter(|f| written_by_hospital(*f, before.kind))
        .collect();
    for field in &shown {
        match field.treatment_kind() {
            Some(kind) => {
                if let Some(Value::Array(list)) = json.pointer_mut("/clinical/treatments") {
                    let kind = serde_json::to_value(kind).unwrap_or(Value::Null);
                    list.retain(|t| t.get("kind") != Some(&kind));
                }
            }
            None => clear(&mut json, field.path()),
        }
    }
    let mut sheet: Sheet =
        serde_json::from_value(json).map_err(|e| vec![unreadable("sheet", &e.to_string())])?;
    let mut errors = Vec::new();
    for field in shown {
        let text = &posted[&header_name(field)];
        if let Err(why) = field.apply(&mut sheet, text) {
            errors.push(unreadable(field.path(), &why));
        }
    }
    sheet
        .items
        .retain(|code, _| template.is_some_and(|t| t.formulas.iter().any(|f| &f.code == code)));
    if let Some(template) = template {
        for def in &template.items {
            let text = posted
                .get(&item_name(&def.code))
                .map(|t| t.trim())
                .unwrap_or_default();
            if text.is_empty() {
                continue;
            }
            match item_value(Some(def.item_type), text) {
                Ok(value) => set_item(&mut sheet, before, &def.code, value, text),
                Err(why) => errors.push(unreadable(&def.code, &why)),
            }
        }
    }
    for line in posted
        .get(FREE)
        .map(String::as_str)
        .unwrap_or_default()
        .lines()
    {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match line.split_once('=') {
            Some((code, text))
                if !code.trim().is_empty() && !on_template(template, code.trim()) =>
            {
                let (code, text) = (code.trim(), text.trim());
                if let Ok(value) = item_value(None, text) {
                    set_item(&mut sheet, before, code, value, text);
                }
            }
            _ => errors.push(unreadable(
                FREE,
                &format!("`{line}` is not `code = value` of an item not on the template"),
            )),
        }
    }
    if errors.is_empty() {
        Ok(sheet)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_sdk::Provenance;

    fn posted(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_form_reads_back_what_it_shows_and_locates_what_it_cannot_read() {
        let mut sheet = Sheet::new(SheetKind::Nanbyo, Provenance::default());
        sheet.patient.name = Some("山田 太郎".into());
        sheet.clinical.remarks = Some("before".into());
        let json = serde_json::to_value(&sheet).unwrap();
        assert_eq!(
            header_text(&sheet, &json, HeaderField::PatientName).as_deref(),
            Some("山田 太郎")
        );
        let edited = read(
            &sheet,
            None,
            &posted(&[
                ("h.patient.name", "山田 花子"),
                ("h.patient.sex", "female"),
                ("h.clinical.remarks", ""),
                ("h.clinical.onset", "2020-04"),
                ("free", "score = 12\nnote = 手書き"),
            ]),
        )
        .unwrap();
        assert_eq!(edited.patient.name.as_deref(), Some("山田 花子"));
        assert_eq!(edited.clinical.remarks, None, "an emptied field is cleared");
        assert_eq!(edited.items["score"].value, ItemValue::Integer(12));
        assert_eq!(edited.items["note"].value, ItemValue::Text("手書き".into()));
        let errors = read(
            &sheet,
            None,
            &posted(&[
                ("h.patient.date_of_birth", "someday"),
                ("free", "no equals"),
            ]),
        )
        .unwrap_err();
        let about: Vec<_> = errors.iter().map(|f| f.item.clone().unwrap()).collect();
        assert_eq!(about, ["patient.date_of_birth", "free"]);
    }

    /// Every choice a coded header field offers is a value the sheet reads back, and the sheet
    /// shows it again as the same choice (so a saved choice stays selected).
    #[test]
    fn every_choice_offered_reads_back_as_itself() {
        for field in HeaderField::ALL.iter().copied() {
            let Some(options) = choices(field) else {
                continue;
            };
            for (value, _, _) in options {
                let mut sheet = Sheet::new(SheetKind::Shoman, Provenance::default());
                field
                    .apply(&mut sheet, value)
                    .unwrap_or_else(|e| panic!("{} = {value}: {e}", field.path()));
                let json = serde_json::to_value(&sheet).unwrap();
                assert_eq!(
                    header_text(&sheet, &json, field).as_deref(),
                    Some(*value),
                    "{}",
                    field.path()
                );
            }
        }
    }
}
