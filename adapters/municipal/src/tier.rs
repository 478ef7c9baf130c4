//! 階層区分の提案 (a proposed income tier): from the self-information (自己情報) an app retrieved
//! through マイナポータル — household, public assistance, each member's 市町村民税 — the tier and
//! the monthly cap the published rules give, with every step as a reason the officer can check.
//! The municipality decides the tier; this saves the arithmetic and shows where the information
//! falls short (a member without tax data, the wrong 年度) instead of guessing.
//!
//! The rules (難病法施行令 第1条, 児童福祉法施行令 第22条; thresholds in
//! `mappings/reference/copayment.toml`): 生活保護 when the household receives public assistance;
//! else, when no member of the 支給認定基準世帯 pays 市町村民税, 低所得Ⅰ or Ⅱ by the yearly
//! income of the patient (小慢: of the guardians) — 合計所得金額 plus 公的年金等収入額 — against
//! 800,000 yen; else by the household's 所得割 summed: 一般所得Ⅰ under 71,000 yen, 一般所得Ⅱ
//! under 251,000 yen, 上位所得 from there. The tax year (年度) runs from July to June: an
//! application in January–June is decided on the previous 年度's tax.

use chrono::{Datelike, NaiveDate};
use kakehashi_sdk::{
    Finding, Household, IncomeTier, MemberIncome, Retrieved, SelfInformation, Severity, SheetKind,
    SpecialStatus,
};
use serde::{Deserialize, Serialize};

use crate::copayment::CopaymentTables;

/// The thresholds that divide the tiers, in yen.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierThresholds {
    /// 低所得Ⅰ: the patient's (小慢: the guardians') yearly income at most this.
    pub low_income_1_max_yearly_income: u64,
    /// 一般所得Ⅰ: the household's 市町村民税所得割 below this.
    pub general_income_1_levy_below: u64,
    /// 一般所得Ⅱ: below this; 上位所得 from it.
    pub general_income_2_levy_below: u64,
}

/// The tier and cap the self-information points to, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CopaymentProposal {
    /// 階層区分, when the information decides it.
    pub tier: Option<IncomeTier>,
    /// 階層区分 in Japanese (低所得Ⅰ …).
    pub tier_ja: Option<String>,
    /// 自己負担上限額（月額）in yen for the tier's 一般 column; lower for 高額かつ長期, 重症 or
    /// 人工呼吸器等装着者, which the reasons give.
    pub monthly_cap: Option<u32>,
    /// 年度 of the tax information the tier was reached from.
    pub fiscal_year: Option<u16>,
    /// The steps, as findings: `info` for each rule applied, `warning` where the information
    /// falls short (and then `tier` is null or to be checked).
    pub reasons: Vec<Finding>,
}

/// Relationships (続柄) whose income counts as the guardians' for 小慢, besides the applicant's.
const GUARDIANS: [&str; 3] = ["父", "母", "保護者"];

/// The tier `information` points to for a `kind` application made on `applied_on` by an
/// applicant of `applicant_relationship` (続柄), priced by `tables`.
pub fn propose_tier(
    kind: SheetKind,
    information: &SelfInformation,
    applicant_relationship: Option<&str>,
    applied_on: NaiveDate,
    tables: &CopaymentTables,
) -> CopaymentProposal {
    let mut reasons = Vec::new();
    let income = information.income.as_ref();
    let tier = decide(
        kind,
        information,
        applicant_relationship,
        applied_on,
        &tables.tiers,
        &mut reasons,
    );
    let monthly_cap = tier.and_then(|tier| {
        let cap = tables.monthly_cap(kind, tier, None).ok()?;
        let specials: Vec<String> = SpecialStatus::ALL
            .into_iter()
            .filter_map(|s| Some((s, tables.monthly_cap(kind, tier, Some(s)).ok()?)))
            .filter(|(_, c)| *c != cap)
            .map(|(s, c)| format!("{} {}", s.label_ja(), yen(c.into())))
            .collect();
        reasons.push(Finding::new(
            Severity::Info,
            "tier.monthly_cap",
            None,
            format!(
                "{}: the monthly cap is {} yen (general); lower for a recipient of a special status: {}",
                tier.as_str(),
                cap,
                specials.join(", ")
            ),
            format!(
                "{}の自己負担上限額（月額）は一般 {}です（{}に当たるときは下がります）",
                tier.label_ja(),
                yen(cap.into()),
                specials.join("・")
            ),
        ));
        Some(cap)
    });
    CopaymentProposal {
        tier,
        tier_ja: tier.map(|t| t.label_ja().to_owned()),
        monthly_cap,
        fiscal_year: income.map(|i| i.data.fiscal_year),
        reasons,
    }
}

fn decide(
    kind: SheetKind,
    information: &SelfInformation,
    applicant_relationship: Option<&str>,
    applied_on: NaiveDate,
    thresholds: &TierThresholds,
    reasons: &mut Vec<Finding>,
) -> Option<IncomeTier> {
    let household = information.household.as_ref();
    if let Some(h) = household.filter(|h| h.data.public_assistance == Some(true)) {
        reasons.push(info(
            "tier.public_assistance",
            "self_information.household",
            format!("the household receives public assistance ({})", from(h)),
            format!("世帯が生活保護を受給しています（{}）", from_ja(h)),
        ));
        return Some(IncomeTier::PublicAssistance);
    }
    let Some(income) = information.income.as_ref() else {
        reasons.push(warning(
            "tier.no_income_information",
            "self_information.income",
            "no tax information (地方税関係情報) was sent: the tier cannot be proposed",
            "地方税関係情報がないため、階層区分を提案できません",
        ));
        return None;
    };
    let year = tax_year(applied_on);
    if i32::from(income.data.fiscal_year) != year {
        reasons.push(warning(
            "tier.fiscal_year",
            "self_information.income.fiscal_year",
            format!(
                "the tax information is of FY{}; an application made on {applied_on} is decided on FY{year}'s",
                income.data.fiscal_year
            ),
            format!(
                "地方税関係情報は {} 年度のものです。{applied_on} の申請は {year} 年度の課税で判定します",
                income.data.fiscal_year
            ),
        ));
    }
    let members = &income.data.members;
    if !covers_household(household, members, reasons) {
        return None;
    }
    let mut levy = 0u64;
    let mut all_exempt = true;
    for (index, member) in members.iter().enumerate() {
        let who = relationship(member);
        match (member.municipal_tax_exempt, member.income_levy) {
            (Some(true), _) => {}
            (_, Some(amount)) => {
                all_exempt = false;
                levy += amount;
            }
            (_, None) => {
                reasons.push(warning(
                    "tier.levy_missing",
                    &format!("self_information.income.members[{index}]"),
                    format!(
                        "member {who} is not marked tax exempt but has no 所得割 (income_levy): the tier cannot be proposed"
                    ),
                    format!(
                        "世帯員（{who}）は非課税とされていませんが所得割額がないため、階層区分を提案できません"
                    ),
                ));
                return None;
            }
        }
    }
    if all_exempt {
        return low_income(kind, members, applicant_relationship, thresholds, reasons);
    }
    let (tier, rule, rule_ja) = if levy < thresholds.general_income_1_levy_below {
        (
            IncomeTier::GeneralIncome1,
            format!("under {}", thresholds.general_income_1_levy_below),
            format!("{}未満", yen(thresholds.general_income_1_levy_below)),
        )
    } else if levy < thresholds.general_income_2_levy_below {
        (
            IncomeTier::GeneralIncome2,
            format!(
                "{} to under {}",
                thresholds.general_income_1_levy_below, thresholds.general_income_2_levy_below
            ),
            format!(
                "{}以上{}未満",
                yen(thresholds.general_income_1_levy_below),
                yen(thresholds.general_income_2_levy_below)
            ),
        )
    } else {
        (
            IncomeTier::UpperIncome,
            format!("{} or more", thresholds.general_income_2_levy_below),
            format!("{}以上", yen(thresholds.general_income_2_levy_below)),
        )
    };
    reasons.push(info(
        "tier.income_levy",
        "self_information.income",
        format!(
            "the household's 市町村民税所得割 sums to {levy} yen over {} member(s), {rule} yen: {} ({})",
            members.len(),
            tier.as_str(),
            from(income)
        ),
        format!(
            "世帯員 {} 人の市町村民税所得割の合計は {} で、{}のため{}です（{}）",
            members.len(),
            yen(levy),
            rule_ja,
            tier.label_ja(),
            from_ja(income)
        ),
    ));
    Some(tier)
}

/// 低所得Ⅰ or Ⅱ for a household without municipal tax, by the earner's yearly income.
fn low_income(
    kind: SheetKind,
    members: &[MemberIncome],
    applicant_relationship: Option<&str>,
    thresholds: &TierThresholds,
    reasons: &mut Vec<Finding>,
) -> Option<IncomeTier> {
    let earners: Vec<&MemberIncome> = members
        .iter()
        .filter(|m| {
            let who = relationship(m);
            match kind {
                SheetKind::Nanbyo => who == "本人",
                SheetKind::Shoman => {
                    GUARDIANS.contains(&who)
                        || applicant_relationship.is_some_and(|a| a.trim() == who && who != "本人")
                }
            }
        })
        .collect();
    let whose = match kind {
        SheetKind::Nanbyo => ("the patient (本人)", "本人"),
        SheetKind::Shoman => ("the guardians (保護者)", "保護者"),
    };
    let yearly: Option<u64> = earners
        .iter()
        .map(|m| match (m.total_income, m.pension_income) {
            (None, None) => None,
            (total, pension) => Some(total.unwrap_or(0) + pension.unwrap_or(0)),
        })
        .sum();
    let (Some(yearly), false) = (yearly, earners.is_empty()) else {
        reasons.push(warning(
            "tier.earner_income_missing",
            "self_information.income.members",
            format!(
                "the household pays no municipal tax, but the yearly income of {} is not given: 低所得Ⅰ or Ⅱ cannot be told apart",
                whose.0
            ),
            format!(
                "市町村民税非課税世帯ですが、{}の年収がないため低所得Ⅰ・Ⅱを判定できません",
                whose.1
            ),
        ));
        return None;
    };
    let limit = thresholds.low_income_1_max_yearly_income;
    let tier = if yearly <= limit {
        IncomeTier::LowIncome1
    } else {
        IncomeTier::LowIncome2
    };
    reasons.push(info(
        "tier.low_income",
        "self_information.income",
        format!(
            "no member pays municipal tax; the yearly income of {} (合計所得金額 + 公的年金等収入額) is {yearly} yen, {} {limit}: {}",
            whose.0,
            if yearly <= limit { "at most" } else { "above" },
            tier.as_str()
        ),
        format!(
            "市町村民税非課税世帯で、{}の年収（合計所得金額＋公的年金等収入額）{}は {}{}のため{}です",
            whose.1,
            yen(yearly),
            yen(limit),
            if yearly <= limit { "以下" } else { "を超える" },
            tier.label_ja()
        ),
    ));
    Some(tier)
}

/// Whether every member of the household (世帯情報) has tax information, by 続柄; without
/// household information the income's members are taken as the household, with a note.
fn covers_household(
    household: Option<&Retrieved<Household>>,
    members: &[MemberIncome],
    reasons: &mut Vec<Finding>,
) -> bool {
    let Some(household) = household else {
        reasons.push(info(
            "tier.household_from_income",
            "self_information.household",
            "no household information (世帯情報) was sent: the members with tax information are taken as the household",
            "世帯情報がないため、地方税関係情報のある方を世帯員とみなしました",
        ));
        return !members.is_empty();
    };
    let mut unmatched: Vec<&str> = members.iter().map(relationship).collect();
    let mut missing = Vec::new();
    for member in &household.data.members {
        let who = member.relationship.as_deref().map_or("", str::trim);
        match unmatched.iter().position(|m| *m == who) {
            Some(i) => {
                unmatched.swap_remove(i);
            }
            None => missing.push(if who.is_empty() {
                "（続柄なし）"
            } else {
                who
            }),
        }
    }
    if missing.is_empty() && !members.is_empty() {
        return true;
    }
    reasons.push(warning(
        "tier.member_without_income",
        "self_information.income.members",
        format!(
            "household member(s) without tax information: {}; the tier cannot be proposed",
            missing.join(", ")
        ),
        format!(
            "地方税関係情報のない世帯員がいます（{}）。階層区分を提案できません",
            missing.join("、")
        ),
    ));
    false
}

/// 年度 whose tax an application made on `day` is decided on: July to June.
fn tax_year(day: NaiveDate) -> i32 {
    if day.month() >= 7 {
        day.year()
    } else {
        day.year() - 1
    }
}

fn relationship(member: &MemberIncome) -> &str {
    member.relationship.as_deref().map_or("", str::trim)
}

fn from<T>(part: &Retrieved<T>) -> String {
    format!(
        "{}, retrieved {}",
        part.source,
        part.retrieved_at.to_rfc3339()
    )
}

fn from_ja<T>(part: &Retrieved<T>) -> String {
    format!("{}、{} 取得", part.source, part.retrieved_at.to_rfc3339())
}

fn info(code: &str, item: &str, message: impl Into<String>, ja: impl Into<String>) -> Finding {
    Finding::new(Severity::Info, code, Some(item), message, ja)
}

fn warning(code: &str, item: &str, message: impl Into<String>, ja: impl Into<String>) -> Finding {
    Finding::new(Severity::Warning, code, Some(item), message, ja)
}

/// `52000` as `52,000円`.
fn yen(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out.push('円');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_sdk::{HouseholdMember, Income};

    fn tables() -> CopaymentTables {
        CopaymentTables::parse(include_str!("../../../mappings/reference/copayment.toml")).unwrap()
    }

    fn retrieved<T>(data: T) -> Retrieved<T> {
        Retrieved {
            source: "mynaportal:self_information_api".to_owned(),
            retrieved_at: "2026-12-01T10:00:00+09:00".parse().unwrap(),
            data,
        }
    }

    fn member(who: &str, exempt: bool, levy: Option<u64>, income: Option<u64>) -> MemberIncome {
        MemberIncome {
            relationship: Some(who.to_owned()),
            municipal_tax_exempt: Some(exempt),
            income_levy: levy,
            total_income: income,
            pension_income: None,
        }
    }

    fn information(members: Vec<MemberIncome>) -> SelfInformation {
        SelfInformation {
            insurance: None,
            household: Some(retrieved(Household {
                members: members
                    .iter()
                    .map(|m| HouseholdMember {
                        relationship: m.relationship.clone(),
                        ..HouseholdMember::default()
                    })
                    .collect(),
                public_assistance: Some(false),
            })),
            income: Some(retrieved(Income {
                fiscal_year: 2026,
                members,
            })),
        }
    }

    fn december() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn nanbyo(info: &SelfInformation) -> CopaymentProposal {
        propose_tier(SheetKind::Nanbyo, info, Some("本人"), december(), &tables())
    }

    fn codes(p: &CopaymentProposal) -> Vec<&str> {
        p.reasons.iter().map(|r| r.code.as_str()).collect()
    }

    /// Each tier at both sides of its thresholds, priced from the published table.
    #[test]
    fn the_household_levy_and_the_earners_income_choose_the_tier() {
        use IncomeTier::*;
        let cases = [
            (
                vec![member("本人", true, None, Some(800_000))],
                LowIncome1,
                2_500,
            ),
            (
                vec![member("本人", true, None, Some(800_001))],
                LowIncome2,
                5_000,
            ),
            (
                vec![
                    member("本人", false, Some(30_000), Some(1_500_000)),
                    member("夫", false, Some(40_999), None),
                ],
                GeneralIncome1,
                10_000,
            ),
            (
                vec![
                    member("本人", false, Some(52_000), None),
                    member("夫", false, Some(19_000), None),
                ],
                GeneralIncome2,
                20_000,
            ),
            (
                vec![member("本人", false, Some(250_999), None)],
                GeneralIncome2,
                20_000,
            ),
            (
                vec![member("本人", false, Some(251_000), None)],
                UpperIncome,
                30_000,
            ),
            // One member taxed makes the household taxed, even at a 所得割 of 0 (均等割 only).
            (
                vec![
                    member("本人", true, None, Some(0)),
                    member("夫", false, Some(0), None),
                ],
                GeneralIncome1,
                10_000,
            ),
        ];
        for (members, tier, cap) in cases {
            let p = nanbyo(&information(members.clone()));
            assert_eq!(p.tier, Some(tier), "{members:?}: {:?}", p.reasons);
            assert_eq!(p.monthly_cap, Some(cap), "{members:?}");
            assert_eq!(p.tier_ja.as_deref(), Some(tier.label_ja()));
            assert!(p.reasons.iter().all(|r| r.severity == Severity::Info));
            assert_eq!(codes(&p).last(), Some(&"tier.monthly_cap"));
        }
    }

    #[test]
    fn reasons_show_the_sum_and_the_rule_in_both_languages() {
        let p = nanbyo(&information(vec![
            member("本人", false, Some(52_000), None),
            member("夫", false, Some(160_000), None),
        ]));
        let levy = &p.reasons[0];
        assert_eq!(levy.code, "tier.income_levy");
        assert!(levy.message_ja.contains("212,000円"), "{}", levy.message_ja);
        assert!(levy.message_ja.contains("71,000円以上251,000円未満"));
        assert!(levy.message.contains("212000 yen"));
        assert!(p.reasons[1].message_ja.contains("高額かつ長期 10,000円"));
        assert_eq!(p.fiscal_year, Some(2026));
    }

    #[test]
    fn public_assistance_comes_first() {
        let mut info = information(vec![member("本人", false, Some(300_000), None)]);
        info.household.as_mut().unwrap().data.public_assistance = Some(true);
        let p = nanbyo(&info);
        assert_eq!(p.tier, Some(IncomeTier::PublicAssistance));
        assert_eq!(p.monthly_cap, Some(0));
        assert_eq!(codes(&p)[0], "tier.public_assistance");
    }

    /// 小慢 counts the guardians' income for 低所得, and prices from the 小慢 table.
    #[test]
    fn shoman_low_income_is_the_guardians() {
        let info = information(vec![
            member("本人", true, None, Some(0)),
            member("母", true, None, Some(500_000)),
            member("父", true, None, Some(400_000)),
        ]);
        let p = propose_tier(SheetKind::Shoman, &info, Some("母"), december(), &tables());
        assert_eq!(p.tier, Some(IncomeTier::LowIncome2));
        assert_eq!(p.monthly_cap, Some(2_500));
        assert!(p.reasons[0].message_ja.contains("900,000円"));
    }

    /// Where the information falls short the tier is not guessed, and the reason says why.
    #[test]
    fn missing_information_proposes_nothing_and_says_why() {
        let none = nanbyo(&SelfInformation::default());
        assert_eq!(none.tier, None);
        assert_eq!(codes(&none), ["tier.no_income_information"]);

        let mut info = information(vec![member("本人", false, Some(10_000), None)]);
        info.household
            .as_mut()
            .unwrap()
            .data
            .members
            .push(HouseholdMember {
                relationship: Some("妻".to_owned()),
                ..HouseholdMember::default()
            });
        let p = nanbyo(&info);
        assert_eq!((p.tier, p.monthly_cap), (None, None));
        assert_eq!(codes(&p), ["tier.member_without_income"]);
        assert!(p.reasons[0].message_ja.contains("妻"));

        let mut unknown = member("本人", false, None, None);
        unknown.municipal_tax_exempt = None;
        assert_eq!(
            codes(&nanbyo(&information(vec![unknown]))),
            ["tier.levy_missing"]
        );
        assert_eq!(
            codes(&nanbyo(&information(vec![member(
                "本人", true, None, None
            )]))),
            ["tier.earner_income_missing"]
        );
    }

    /// January–June decides on the previous 年度's tax: newer information is flagged, not
    /// refused.
    #[test]
    fn the_tax_year_runs_from_july() {
        let info = information(vec![member("本人", false, Some(10_000), None)]);
        let june = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
        let p = propose_tier(SheetKind::Nanbyo, &info, None, june, &tables());
        assert_eq!(codes(&p)[0], "tier.fiscal_year");
        assert!(p.reasons[0].message_ja.contains("2025 年度"));
        assert_eq!(p.tier, Some(IncomeTier::GeneralIncome1));
        let july = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        let p = propose_tier(SheetKind::Nanbyo, &info, None, july, &tables());
        assert_ne!(codes(&p)[0], "tier.fiscal_year");
    }

    #[test]
    fn without_household_information_the_taxed_members_are_the_household() {
        let mut info = information(vec![member("本人", false, Some(100_000), None)]);
        info.household = None;
        let p = nanbyo(&info);
        assert_eq!(codes(&p)[0], "tier.household_from_income");
        assert_eq!(p.tier, Some(IncomeTier::GeneralIncome2));
    }

    #[test]
    fn yen_groups_thousands() {
        assert_eq!(yen(0), "0円");
        assert_eq!(yen(999), "999円");
        assert_eq!(yen(71_000), "71,000円");
        assert_eq!(yen(1_234_567), "1,234,567円");
    }
}
