//! 軽症高額該当 (mild but high cost): a patient whose severity does not reach the threshold is
//! still subsidised when the total medical cost was over a threshold (¥33,330, i.e. ¥10,000 at
//! 3割 co-payment) in enough months (3) within the months up to the application (12) — but
//! never counting months before the disease began: the window starts at the later of the 12th
//! month back and the onset month the designated doctor recorded (発症年月; some prefectures
//! read the month of diagnosis instead, which the rule file can say). The numbers are data
//! (`mappings/judgment/mild_high_cost.toml`), per programme.

use kakehashi_sdk::{MonthlyMedicalCost, Sheet, SheetKind, YearMonth};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Outcome;

/// `mappings/judgment/mild_high_cost.toml`: the rule per programme; a programme without one
/// has no such route to subsidy (小慢).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MildHighCostRules {
    /// 指定難病
    #[serde(default)]
    pub nanbyo: Option<MildHighCostRule>,
    /// 小児慢性特定疾病
    #[serde(default)]
    pub shoman: Option<MildHighCostRule>,
}

/// Which month of the sheet the window may not start before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowFloor {
    /// 発症年月 (`clinical.onset`): 「指定難病を発症したと難病指定医が認めた月」.
    #[default]
    Onset,
    /// 診断年月 (`clinical.diagnosed`), as some prefectures read the rule.
    Diagnosis,
}

impl WindowFloor {
    /// The sheet's month for this floor, and its field path.
    fn of(self, sheet: &Sheet) -> (Option<YearMonth>, &'static str) {
        match self {
            WindowFloor::Onset => (sheet.clinical.onset, "clinical.onset"),
            WindowFloor::Diagnosis => (sheet.clinical.diagnosed, "clinical.diagnosed"),
        }
    }
}

/// One programme's 軽症高額 rule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MildHighCostRule {
    /// The rule as the notification words it, in Japanese.
    pub description: String,
    /// The rule in English.
    pub description_en: String,
    /// A month counts when its 医療費総額 is over (not at) this many yen.
    pub monthly_total_over_yen: u64,
    /// How many counting months are needed.
    pub months_at_least: usize,
    /// How many months up to and including the application month are looked at.
    pub window_months: u32,
    /// The window starts no earlier than this month of the sheet.
    #[serde(default)]
    pub window_floor: WindowFloor,
}

impl MildHighCostRules {
    /// Parses and checks the file; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, String> {
        let rules: Self = toml::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        for rule in [&rules.nanbyo, &rules.shoman].into_iter().flatten() {
            if rule.months_at_least == 0 || rule.months_at_least > rule.window_months as usize {
                return Err(format!(
                    "{file}: months_at_least = {} must be 1 to window_months = {}",
                    rule.months_at_least, rule.window_months
                ));
            }
        }
        Ok(rules)
    }

    pub fn for_kind(&self, kind: SheetKind) -> Option<&MildHighCostRule> {
        match kind {
            SheetKind::Nanbyo => self.nanbyo.as_ref(),
            SheetKind::Shoman => self.shoman.as_ref(),
        }
    }
}

/// The 軽症高額 judgment, month by month.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MildHighCostJudgment {
    pub outcome: Outcome,
    /// 該当 / 非該当 / 要確認
    pub outcome_ja: &'static str,
    /// The first and last month looked at (the last is the application month; the first is
    /// the later of the 12th month back and the floor month).
    pub window_from: YearMonth,
    pub window_to: YearMonth,
    /// What the window may not start before, and that month on the sheet (absent when the
    /// sheet lacks it: then the window's start is unknown and 該当 becomes 要確認).
    pub window_floor: WindowFloor,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor_month: Option<YearMonth>,
    pub monthly_total_over_yen: u64,
    pub months_at_least: usize,
    /// Months in the window with a total over the threshold.
    pub months_over: Vec<YearMonth>,
    /// Months in the window the sheet has no total for.
    pub months_missing: Vec<YearMonth>,
    /// Months with a total on the sheet that precede the floor month and do not count.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub months_before_floor: Vec<YearMonth>,
    /// The rule in Japanese and English.
    pub reason: String,
    pub reason_en: String,
    /// Why the outcome is open although the counts alone would decide, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<super::Note>,
}

/// The year-month `n` months before `month`.
fn months_before(month: YearMonth, n: u32) -> YearMonth {
    let index = month.year() * 12 + month.month() as i32 - 1 - n as i32;
    YearMonth::new(index.div_euclid(12), index.rem_euclid(12) as u32 + 1).unwrap_or(month)
}

/// Judges the rule for a sheet's costs up to `application_month`: 該当 with enough months
/// over, 非該当 when even the missing months could not make enough, 要確認 otherwise — and
/// 要確認 instead of 該当 when the sheet lacks the floor month, since months before the onset
/// must not count.
pub fn judge(
    rule: &MildHighCostRule,
    sheet: &Sheet,
    application_month: YearMonth,
) -> MildHighCostJudgment {
    let (floor_month, floor_path) = rule.window_floor.of(sheet);
    let costs: &[MonthlyMedicalCost] = &sheet.administrative.monthly_medical_costs;
    let window: Vec<YearMonth> = (0..rule.window_months)
        .rev()
        .map(|n| months_before(application_month, n))
        .filter(|m| floor_month.is_none_or(|floor| *m >= floor))
        .collect();
    let cost_of = |m: &YearMonth| costs.iter().find(|c| c.month == *m);
    let months_over: Vec<YearMonth> = window
        .iter()
        .filter(|m| cost_of(m).is_some_and(|c| c.total_yen > rule.monthly_total_over_yen))
        .copied()
        .collect();
    let months_missing: Vec<YearMonth> = window
        .iter()
        .filter(|m| cost_of(m).is_none())
        .copied()
        .collect();
    let months_before_floor: Vec<YearMonth> = floor_month
        .map(|floor| {
            costs
                .iter()
                .map(|c| c.month)
                .filter(|m| *m < floor && *m <= application_month)
                .collect()
        })
        .unwrap_or_default();
    let mut note = None;
    let outcome = if months_over.len() >= rule.months_at_least {
        if floor_month.is_some() {
            Outcome::Eligible
        } else {
            note = Some(super::Note {
                message: format!(
                    "{floor_path} is missing: months before the disease began must not count, so the months over the threshold cannot be confirmed"
                ),
                message_ja: format!(
                    "{}が未記入のため、発症前の月を除いたかを確認できません",
                    match rule.window_floor {
                        WindowFloor::Onset => "発症年月",
                        WindowFloor::Diagnosis => "診断年月",
                    }
                ),
            });
            Outcome::NeedsReview
        }
    } else if months_over.len() + months_missing.len() < rule.months_at_least {
        Outcome::NotEligible
    } else {
        Outcome::NeedsReview
    };
    MildHighCostJudgment {
        outcome,
        outcome_ja: outcome.ja(),
        window_from: window.first().copied().unwrap_or(application_month),
        window_to: application_month,
        window_floor: rule.window_floor,
        floor_month,
        monthly_total_over_yen: rule.monthly_total_over_yen,
        months_at_least: rule.months_at_least,
        months_over,
        months_missing,
        months_before_floor,
        reason: rule.description.clone(),
        reason_en: rule.description_en.clone(),
        note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> MildHighCostRule {
        MildHighCostRules::parse(
            "mild_high_cost.toml",
            crate::catalog::builtin_text("judgment/mild_high_cost.toml").unwrap(),
        )
        .unwrap()
        .nanbyo
        .unwrap()
    }

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    fn costs(entries: &[(&str, u64)]) -> Vec<MonthlyMedicalCost> {
        entries
            .iter()
            .map(|(m, total_yen)| MonthlyMedicalCost {
                month: ym(m),
                total_yen: *total_yen,
            })
            .collect()
    }

    /// A sheet with these monthly costs and an onset long before the window.
    fn with(costs: Vec<MonthlyMedicalCost>) -> Sheet {
        with_onset(costs, Some("2010-01"))
    }

    fn with_onset(costs: Vec<MonthlyMedicalCost>, onset: Option<&str>) -> Sheet {
        let mut sheet = Sheet::new(SheetKind::Nanbyo, Default::default());
        sheet.administrative.monthly_medical_costs = costs;
        sheet.clinical.onset = onset.map(ym);
        sheet
    }

    /// Twelve months 2025-12 … 2026-11 with the given totals in the last three, ¥0 before.
    fn year_with(last_three: [u64; 3]) -> Vec<MonthlyMedicalCost> {
        let mut all = Vec::new();
        for n in (0..12).rev() {
            let month = months_before(ym("2026-11"), n);
            let total_yen = if n < 3 { last_three[2 - n as usize] } else { 0 };
            all.push(MonthlyMedicalCost { month, total_yen });
        }
        all
    }

    #[test]
    fn the_builtin_rule_is_over_33330_in_3_of_12_months_for_nanbyo_only() {
        let rules = MildHighCostRules::parse(
            "mild_high_cost.toml",
            crate::catalog::builtin_text("judgment/mild_high_cost.toml").unwrap(),
        )
        .unwrap();
        let r = rules.for_kind(SheetKind::Nanbyo).unwrap();
        assert_eq!(
            (r.monthly_total_over_yen, r.months_at_least, r.window_months),
            (33_330, 3, 12)
        );
        assert!(rules.for_kind(SheetKind::Shoman).is_none());
    }

    #[test]
    fn three_months_over_are_needed_and_33330_is_not_over() {
        let r = rule();
        let at = ym("2026-11");
        let j = judge(&r, &with(year_with([33_331, 33_331, 33_331])), at);
        assert_eq!(j.outcome, Outcome::Eligible);
        assert_eq!(j.months_over, [ym("2026-09"), ym("2026-10"), ym("2026-11")]);
        assert_eq!(
            judge(&r, &with(year_with([33_331, 33_331, 33_330])), at).outcome,
            Outcome::NotEligible,
            "exactly ¥33,330 is not over"
        );
        assert_eq!(
            judge(&r, &with(year_with([0, 33_331, 33_331])), at).outcome,
            Outcome::NotEligible,
            "two months are not enough"
        );
    }

    #[test]
    fn the_window_is_the_application_month_and_the_eleven_before() {
        let r = rule();
        let at = ym("2026-11");
        let j = judge(&r, &with(costs(&[("2025-12", 50_000)])), at);
        assert_eq!((j.window_from, j.window_to), (ym("2025-12"), at));
        assert_eq!(j.months_over, [ym("2025-12")], "12th month back counts");
        let inside = [
            ("2025-12", 50_000),
            ("2026-05", 40_000),
            ("2026-11", 34_000),
        ];
        let mut full: Vec<(&str, u64)> = inside.to_vec();
        let filler = [
            "2026-01", "2026-02", "2026-03", "2026-04", "2026-06", "2026-07", "2026-08", "2026-09",
            "2026-10",
        ];
        full.extend(filler.iter().map(|m| (*m, 0)));
        assert_eq!(
            judge(&r, &with(costs(&full)), at).outcome,
            Outcome::Eligible
        );
        // The same three months, but the oldest one 13 months back: outside.
        let mut shifted = full.clone();
        shifted[0] = ("2025-11", 50_000);
        shifted.push(("2025-12", 0));
        let j = judge(&r, &with(costs(&shifted)), at);
        assert_eq!(j.outcome, Outcome::NotEligible);
        assert_eq!(j.months_over, [ym("2026-05"), ym("2026-11")]);
        // Months after the application month do not count either.
        let mut later = full.clone();
        later[2] = ("2026-12", 34_000);
        later.push(("2026-11", 0));
        assert_eq!(
            judge(&r, &with(costs(&later)), at).outcome,
            Outcome::NotEligible
        );
    }

    #[test]
    fn missing_months_that_could_decide_need_review() {
        let r = rule();
        let at = ym("2026-11");
        let j = judge(&r, &with(Vec::new()), at);
        assert_eq!(j.outcome, Outcome::NeedsReview);
        assert_eq!(j.months_missing.len(), 12);
        // Two months over and one unknown: it could be a third.
        let mut two = year_with([0, 40_000, 40_000]);
        two.remove(0);
        let j = judge(&r, &with(two), at);
        assert_eq!(j.outcome, Outcome::NeedsReview);
        assert_eq!(j.months_missing, [ym("2025-12")]);
        // One month over and one unknown: even if it were over, two are not enough.
        let mut one = year_with([0, 0, 40_000]);
        one.remove(0);
        assert_eq!(judge(&r, &with(one), at).outcome, Outcome::NotEligible);
    }

    #[test]
    fn months_before_the_onset_do_not_count_and_are_not_missing() {
        let r = rule();
        let at = ym("2026-11");
        // Onset 2026-06: the window is 2026-06 … 2026-11; three months over inside it.
        let inside = costs(&[
            ("2026-06", 40_000),
            ("2026-08", 40_000),
            ("2026-11", 40_000),
        ]);
        let mut all = inside.clone();
        all.extend(costs(&[("2026-07", 0), ("2026-09", 0), ("2026-10", 0)]));
        let j = judge(&r, &with_onset(all.clone(), Some("2026-06")), at);
        assert_eq!(
            (j.window_from, j.floor_month),
            (ym("2026-06"), Some(ym("2026-06")))
        );
        assert_eq!(
            j.outcome,
            Outcome::Eligible,
            "the onset month itself counts"
        );
        assert!(j.months_missing.is_empty(), "{:?}", j.months_missing);
        // The same costs with the onset a month later: 2026-06 is before it and does not count.
        let j = judge(&r, &with_onset(all.clone(), Some("2026-07")), at);
        assert_eq!(j.outcome, Outcome::NotEligible);
        assert_eq!(j.months_before_floor, [ym("2026-06")]);
        assert_eq!(j.months_over, [ym("2026-08"), ym("2026-11")]);
        // Before the fix, the months before the onset were "missing" and gave 要確認: with
        // onset 2026-09 and no costs before it, the three months left cannot make three.
        let late = costs(&[("2026-09", 40_000), ("2026-10", 0), ("2026-11", 40_000)]);
        let j = judge(&r, &with_onset(late, Some("2026-09")), at);
        assert_eq!(j.outcome, Outcome::NotEligible);
        assert_eq!(j.window_from, ym("2026-09"));
        // An onset before the 12-month window changes nothing.
        let j = judge(&r, &with_onset(all.clone(), Some("2019-04")), at);
        assert_eq!(j.window_from, ym("2025-12"));
    }

    #[test]
    fn without_an_onset_three_months_over_need_review_but_too_few_are_still_not_eligible() {
        let r = rule();
        let at = ym("2026-11");
        let j = judge(
            &r,
            &with_onset(year_with([40_000, 40_000, 40_000]), None),
            at,
        );
        assert_eq!(j.outcome, Outcome::NeedsReview);
        assert!(j.note.as_ref().unwrap().message_ja.contains("発症年月"));
        let j = judge(&r, &with_onset(year_with([0, 40_000, 40_000]), None), at);
        assert_eq!(j.outcome, Outcome::NotEligible);
    }

    #[test]
    fn a_prefecture_may_count_from_the_diagnosis_month() {
        let mut r = rule();
        r.window_floor = WindowFloor::Diagnosis;
        let at = ym("2026-11");
        let mut sheet = with_onset(
            costs(&[
                ("2026-06", 40_000),
                ("2026-08", 40_000),
                ("2026-11", 40_000),
            ]),
            Some("2026-01"),
        );
        sheet.clinical.diagnosed = Some(ym("2026-07"));
        let j = judge(&r, &sheet, at);
        assert_eq!(
            (j.window_from, j.outcome),
            (ym("2026-07"), Outcome::NeedsReview)
        );
        sheet.clinical.diagnosed = None;
        let j = judge(&r, &sheet, at);
        assert!(
            j.note
                .as_ref()
                .unwrap()
                .message
                .contains("clinical.diagnosed")
        );
        let parsed = MildHighCostRules::parse(
            "x.toml",
            &crate::catalog::builtin_text("judgment/mild_high_cost.toml")
                .unwrap()
                .replace("window_floor = \"onset\"", "window_floor = \"diagnosis\""),
        )
        .unwrap();
        assert_eq!(parsed.nanbyo.unwrap().window_floor, WindowFloor::Diagnosis);
    }

    #[test]
    fn a_bad_rule_file_is_refused_by_name() {
        let err = MildHighCostRules::parse(
            "x.toml",
            "[nanbyo]\ndescription = \"\"\ndescription_en = \"\"\nmonthly_total_over_yen = 1\nmonths_at_least = 13\nwindow_months = 12\n",
        )
        .unwrap_err();
        assert!(err.starts_with("x.toml: months_at_least = 13"), "{err}");
        let err = MildHighCostRules::parse("x.toml", "[nanbyo]\nthreshold = 1\n").unwrap_err();
        assert!(err.contains("x.toml") && err.contains("threshold"), "{err}");
    }
}
