//! Decision records to canonical [`Certification`]s: each field read through the layout, then
//! the certification checked as a whole (check digits, what a 認定 must carry, the validity, the
//! co-payment cap against the published table).

use std::collections::BTreeMap;

use kakehashi_sdk::{
    Adapter, AdapterError, Certification, CertificationDecision, Converted, Finding, Input,
    MappedSource, MappingContext, MappingTarget, Provenance, Record, RecordKind, SCHEMA_VERSION,
    parse,
};

use crate::copayment::CopaymentTables;
use crate::layout::{DecisionField, Format, Layout};
use crate::read::{RawRecord, csv_records, fixed_records};
use crate::value::{self, Value};

/// Adapter name, in provenance and `?adapter=`.
const NAME: &str = "municipal";

/// The municipal back-office adapter. Decision files cannot be told apart by their bytes (a
/// fixed-length file is just text), so it never claims a file by sniffing: the caller names the
/// layout.
#[derive(Debug, Default, Clone, Copy)]
pub struct MunicipalAdapter;

impl Adapter for MunicipalAdapter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn produces(&self) -> RecordKind {
        RecordKind::Certification
    }

    fn mapping_sources(
        &self,
        name: &str,
        text: &str,
    ) -> Option<Result<Vec<MappedSource>, AdapterError>> {
        Some(Layout::parse(name, text).map(|layout| {
            layout
                .fields
                .iter()
                .map(|f| {
                    let source = match (&f.column, f.index, f.start) {
                        (Some(column), _, _) => format!("column `{column}`"),
                        (None, Some(index), _) => format!("column #{index}"),
                        (None, None, Some(start)) => format!("bytes from {start}"),
                        (None, None, None) => "a field".to_owned(),
                    };
                    MappedSource::new(source, MappingTarget::Other(f.field.path().to_owned()))
                })
                .collect()
        }))
    }

    fn sniff(&self, _input: &Input<'_>) -> bool {
        false
    }

    fn convert(
        &self,
        input: &Input<'_>,
        context: &MappingContext<'_>,
    ) -> Result<Vec<Converted>, AdapterError> {
        let name = context.mapping.ok_or_else(|| {
            let known: Vec<_> = context.mappings.names(crate::layout::CATEGORY).collect();
            AdapterError::mapping(
                "municipal.layout_required",
                format!(
                    "say which layout the decision file has with ?mapping=NAME (known: {})",
                    known.join(", ")
                ),
                format!(
                    "決定ファイルのレイアウトを ?mapping=名前 で指定してください（登録済み: {}）",
                    known.join(", ")
                ),
            )
        })?;
        let layout = Layout::load(context.mappings, name)?;
        let tables = CopaymentTables::from_mappings(context.mappings)
            .map_err(|e| AdapterError::mapping(e.code(), e.to_string(), e.message_ja()))?;
        read_decisions(input.bytes, input.sha256, &layout, &tables)
    }
}

/// Reads a whole decision file: one certification per record, each with its findings, or an
/// error naming the line (and byte) where the file cannot be read. A record without a readable
/// 認定 / 不認定 is such an error: without it the record decides nothing.
pub fn read_decisions(
    bytes: &[u8],
    sha256: &str,
    layout: &Layout,
    tables: &CopaymentTables,
) -> Result<Vec<Converted>, AdapterError> {
    let records = match &layout.format {
        Format::Csv(csv) => csv_records(bytes, layout, csv)?,
        Format::Fixed(fixed) => fixed_records(bytes, layout, fixed)?,
    };
    if records.is_empty() {
        return Err(AdapterError::malformed(
            "municipal.empty",
            "the decision file has no records".into(),
            "決定ファイルにレコードがありません".into(),
        ));
    }
    records
        .into_iter()
        .enumerate()
        .map(|(index, record)| certification(record, index, sha256, layout, tables))
        .collect()
}

fn certification(
    record: RawRecord,
    index: usize,
    sha256: &str,
    layout: &Layout,
    tables: &CopaymentTables,
) -> Result<Converted, AdapterError> {
    let mut findings = record.findings;
    let mut values = BTreeMap::new();
    let mut fields = BTreeMap::new();
    for cell in record.cells {
        let spec = &layout.fields[cell.spec];
        if cell.text.is_empty() {
            continue;
        }
        match value::read(spec, &cell.text) {
            Ok(v) => {
                fields.insert(spec.field.path().to_owned(), cell.location);
                values.insert(spec.field, v);
            }
            Err(p) if spec.field == DecisionField::Decision => {
                return Err(
                    AdapterError::malformed(p.code, p.message, p.message_ja).at(cell.location)
                );
            }
            Err(p) => findings.push(
                Finding::error(p.code, Some(spec.field.path()), p.message, p.message_ja)
                    .at(Some(cell.location)),
            ),
        }
    }
    let line = record.location.line.unwrap_or_default();
    let Some(Value::Decision(decision)) = values.remove(&DecisionField::Decision) else {
        return Err(AdapterError::malformed(
            "municipal.decision",
            format!("line {line} has no decision (認定 / 不認定)"),
            format!("{line} 行目に認定・不認定の区分がありません"),
        )
        .at(record.location));
    };
    let mut c = Certification {
        schema_version: SCHEMA_VERSION.to_owned(),
        kind: layout.kind,
        decision,
        receipt_number: None,
        payer_number: None,
        recipient_number: None,
        income_tier: None,
        special_status: None,
        monthly_copayment_cap: None,
        valid_from: None,
        valid_to: None,
        research_consent: false,
        provenance: Provenance {
            adapter: NAME.to_owned(),
            mapping: Some(layout.name.clone()),
            source_sha256: sha256.to_owned(),
            record_index: u32::try_from(index).unwrap_or(u32::MAX),
            record_location: record.location,
            fields,
            confidence: Default::default(),
            ..Provenance::default()
        },
    };
    let mut stated_cap = None;
    for (field, v) in values {
        match (field, v) {
            (_, Value::Kind(kind)) => c.kind = kind,
            (DecisionField::ReceiptNumber, Value::Digits(d)) => c.receipt_number = Some(d),
            (DecisionField::PayerNumber, Value::Digits(d)) => c.payer_number = Some(d),
            (DecisionField::RecipientNumber, Value::Digits(d)) => c.recipient_number = Some(d),
            (_, Value::Tier(t)) => c.income_tier = Some(t),
            (_, Value::Status(s)) => c.special_status = s,
            (_, Value::Amount(a)) => stated_cap = Some(a),
            (DecisionField::ValidFrom, Value::Date(d)) => c.valid_from = Some(d),
            (DecisionField::ValidTo, Value::Date(d)) => c.valid_to = Some(d),
            (_, Value::Consent(b)) => c.research_consent = b,
            _ => {}
        }
    }
    check(&mut c, stated_cap, tables, &mut findings);
    Ok(Converted {
        record: Record::Certification(Box::new(c)),
        findings,
        readings: Vec::new(),
    })
}

fn error(
    c: &Certification,
    code: &str,
    path: &str,
    message: String,
    message_ja: String,
) -> Finding {
    let location = c.provenance.fields.get(path).cloned();
    Finding::error(code, Some(path), message, message_ja)
        .at(location.or_else(|| Some(c.provenance.record_location.clone())))
}

/// What the record says as a whole: check digits, the 法別番号, what a 認定 needs, the validity
/// and the co-payment cap. Sets the cap from the table.
fn check(
    c: &mut Certification,
    stated_cap: Option<u32>,
    tables: &CopaymentTables,
    findings: &mut Vec<Finding>,
) {
    if let Some(payer) = c.payer_number.as_deref() {
        if !parse::check_digit_is_valid(payer) {
            findings.push(error(
                c,
                "identifier.check_digit",
                "payer_number",
                format!("the payer number (公費負担者番号) {payer} has a wrong check digit"),
                format!("公費負担者番号 {payer} の検証番号が正しくありません"),
            ));
        }
        let law = c.kind.law_number();
        if !payer.starts_with(law) {
            findings.push(error(
                c,
                "identifier.law_number",
                "payer_number",
                format!(
                    "a {} payer number starts with 法別番号 {law}, not {}",
                    c.kind.as_str(),
                    &payer[..2]
                ),
                format!(
                    "公費負担者番号は法別番号 {law} で始まります（{}）",
                    &payer[..2]
                ),
            ));
        }
    }
    if let Some(recipient) = c.recipient_number.as_deref()
        && !parse::check_digit_is_valid(recipient)
    {
        findings.push(error(
            c,
            "identifier.check_digit",
            "recipient_number",
            format!("the recipient number (受給者番号) {recipient} has a wrong check digit"),
            format!("受給者番号 {recipient} の検証番号が正しくありません"),
        ));
    }
    if let (Some(from), Some(to)) = (c.valid_from, c.valid_to)
        && from > to
    {
        findings.push(error(
            c,
            "municipal.validity",
            "valid_to",
            format!("the validity ends ({to}) before it starts ({from})"),
            format!("有効期間の終了日 {to} が開始日 {from} より前です"),
        ));
    }
    if c.decision != CertificationDecision::Certified {
        return;
    }
    let missing: Vec<(&str, &str)> = [
        (c.payer_number.is_none(), "payer_number", "公費負担者番号"),
        (
            c.recipient_number.is_none(),
            "recipient_number",
            "受給者番号",
        ),
        (c.income_tier.is_none(), "income_tier", "階層区分"),
        (c.valid_from.is_none(), "valid_from", "有効期間（開始）"),
        (c.valid_to.is_none(), "valid_to", "有効期間（終了）"),
    ]
    .into_iter()
    .filter(|(absent, _, _)| *absent)
    .map(|(_, path, ja)| (path, ja))
    .collect();
    for (path, ja) in missing {
        findings.push(error(
            c,
            "municipal.missing",
            path,
            format!("a certified (認定) record needs `{path}`"),
            format!("認定のレコードには{ja}が必要です"),
        ));
    }
    let Some(tier) = c.income_tier else { return };
    match tables.monthly_cap(c.kind, tier, c.special_status) {
        Ok(cap) => match stated_cap {
            Some(stated) if stated != cap => findings.push(error(
                c,
                "municipal.copayment_mismatch",
                "monthly_copayment_cap",
                format!(
                    "the file states a monthly cap of {stated} yen; the published table gives {cap} yen for {} {}{}",
                    c.kind.as_str(),
                    tier.label_ja(),
                    c.special_status.map_or(String::new(), |s| format!(" {}", s.label_ja()))
                ),
                format!(
                    "自己負担上限額 {stated} 円が、告示の表の {cap} 円（{}{}）と異なります",
                    tier.label_ja(),
                    c.special_status.map_or(String::new(), |s| format!("・{}", s.label_ja()))
                ),
            )),
            _ => c.monthly_copayment_cap = Some(cap),
        },
        Err(e) => findings.push(error(
            c,
            e.code(),
            "special_status",
            e.to_string(),
            e.message_ja(),
        )),
    }
}
