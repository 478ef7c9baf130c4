//! The check character: the Damm algorithm over the quasigroup `x ∘ y = α·x + y` of GF(32)
//! (α a root of the primitive polynomial x⁵ + x² + 1, addition being XOR).
//!
//! Why this one: the check character must come from the same 32 symbols as the key (no `*`,
//! `~` or `$` to type from paper), and must catch every single substitution and every
//! adjacent transposition, the two mistakes people make copying a code. The quasigroup is a
//! Latin square, so one changed symbol always changes the result; and it is totally
//! anti-symmetric, because `(c∘x)∘y = α²c + αx + y` differs from `(c∘y)∘x` by
//! `(α + 1)(x + y)`, which is zero only when `x = y` (α ≠ 1). Both hold for the check
//! character itself, so a key is valid exactly when folding all its symbols gives zero.

/// Multiplies a symbol value by α in GF(32).
fn times_alpha(value: u8) -> u8 {
    let shifted = value << 1;
    if shifted & 0x20 != 0 {
        shifted ^ 0b10_0101
    } else {
        shifted
    }
}

/// Folds symbol values (each below 32) through the quasigroup, starting from zero.
pub(crate) fn fold(values: &[u8]) -> u8 {
    values
        .iter()
        .fold(0, |interim, &value| times_alpha(interim) ^ value)
}

/// The check value that makes `values` followed by it fold to zero.
pub(crate) fn check_value(values: &[u8]) -> u8 {
    times_alpha(fold(values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operation_is_a_totally_anti_symmetric_latin_square() {
        let op = |x: u8, y: u8| times_alpha(x) ^ y;
        for x in 0..32 {
            let row: std::collections::BTreeSet<u8> = (0..32).map(|y| op(x, y)).collect();
            let column: std::collections::BTreeSet<u8> = (0..32).map(|y| op(y, x)).collect();
            assert_eq!((row.len(), column.len()), (32, 32), "row/column {x}");
            for y in 0..32 {
                if x != y {
                    assert_ne!(op(x, y), op(y, x), "weak anti-symmetry {x} {y}");
                    for c in 0..32 {
                        assert_ne!(op(op(c, x), y), op(op(c, y), x), "{c} {x} {y}");
                    }
                }
            }
        }
    }

    #[test]
    fn alpha_generates_every_non_zero_element() {
        let mut seen = std::collections::BTreeSet::new();
        let mut power = 1;
        for _ in 0..31 {
            seen.insert(power);
            power = times_alpha(power);
        }
        assert_eq!(seen.len(), 31);
        assert_eq!(power, 1, "α³¹ = 1");
    }
}
