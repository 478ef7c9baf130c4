//! Every rule of every built-in template at its boundary (just below, at, just above) and with
//! its items missing; a test fails when a template gains a rule no case covers.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use kakehashi_sdk::{
    DiseaseKey, HeaderField, Item, ItemValue, MonthlyMedicalCost, Provenance, Sheet, SheetKind,
};

use super::*;
use crate::catalog::Catalog;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::load(None).unwrap())
}

fn application_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

type Disease = (SheetKind, Option<u8>, u16);
const ALS: Disease = (SheetKind::Nanbyo, None, 2);
const PD: Disease = (SheetKind::Nanbyo, None, 6);
const MG: Disease = (SheetKind::Nanbyo, None, 11);
const MS: Disease = (SheetKind::Nanbyo, None, 13);
const CIDP: Disease = (SheetKind::Nanbyo, None, 14);
const SLE: Disease = (SheetKind::Nanbyo, None, 49);
const T1D: Disease = (SheetKind::Shoman, Some(7), 1);

/// A sheet of the disease with the given values: header fields by path (as text), items by
/// code (as JSON: `3`, `4.5`, `true`, `"abc"`).
fn sheet((kind, group, number): Disease, given: &[(&str, &str)]) -> Sheet {
    let mut s = Sheet::new(kind, Provenance::default());
    s.disease.group = group;
    s.disease.number = Some(number);
    for (name, value) in given {
        if let Some(field) = HeaderField::ALL.iter().find(|f| f.path() == *name) {
            field.apply(&mut s, value).unwrap();
        } else {
            let value: ItemValue = serde_json::from_str(value).unwrap();
            s.items.insert((*name).to_owned(), Item::read(value, None));
        }
    }
    s
}

fn judged(disease: Disease, given: &[(&str, &str)]) -> Judgment {
    catalog().judge(&sheet(disease, given), application_date())
}

#[derive(Debug, Clone, Copy)]
enum Part {
    Category,
    Severity,
}

/// One rule on one sheet: what its status must be.
struct Case {
    disease: Disease,
    part: Part,
    rule: &'static str,
    given: &'static [(&'static str, &'static str)],
    expect: Truth,
}

const fn case(
    disease: Disease,
    part: Part,
    rule: &'static str,
    given: &'static [(&'static str, &'static str)],
    expect: Truth,
) -> Case {
    Case {
        disease,
        part,
        rule,
        given,
        expect,
    }
}

use Part::{Category, Severity};
use Truth::{Met, NotMet, Unknown};

const DEFINITE: (&str, &str) = ("clinical.diagnostic_category", "Definite");

const CASES: &[Case] = &[
    // ALS 重症度分類 2以上
    case(
        ALS,
        Severity,
        "als_severity_2",
        &[("als.severity_class", "1")],
        NotMet,
    ),
    case(
        ALS,
        Severity,
        "als_severity_2",
        &[("als.severity_class", "2")],
        Met,
    ),
    case(
        ALS,
        Severity,
        "als_severity_2",
        &[("als.severity_class", "3")],
        Met,
    ),
    case(ALS, Severity, "als_severity_2", &[], Unknown),
    case(
        ALS,
        Severity,
        "als_severity_2",
        &[("als.severity_class", "\"重い\"")],
        Unknown,
    ),
    // Parkinson: Definite with parkinsonism (rest tremor, or 2 of 3 other signs)
    case(
        PD,
        Category,
        "definite",
        &[DEFINITE, ("pd.rest_tremor", "true")],
        Met,
    ),
    case(
        PD,
        Category,
        "definite",
        &[
            ("clinical.diagnostic_category", "Probable"),
            ("pd.rest_tremor", "true"),
        ],
        NotMet,
    ),
    case(
        PD,
        Category,
        "definite",
        &[("pd.rest_tremor", "true")],
        Unknown,
    ),
    case(
        PD,
        Category,
        "definite",
        &[
            DEFINITE,
            ("pd.rest_tremor", "false"),
            ("pd.rigidity", "true"),
            ("pd.akinesia", "false"),
            ("pd.postural_instability", "false"),
        ],
        NotMet,
    ),
    case(
        PD,
        Category,
        "definite",
        &[
            DEFINITE,
            ("pd.rest_tremor", "false"),
            ("pd.rigidity", "true"),
            ("pd.akinesia", "true"),
            ("pd.postural_instability", "false"),
        ],
        Met,
    ),
    case(
        PD,
        Category,
        "definite",
        &[
            DEFINITE,
            ("pd.rest_tremor", "false"),
            ("pd.rigidity", "true"),
            ("pd.akinesia", "true"),
            ("pd.postural_instability", "true"),
        ],
        Met,
    ),
    case(
        PD,
        Category,
        "definite",
        &[DEFINITE, ("pd.rigidity", "true")],
        Unknown,
    ),
    case(
        PD,
        Category,
        "definite",
        &[
            DEFINITE,
            ("pd.rest_tremor", "false"),
            ("pd.rigidity", "true"),
            ("pd.akinesia", "false"),
        ],
        Unknown,
    ),
    case(
        PD,
        Category,
        "definite",
        &[
            DEFINITE,
            ("pd.rest_tremor", "false"),
            ("pd.rigidity", "false"),
            ("pd.akinesia", "false"),
        ],
        NotMet,
    ),
    // Parkinson: Hoehn-Yahr 3度以上 かつ 生活機能障害度 2度以上
    case(
        PD,
        Severity,
        "hoehn_yahr_3_and_daily_function_2",
        &[("pd.hoehn_yahr", "2"), ("pd.daily_function", "2")],
        NotMet,
    ),
    case(
        PD,
        Severity,
        "hoehn_yahr_3_and_daily_function_2",
        &[("pd.hoehn_yahr", "3"), ("pd.daily_function", "2")],
        Met,
    ),
    case(
        PD,
        Severity,
        "hoehn_yahr_3_and_daily_function_2",
        &[("pd.hoehn_yahr", "4"), ("pd.daily_function", "3")],
        Met,
    ),
    case(
        PD,
        Severity,
        "hoehn_yahr_3_and_daily_function_2",
        &[("pd.hoehn_yahr", "3"), ("pd.daily_function", "1")],
        NotMet,
    ),
    case(
        PD,
        Severity,
        "hoehn_yahr_3_and_daily_function_2",
        &[("pd.daily_function", "2")],
        Unknown,
    ),
    case(
        PD,
        Severity,
        "hoehn_yahr_3_and_daily_function_2",
        &[("pd.hoehn_yahr", "2")],
        NotMet,
    ),
    // 重症筋無力症: MGFA Class I 以上
    case(
        MG,
        Severity,
        "mgfa_class_1",
        &[("mg.mgfa_class", "0")],
        NotMet,
    ),
    case(MG, Severity, "mgfa_class_1", &[("mg.mgfa_class", "1")], Met),
    case(MG, Severity, "mgfa_class_1", &[("mg.mgfa_class", "2")], Met),
    case(MG, Severity, "mgfa_class_1", &[], Unknown),
    // MS/NMOSD: EDSS 4.5 以上
    case(MS, Severity, "edss_4_5", &[("ms.edss", "4.0")], NotMet),
    case(MS, Severity, "edss_4_5", &[("ms.edss", "4.5")], Met),
    case(MS, Severity, "edss_4_5", &[("ms.edss", "5.0")], Met),
    case(MS, Severity, "edss_4_5", &[], Unknown),
    // MS/NMOSD: 矯正視力 0.7 未満
    case(
        MS,
        Severity,
        "visual_acuity_below_0_7",
        &[("ms.visual_acuity_better_eye", "0.6")],
        Met,
    ),
    case(
        MS,
        Severity,
        "visual_acuity_below_0_7",
        &[("ms.visual_acuity_better_eye", "0.7")],
        NotMet,
    ),
    case(
        MS,
        Severity,
        "visual_acuity_below_0_7",
        &[("ms.visual_acuity_better_eye", "0.8")],
        NotMet,
    ),
    case(MS, Severity, "visual_acuity_below_0_7", &[], Unknown),
    // MS/NMOSD: 視野狭窄あり
    case(
        MS,
        Severity,
        "visual_field_constriction",
        &[("ms.visual_field_constriction", "true")],
        Met,
    ),
    case(
        MS,
        Severity,
        "visual_field_constriction",
        &[("ms.visual_field_constriction", "false")],
        NotMet,
    ),
    case(MS, Severity, "visual_field_constriction", &[], Unknown),
    // CIDP/MMN: Barthel Index 85点以下
    case(
        CIDP,
        Severity,
        "barthel_85",
        &[("barthel.total", "84")],
        Met,
    ),
    case(
        CIDP,
        Severity,
        "barthel_85",
        &[("barthel.total", "85")],
        Met,
    ),
    case(
        CIDP,
        Severity,
        "barthel_85",
        &[("barthel.total", "86")],
        NotMet,
    ),
    case(CIDP, Severity, "barthel_85", &[], Unknown),
    case(
        CIDP,
        Severity,
        "barthel_85",
        &[("barthel.total", "\"abc\"")],
        Unknown,
    ),
    // SLE: SLEDAI 4点以上
    case(SLE, Severity, "sledai_4", &[("sledai.score", "3")], NotMet),
    case(SLE, Severity, "sledai_4", &[("sledai.score", "4")], Met),
    case(SLE, Severity, "sledai_4", &[("sledai.score", "5")], Met),
    case(SLE, Severity, "sledai_4", &[], Unknown),
    // 1型糖尿病 (小慢): インスリン療法あり
    case(
        T1D,
        Severity,
        "insulin_therapy",
        &[("t1d.insulin_therapy", "true")],
        Met,
    ),
    case(
        T1D,
        Severity,
        "insulin_therapy",
        &[("t1d.insulin_therapy", "false")],
        NotMet,
    ),
    case(T1D, Severity, "insulin_therapy", &[], Unknown),
];

fn rule_status(j: &Judgment, part: Part, rule: &str) -> Option<Truth> {
    let section = match part {
        Part::Category => &j.category,
        Part::Severity => &j.severity,
    };
    section
        .rules
        .iter()
        .find(|r| r.id == rule)
        .map(|r| r.status)
}

#[test]
fn every_rule_meets_its_boundaries() {
    for c in CASES {
        let j = judged(c.disease, c.given);
        assert_eq!(
            rule_status(&j, c.part, c.rule),
            Some(c.expect),
            "{:?} {:?} rule {} with {:?}",
            c.disease,
            c.part,
            c.rule,
            c.given
        );
    }
}

/// A template's worked example (`[[judgment.cases]]`) as a checked sheet: its values, then the
/// checks (so formulas are computed from their items, as for a real sheet).
fn case_sheet(template: &kakehashi_sdk::Template, case: &kakehashi_sdk::Case) -> Sheet {
    let mut s = Sheet::new(template.kind, Provenance::default());
    s.disease.group = template.group;
    s.disease.number = Some(template.number);
    for (name, value) in &case.given {
        match HeaderField::ALL.iter().find(|f| f.path() == name) {
            Some(field) => field
                .apply(&mut s, &value.to_string())
                .unwrap_or_else(|e| panic!("{}: {name}: {e}", template.name)),
            None => {
                s.items
                    .insert(name.clone(), Item::read(value.clone(), None));
            }
        }
    }
    let context = crate::checks::CheckContext {
        diseases: &catalog().diseases,
        templates: &catalog().templates,
        today: application_date(),
    };
    crate::checks::check_sheet(&mut s, &context);
    s
}

/// A sheet of a built-in template's disease with these items, checked (formulas computed).
fn computed(disease: Disease, items: &[(&str, ItemValue)]) -> Sheet {
    let mut s = sheet(disease, &[]);
    for (code, value) in items {
        s.items
            .insert((*code).to_owned(), Item::read(value.clone(), None));
    }
    let context = crate::checks::CheckContext {
        diseases: &catalog().diseases,
        templates: &catalog().templates,
        today: application_date(),
    };
    crate::checks::check_sheet(&mut s, &context);
    s
}

#[test]
fn published_scores_compute_from_their_items() {
    use ItemValue::{Boolean as B, Decimal as D, Integer as I};
    // CDAI (Best 1976): 2·14 + 5·7 + 7·10 + 20·2 + 30·1 + 10·2 + 6·(47 − 40) − 100·(54/60) + 100
    // = 28 + 35 + 70 + 40 + 30 + 20 + 42 − 90 + 100 = 275.
    let cd = computed(
        (SheetKind::Nanbyo, None, 96),
        &[
            ("cdai.liquid_stools_7d", I(14)),
            ("cdai.abdominal_pain_7d", I(7)),
            ("cdai.well_being_7d", I(10)),
            ("cdai.complications", I(2)),
            ("cdai.antidiarrheal", B(true)),
            ("cdai.abdominal_mass", I(2)),
            ("cdai.standard_hematocrit", I(47)),
            ("cdai.hematocrit", D(40.0)),
            ("cdai.weight", D(54.0)),
            ("cdai.standard_weight", D(60.0)),
        ],
    );
    assert_eq!(cd.items["cdai.total"].value, D(275.0));
    // SARA: 3 + 2 + 1 + 2 + (1+2)/2 + 1 + (2+2)/2 + (0+1)/2 = 13
    let scd = computed(
        (SheetKind::Nanbyo, None, 18),
        &[
            ("sara.gait", I(3)),
            ("sara.stance", I(2)),
            ("sara.sitting", I(1)),
            ("sara.speech", I(2)),
            ("sara.finger_chase_right", I(1)),
            ("sara.finger_chase_left", I(2)),
            ("sara.nose_finger_right", I(1)),
            ("sara.nose_finger_left", I(1)),
            ("sara.alternating_right", I(2)),
            ("sara.alternating_left", I(2)),
            ("sara.heel_shin_right", I(0)),
            ("sara.heel_shin_left", I(1)),
        ],
    );
    assert_eq!(scd.items["sara.finger_chase"].value, D(1.5));
    assert_eq!(scd.items["sara.total"].value, D(13.0));
    // JESREC: 3·true + 2·true + 2·false + 8 = 13
    let ecrs = computed(
        (SheetKind::Nanbyo, None, 306),
        &[
            ("jesrec.bilateral", B(true)),
            ("jesrec.nasal_polyps", B(true)),
            ("jesrec.ethmoid_dominant", B(false)),
            ("jesrec.blood_eosinophil_points", I(8)),
        ],
    );
    assert_eq!(ecrs.items["jesrec.score"].value, I(13));
    // Mayo 0–12 and IOIBD as counts.
    let uc = computed(
        (SheetKind::Nanbyo, None, 97),
        &[
            ("mayo.stool_frequency", I(2)),
            ("mayo.rectal_bleeding", I(1)),
            ("mayo.endoscopy", I(2)),
            ("mayo.physician_global", I(2)),
        ],
    );
    assert_eq!(uc.items["mayo.total"].value, I(7));
}

fn truth_of(expected: kakehashi_sdk::Expected) -> Truth {
    match expected {
        kakehashi_sdk::Expected::Met => Met,
        kakehashi_sdk::Expected::NotMet => NotMet,
        kakehashi_sdk::Expected::Unknown => Unknown,
    }
}

fn part_of(section: kakehashi_sdk::Section) -> Part {
    match section {
        kakehashi_sdk::Section::Category => Category,
        kakehashi_sdk::Section::Severity => Severity,
    }
}

#[test]
fn every_worked_example_in_the_templates_holds() {
    let mut failures = Vec::new();
    for template in catalog().templates.iter() {
        for case in &template.judgment.cases {
            let j = catalog().judge(&case_sheet(template, case), application_date());
            let got = rule_status(&j, part_of(case.section), &case.rule);
            if got != Some(truth_of(case.expect)) {
                failures.push(format!(
                    "{} {:?} rule {}: expected {:?}, got {got:?} with {:?}",
                    template.key(),
                    case.section,
                    case.rule,
                    case.expect,
                    case.given
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_of_every_template_has_cases_met_not_met_and_unknown() {
    let mut covered: BTreeSet<(String, String, Truth)> = BTreeSet::new();
    for template in catalog().templates.iter() {
        for case in &template.judgment.cases {
            covered.insert((
                format!("{} {:?}", template.key(), part_of(case.section)),
                case.rule.clone(),
                truth_of(case.expect),
            ));
        }
    }
    for c in CASES {
        let key = DiseaseKey {
            kind: c.disease.0,
            group: c.disease.1,
            number: c.disease.2,
        };
        covered.insert((format!("{key} {:?}", c.part), c.rule.to_owned(), c.expect));
    }
    for template in catalog().templates.iter() {
        for (part, rules) in [
            (Part::Category, &template.judgment.category),
            (Part::Severity, &template.judgment.severity),
        ] {
            for rule in rules {
                for truth in [Met, NotMet, Unknown] {
                    let wanted = (
                        format!("{} {part:?}", template.key()),
                        rule.id.clone(),
                        truth,
                    );
                    assert!(covered.contains(&wanted), "no case for {wanted:?}");
                }
            }
        }
    }
}

#[test]
fn reasons_name_the_item_the_value_and_what_was_expected() {
    let j = judged(PD, &[("pd.hoehn_yahr", "3"), ("pd.daily_function", "1")]);
    assert_eq!(j.severity.outcome, Outcome::NotEligible);
    let reasons = &j.severity.rules[0].reasons;
    assert_eq!(reasons.len(), 2);
    assert_eq!(reasons[0].item, "pd.hoehn_yahr");
    assert_eq!(
        reasons[0].item_label.as_deref(),
        Some("Hoehn-Yahr重症度分類")
    );
    assert_eq!(reasons[0].observed, Some(ItemValue::Integer(3)));
    assert_eq!(reasons[0].expected, ">= 3");
    assert_eq!(reasons[0].status, Met);
    assert_eq!(reasons[1].status, NotMet);
    assert_eq!(reasons[1].reason, "生活機能障害度 2度以上");

    let j = judged(CIDP, &[("barthel.total", "\"abc\"")]);
    let reason = &j.severity.rules[0].reasons[0];
    assert!(reason.unreadable && reason.status == Unknown, "{reason:?}");
    assert_eq!(j.severity.unknown_items, ["barthel.total"]);
}

#[test]
fn an_unknown_only_matters_where_it_could_change_the_outcome() {
    // EDSS met: the missing visual items cannot change 該当.
    let j = judged(MS, &[("ms.edss", "6.0")]);
    assert_eq!(j.severity.outcome, Outcome::Eligible);
    assert_eq!(j.severity.met_rule.as_deref(), Some("edss_4_5"));
    assert!(j.severity.unknown_items.is_empty());
    // EDSS not met: the missing visual items could, so 要確認 naming them — never 非該当.
    let j = judged(MS, &[("ms.edss", "2.0")]);
    assert_eq!(j.severity.outcome, Outcome::NeedsReview);
    assert_eq!(
        j.severity.unknown_items,
        [
            "ms.visual_acuity_better_eye",
            "ms.visual_field_constriction"
        ]
    );
    // Everything known and not met: 非該当.
    let j = judged(
        MS,
        &[
            ("ms.edss", "2.0"),
            ("ms.visual_acuity_better_eye", "1.2"),
            ("ms.visual_field_constriction", "false"),
        ],
    );
    assert_eq!(j.severity.outcome, Outcome::NotEligible);
}

fn with_costs(mut s: Sheet, over: &[&str]) -> Sheet {
    // An onset before the window, which then is the twelve months up to the application
    // month, 2025-12 … 2026-11.
    s.clinical
        .onset
        .get_or_insert(YearMonth::new(2015, 1).unwrap());
    s.administrative.monthly_medical_costs = (0..12)
        .map(|n| {
            let month = YearMonth::new(2025 + (n + 11) / 12, (n as u32 + 11) % 12 + 1).unwrap();
            let month_text = month.to_string();
            MonthlyMedicalCost {
                month,
                total_yen: if over.contains(&month_text.as_str()) {
                    33_331
                } else {
                    33_330
                },
            }
        })
        .collect();
    s
}

#[test]
fn the_combined_judgment_needs_the_category_and_the_severity_or_mild_high_cost() {
    let definite = [DEFINITE, ("pd.rest_tremor", "true")];
    let severe = [
        &definite[..],
        &[("pd.hoehn_yahr", "3"), ("pd.daily_function", "2")],
    ]
    .concat();
    let j = judged(PD, &severe);
    assert_eq!((j.outcome, j.outcome_ja), (Outcome::Eligible, "該当"));
    assert!(
        j.mild_high_cost.is_none(),
        "not needed when the severity is met"
    );

    let mild = [
        &definite[..],
        &[("pd.hoehn_yahr", "2"), ("pd.daily_function", "1")],
    ]
    .concat();
    let j = judged(PD, &mild);
    assert_eq!(j.severity.outcome, Outcome::NotEligible);
    assert_eq!(
        j.mild_high_cost.as_ref().map(|m| m.outcome),
        Some(Outcome::NeedsReview),
        "no costs on the sheet: the costs must be looked at"
    );
    assert_eq!(j.outcome, Outcome::NeedsReview);

    let three = with_costs(sheet(PD, &mild), &["2026-01", "2026-06", "2026-11"]);
    let j = catalog().judge(&three, application_date());
    assert_eq!(j.outcome, Outcome::Eligible, "軽症高額");
    let two = with_costs(sheet(PD, &mild), &["2026-06", "2026-11"]);
    let j = catalog().judge(&two, application_date());
    assert_eq!(j.outcome, Outcome::NotEligible);

    let probable = [
        ("clinical.diagnostic_category", "Probable"),
        ("pd.rest_tremor", "true"),
        ("pd.hoehn_yahr", "5"),
        ("pd.daily_function", "3"),
    ];
    let j = judged(PD, &probable);
    assert_eq!(j.severity.outcome, Outcome::Eligible);
    assert_eq!(j.outcome, Outcome::NotEligible, "Probable does not qualify");
}

#[test]
fn without_a_category_rule_the_category_is_left_to_the_review_board() {
    let j = judged(ALS, &[("als.severity_class", "5")]);
    assert_eq!(j.severity.outcome, Outcome::Eligible);
    assert_eq!(j.category.outcome, Outcome::NeedsReview);
    let note = j.category.note.as_ref().unwrap();
    assert!(note.message_ja.contains("診断のカテゴリー"), "{note:?}");
    assert_eq!(j.outcome, Outcome::NeedsReview);
    let j = judged(ALS, &[("als.severity_class", "1")]);
    assert_eq!(j.outcome, Outcome::NeedsReview, "軽症高額 is still open");
    let j = catalog().judge(
        &with_costs(sheet(ALS, &[("als.severity_class", "1")]), &[]),
        application_date(),
    );
    assert_eq!(j.outcome, Outcome::NotEligible, "no month over ¥33,330");
}

#[test]
fn shoman_has_no_mild_high_cost_route() {
    let j = judged(T1D, &[("t1d.insulin_therapy", "false")]);
    assert!(j.mild_high_cost.is_none());
    assert_eq!(j.outcome, Outcome::NotEligible);
}

#[test]
fn a_disease_without_a_template_needs_review() {
    let j = judged((SheetKind::Nanbyo, None, 1), &[]);
    assert_eq!(j.outcome, Outcome::NeedsReview);
    assert!(j.severity.note.is_some() && j.category.note.is_some());
    assert_eq!(j.disease.as_deref(), Some("nanbyo 1"));
}
