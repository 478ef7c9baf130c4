//! docs/MAPPINGS.md lists the header fields from the one table (`HeaderField::describe`); this
//! fails when the list drifts from the table. `KAKEHASHI_BLESS=1` rewrites it.

use kakehashi_sdk::{FieldType, HeaderField};

const BEGIN: &str = "<!-- header-fields:begin (generated from adapters/sdk/src/field.rs; KAKEHASHI_BLESS=1 cargo test -p kakehashi-sdk --test header_field_doc) -->\n";
const END: &str = "<!-- header-fields:end -->";

fn type_name(t: FieldType) -> &'static str {
    match t {
        FieldType::Text => "text",
        FieldType::Kana => "kana",
        FieldType::Digits => "digits",
        FieldType::Integer => "integer",
        FieldType::Decimal => "decimal",
        FieldType::Date => "date",
        FieldType::YearMonth => "year-month",
        FieldType::Sex => "sex",
        FieldType::Presence => "presence",
        FieldType::Code => "code",
        FieldType::MonthlyAmounts => "monthly amounts",
    }
}

fn table() -> String {
    let mut out = String::from(
        "| path | type | 項目 | field | personal | section |\n|---|---|---|---|---|---|\n",
    );
    for field in HeaderField::ALL {
        let d = field.describe();
        let unit = if d.unit.is_empty() {
            String::new()
        } else {
            format!(" ({})", d.unit)
        };
        out += &format!(
            "| `{}` | {} | {}{unit} | {} | {} | {} |\n",
            d.path,
            type_name(d.field_type),
            d.label_ja,
            d.label_en,
            if d.personal { "yes" } else { "" },
            d.section.title_ja(),
        );
    }
    out
}

#[test]
fn the_mapping_guide_lists_every_header_field_from_the_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/MAPPINGS.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let start = doc.find(BEGIN).expect("the begin marker") + BEGIN.len();
    let end = doc.find(END).expect("the end marker");
    let expected = table();
    if std::env::var_os("KAKEHASHI_BLESS").is_some() {
        let written = format!("{}{expected}{}", &doc[..start], &doc[end..]);
        std::fs::write(path, written).unwrap();
        return;
    }
    assert_eq!(
        &doc[start..end],
        expected,
        "docs/MAPPINGS.md's header-field list is stale: KAKEHASHI_BLESS=1 cargo test -p kakehashi-sdk --test header_field_doc"
    );
}
