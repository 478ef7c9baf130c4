//! 軽症高額該当 (mild but high cost): a patient whose severity does not reach the threshold is
//! still subsidised when the total medical cost was over a threshold (¥33,330, i.e. ¥10,000 at
//! 3割 co-payment) in enough months (3) within the months up to the application (12). The
//! numbers are data (`mappings/judgment/mild_high_cost.toml`), per programme.

use kakehashi_sdk::{MonthlyMedicalCost, SheetKind, YearMonth};
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
    /// The first and last month looked at (the last is the application month).
    pub window_from: YearMonth,
    pub window_to: YearMonth,
    pub monthly_total_over_yen: u64,
    pub months_at_least: usize,
    /// Months in the window with a total over the threshold.
    pub months_over: Vec<YearMonth>,
    /// Months in the window the sheet has no total for.
    pub months_missing: Vec<YearMonth>,
    /// The rule in Japanese and English.
    pub reason: String,
    pub reason_en: String,
}

/// The year-month `n` months before `month`.
fn months_before(month: YearMonth, n: u32) -> YearMonth {
    let index = month.year() * 12 + month.month() as i32 - 1 - n as i32;
    YearMonth::new(index.div_euclid(12), index.rem_euclid(12) as u32 + 1).unwrap_or(month)
}

/// Judges the rule for costs up to `application_month`: 該当 with enough months over, 非該当
/// when even the missing months could not make enough, 要確認 otherwise.
pub fn judge(
    rule: &MildHighCostRule,
    costs: &[MonthlyMedicalCost],
    application_month: YearMonth,
) -> MildHighCostJudgment {
    let window: Vec<YearMonth> = (0..rule.window_months)
        .rev()
        .map(|n| months_before(application_month, n))
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
    let outcome = if months_over.len() >= rule.months_at_least {
        Outcome::Eligible
    } else if months_over.len() + months_missing.len() < rule.months_at_least {
        Outcome::NotEligible
    } else {
        Outcome::NeedsReview
    };
    MildHighCostJudgment {
        outcome,
        outcome_ja: outcome.ja(),
        window_from: window[0],
        window_to: application_month,
        monthly_total_over_yen: rule.monthly_total_over_yen,
        months_at_least: rule.months_at_least,
        months_over,
        months_missing,
        reason: rule.description.clone(),
        reason_en: rule.description_en.clone(),
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
        let j = judge(&r, &year_with([33_331, 33_331, 33_331]), at);
        assert_eq!(j.outcome, Outcome::Eligible);
        assert_eq!(j.months_over, [ym("2026-09"), ym("2026-10"), ym("2026-11")]);
        assert_eq!(
            judge(&r, &year_with([33_331, 33_331, 33_330]), at).outcome,
            Outcome::NotEligible,
            "exactly ¥33,330 is not over"
        );
        assert_eq!(
            judge(&r, &year_with([0, 33_331, 33_331]), at).outcome,
            Outcome::NotEligible,
            "two months are not enough"
        );
    }

    #[test]
    fn the_window_is_the_application_month_and_the_eleven_before() {
        let r = rule();
        let at = ym("2026-11");
        let j = judge(&r, &costs(&[("2025-12", 50_000)]), at);
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
        assert_eq!(judge(&r, &costs(&full), at).outcome, Outcome::Eligible);
        // The same three months, but the oldest one 13 months back: outside.
        let mut shifted = full.clone();
        shifted[0] = ("2025-11", 50_000);
        shifted.push(("2025-12", 0));
        let j = judge(&r, &costs(&shifted), at);
        assert_eq!(j.outcome, Outcome::NotEligible);
        assert_eq!(j.months_over, [ym("2026-05"), ym("2026-11")]);
        // Months after the application month do not count either.
        let mut later = full.clone();
        later[2] = ("2026-12", 34_000);
        later.push(("2026-11", 0));
        assert_eq!(judge(&r, &costs(&later), at).outcome, Outcome::NotEligible);
    }

    #[test]
    fn missing_months_that_could_decide_need_review() {
        let r = rule();
        let at = ym("2026-11");
        let j = judge(&r, &[], at);
        assert_eq!(j.outcome, Outcome::NeedsReview);
        assert_eq!(j.months_missing.len(), 12);
        // Two months over and one unknown: it could be a third.
        let mut two = year_with([0, 40_000, 40_000]);
        two.remove(0);
        let j = judge(&r, &two, at);
        assert_eq!(j.outcome, Outcome::NeedsReview);
        assert_eq!(j.months_missing, [ym("2025-12")]);
        // One month over and one unknown: even if it were over, two are not enough.
        let mut one = year_with([0, 0, 40_000]);
        one.remove(0);
        assert_eq!(judge(&r, &one, at).outcome, Outcome::NotEligible);
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
