//! The page flow the printed documents share: labelled rows down A4 pages, a new page (with a
//! running head) whenever one is full, page numbers once the count is known — and the one
//! place where a personal value is either drawn or replaced by a black box.
//!
//! A masked value is never handed to the PDF writer: its text does not reach a content stream,
//! the `ToUnicode` map or the font subset (the subset holds only glyphs something drew, so a
//! character used only by a masked name is not embedded at all). The box has one fixed width,
//! so that not even the length of a name shows through.

use kakehashi_pdf::{Document, Font, Page, PdfError};

/// Left margin (mm).
const LEFT: f32 = 18.0;
/// Where values start, right of the labels (mm).
const VALUE_X: f32 = 66.0;
/// Right margin edge (mm).
const RIGHT: f32 = 192.0;
/// First line of a page, below the running head (mm).
const TOP: f32 = 24.0;
/// No line starts below this (mm); the page number sits beneath.
const BOTTOM: f32 = 278.0;
/// Text size of rows (pt).
const SIZE: f32 = 9.0;
/// Distance between lines (mm).
const LINE: f32 = 4.8;
/// Width and height of the black box over a masked value (mm).
const MASK_BOX: (f32, f32) = (30.0, 3.8);
/// Printed beside the black box.
const MASK_LABEL: &str = "（マスク）";
/// Printed for a value the sheet does not have.
pub const BLANK: &str = "―";
/// Printed instead of a character the font cannot draw: 〓 (ゲタ), as Japanese print does.
const SUBSTITUTE: char = '〓';

/// How much of the patient's identity a print shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure {
    /// マスク: personal values are blacked out and left out of the file (for the review board).
    Masked,
    /// Everything on the sheet.
    Full,
}

/// A value as printed.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Ordinary data, always printed.
    Plain(String),
    /// Data that identifies the patient: printed only with [`Disclosure::Full`].
    Personal(String),
    /// The sheet has no value here.
    Blank,
}

/// Rows flowing down the pages of one document.
pub struct Flow<'f> {
    document: Document<'f>,
    font: &'f Font,
    disclosure: Disclosure,
    running_head: String,
    y: f32,
}

impl<'f> Flow<'f> {
    /// A document whose pages all carry `running_head` at the top; `title` goes into the PDF's
    /// Info dictionary, so neither may hold personal data.
    pub fn new(font: &'f Font, title: &str, running_head: &str, disclosure: Disclosure) -> Self {
        let mut flow = Self {
            document: Document::new(font, title),
            font,
            disclosure,
            running_head: printable(font, running_head),
            y: TOP,
        };
        flow.new_page();
        flow
    }

    /// A line of large text across the page (a document title).
    pub fn title(&mut self, text: &str, size_pt: f32) {
        let text = printable(self.font, text);
        let y = self.y;
        self.draw(|page| page.text(LEFT, y, size_pt, &text));
        self.y += size_pt * 0.55;
    }

    /// A section heading, kept on the page with at least the two lines after it.
    pub fn heading(&mut self, text: &str) {
        self.y += 2.0;
        self.make_room(3.0 * LINE + 2.0);
        let text = printable(self.font, text);
        let y = self.y;
        self.draw(|page| {
            page.rect(LEFT, y, 2.0, 4.0, true);
            page.text(LEFT + 4.0, y, 10.5, &text);
            page.line(LEFT, y + 5.2, RIGHT, y + 5.2, 0.6);
        });
        self.y += 7.0;
    }

    /// Text across the full width, wrapped.
    pub fn paragraph(&mut self, text: &str) {
        let lines = self
            .font
            .wrap(&printable(self.font, text), RIGHT - LEFT, SIZE);
        for line in lines {
            self.make_room(LINE);
            let y = self.y;
            self.draw(|page| page.text(LEFT, y, SIZE, &line));
            self.y += LINE;
        }
    }

    /// A labelled value: the label on the left, the value wrapped in the right-hand column and
    /// continued on the next page when it is longer than what is left of this one.
    pub fn row(&mut self, label: &str, cell: &Cell) {
        let label_lines = self
            .font
            .wrap(&printable(self.font, label), VALUE_X - LEFT - 3.0, SIZE);
        let value = match (cell, self.disclosure) {
            (Cell::Plain(text), _) | (Cell::Personal(text), Disclosure::Full) => {
                Some(printable(self.font, text))
            }
            (Cell::Personal(_), Disclosure::Masked) => None,
            (Cell::Blank, _) => Some(BLANK.to_owned()),
        };
        let value_lines = match &value {
            Some(text) => self.font.wrap(text, RIGHT - VALUE_X, SIZE),
            None => Vec::new(),
        };
        let count = label_lines.len().max(value_lines.len()).max(1);
        // Short rows stay whole; long ones start where at least three lines fit.
        self.make_room(count.min(3) as f32 * LINE);
        if value.is_none() {
            let y = self.y;
            self.draw(|page| {
                page.rect(VALUE_X, y + 0.4, MASK_BOX.0, MASK_BOX.1, true);
                page.text(VALUE_X + MASK_BOX.0 + 2.0, y, SIZE, MASK_LABEL);
            });
        }
        for index in 0..count {
            self.make_room(LINE);
            let y = self.y;
            let label = label_lines.get(index);
            let value = value_lines.get(index);
            self.draw(|page| {
                if let Some(label) = label {
                    page.text(LEFT, y, SIZE, label);
                }
                if let Some(value) = value {
                    page.text(VALUE_X, y, SIZE, value);
                }
            });
            self.y += LINE;
        }
        let y = self.y - 0.6;
        self.draw(|page| page.line(LEFT, y, RIGHT, y, 0.1));
    }

    /// Vertical space (mm).
    pub fn space(&mut self, mm: f32) {
        self.y += mm;
    }

    /// Numbers the pages (`n / N`) and writes the PDF.
    pub fn finish(mut self) -> Result<Vec<u8>, PdfError> {
        let total = self.document.pages_mut().len();
        for (index, page) in self.document.pages_mut().enumerate() {
            page.text(
                100.0,
                BOTTOM + 8.0,
                8.0,
                &format!("{} / {total}", index + 1),
            );
        }
        self.document.finish()
    }

    /// Starts a new page when fewer than `mm` are left on this one.
    fn make_room(&mut self, mm: f32) {
        if self.y + mm > BOTTOM {
            self.new_page();
        }
    }

    fn new_page(&mut self) {
        let page = self.document.page();
        page.text(LEFT, 12.0, 8.0, &self.running_head);
        page.line(LEFT, 17.0, RIGHT, 17.0, 0.3);
        self.y = TOP;
    }

    /// Draws on the current page (there always is one: `new` adds the first).
    fn draw(&mut self, f: impl FnOnce(&mut Page<'f>)) {
        if let Some(page) = self.document.pages_mut().next_back() {
            f(page);
        }
    }
}

/// `text` with every character the font cannot draw (and every control character but the line
/// break) replaced by 〓, so that one unusual character in a name cannot make a print fail.
pub fn printable(font: &Font, text: &str) -> String {
    let missing = font.missing_chars(text);
    text.chars()
        .map(|c| {
            if c == '\n' {
                c
            } else if c.is_control() || missing.contains(&c) {
                SUBSTITUTE
            } else {
                c
            }
        })
        .collect()
}
