//! The status export: a CSV of 受付番号 and 処理状況 for Mynaportal's bulk status update. The
//! upload layout is not public, so the columns, labels and encoding come from the mapping's
//! `[status_export]` (see [`StatusExport`]); the default is a header line `受付番号,処理状況`,
//! Mynaportal's own status labels, CP932 and CRLF line ends.

use kakehashi_sdk::ApplicationStatus;

use crate::mapping::{ExportEncoding, StatusExport};

/// Why the export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("`{0}` cannot be written in CP932; change the label or column name, or export UTF-8")]
    Unmappable(String),
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
}

impl StatusExport {
    /// The label written for a status.
    pub fn label(&self, status: ApplicationStatus) -> &str {
        self.labels
            .get(&status)
            .map_or(status.label_ja(), String::as_str)
    }

    /// Writes the rows (受付番号, status) as the export's CSV bytes.
    pub fn write(&self, rows: &[(String, ApplicationStatus)]) -> Result<Vec<u8>, ExportError> {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        if self.header {
            writer.write_record([&self.receipt_number_column, &self.status_column])?;
        }
        for (receipt_number, status) in rows {
            writer.write_record([receipt_number.as_str(), self.label(*status)])?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        // Every field written was a `str`, so the bytes are UTF-8.
        let text = String::from_utf8_lossy(&bytes).into_owned();
        match self.encoding {
            ExportEncoding::Utf8 => Ok(text.into_bytes()),
            ExportEncoding::Cp932 => {
                let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
                if unmappable {
                    let bad = text
                        .lines()
                        .find(|l| encoding_rs::SHIFT_JIS.encode(l).2)
                        .unwrap_or_default();
                    return Err(ExportError::Unmappable(bad.to_owned()));
                }
                Ok(bytes.into_owned())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_cp932_with_mynaportal_labels_or_configured_ones() {
        let rows = vec![
            ("241010089569116".to_owned(), ApplicationStatus::Processing),
            ("241010089569117".to_owned(), ApplicationStatus::Completed),
        ];
        let export = StatusExport::default();
        let bytes = export.write(&rows).unwrap();
        let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
        assert!(!bad);
        assert_eq!(
            text,
            "受付番号,処理状況\r\n241010089569116,処理中\r\n241010089569117,完了\r\n"
        );
        let export: StatusExport = toml::from_str(
            "encoding = \"utf-8\"\nheader = false\n[labels]\ncompleted = \"処理完了\"\n",
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(export.write(&rows).unwrap()).unwrap(),
            "241010089569116,処理中\r\n241010089569117,処理完了\r\n"
        );
        let export: StatusExport = toml::from_str("[labels]\ncompleted = \"完了🙂\"\n").unwrap();
        assert!(matches!(
            export.write(&rows),
            Err(ExportError::Unmappable(_))
        ));
    }
}
