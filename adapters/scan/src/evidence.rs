//! Why a reading goes before a person. A value read from paper is accepted without review only
//! when independent evidence agrees — the recogniser sure of every character, a second read of
//! the box the same, the other fields consistent with it — so every way the evidence can fail
//! has a stable code here, which the review task carries.

/// One reason to doubt a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// A character (or a mark's ink) is less sure than the zone type's threshold.
    LowConfidence,
    /// A character has a strong rival: the glyph could as well be another character.
    Ambiguous,
    /// A second read of the box (another scale and binarisation) gave other text.
    ReadsDisagree,
    /// More characters read than the ink has separate columns: some were invented.
    Segmentation,
    /// A character with a variant form (異体字, 高/髙) the recogniser cannot tell apart.
    VariantKanji,
    /// 告示番号 and the disease name written beside it name different diseases.
    DiseaseMismatch,
    /// The postal code is unknown or does not lead to the written address.
    PostalMismatch,
    /// The フリガナ is not a reading of the name (for a surname whose reading is certain).
    KanaMismatch,
    /// A date or number outside what its field can hold (birth after the sheet was written, …).
    Implausible,
    /// An identifier whose check digit does not hold.
    CheckDigit,
    /// The value does not parse as its field's type.
    Unreadable,
    /// The page it is on could not be identified or registered.
    UnreadablePage,
}

impl Reason {
    /// Every reason, for those who name each (the console's catalogue).
    pub const ALL: [Reason; 12] = [
        Reason::LowConfidence,
        Reason::Ambiguous,
        Reason::ReadsDisagree,
        Reason::Segmentation,
        Reason::VariantKanji,
        Reason::DiseaseMismatch,
        Reason::PostalMismatch,
        Reason::KanaMismatch,
        Reason::Implausible,
        Reason::CheckDigit,
        Reason::Unreadable,
        Reason::UnreadablePage,
    ];

    /// The stable code a review task carries.
    pub fn code(self) -> &'static str {
        match self {
            Reason::LowConfidence => "ocr.low_confidence",
            Reason::Ambiguous => "ocr.ambiguous_character",
            Reason::ReadsDisagree => "ocr.reads_disagree",
            Reason::Segmentation => "ocr.extra_characters",
            Reason::VariantKanji => "scan.variant_kanji",
            Reason::DiseaseMismatch => "scan.disease_mismatch",
            Reason::PostalMismatch => "scan.postal_mismatch",
            Reason::KanaMismatch => "scan.kana_mismatch",
            Reason::Implausible => "scan.implausible_value",
            Reason::CheckDigit => "identifier.check_digit",
            Reason::Unreadable => "field.unreadable",
            Reason::UnreadablePage => "scan.unreadable_page",
        }
    }
}
