//! Many distinct hospital exports from one corpus file, for load and crash tests: each is
//! Hospital A's header and a few of its rows, with a patient id (患者ID, the fourth column)
//! unique to the export, so that no two are the same bytes and each is a new submission.

use super::corpus;

pub struct Exports {
    header: String,
    rows: Vec<String>,
    /// Each row's 研究利用同意 (同意, 不同意 or blank), as the test reads it.
    consents: Vec<Option<bool>>,
}

impl Exports {
    pub fn hospital_a() -> Self {
        let source = std::fs::read_to_string(corpus("hospital-a.csv")).unwrap();
        let mut lines = source.lines();
        let header = lines.next().unwrap().to_owned();
        let rows = lines.filter(|l| !l.is_empty()).map(str::to_owned).collect();
        let mut reader = csv::Reader::from_reader(source.as_bytes());
        let column = reader
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == "研究利用同意")
            .unwrap();
        let consents = reader
            .records()
            .map(|record| match &record.unwrap()[column] {
                "同意" => Some(true),
                "不同意" => Some(false),
                _ => None,
            })
            .collect();
        Self {
            header,
            rows,
            consents,
        }
    }

    /// Which corpus row is row `r` of export `n`.
    fn row(&self, n: usize, r: usize) -> usize {
        (n * 7 + r) % self.rows.len()
    }

    /// Export `n`: `rows` rows starting at a row that depends on `n`; row `r`'s patient id is
    /// [`Self::patient_id`]`(n, r)`.
    pub fn export(&self, n: usize, rows: usize) -> Vec<u8> {
        let mut out = self.header.clone();
        out.push('\n');
        for r in 0..rows {
            let row = &self.rows[self.row(n, r)];
            let mut fields = row.splitn(5, ',');
            let leading: Vec<&str> = fields.by_ref().take(3).collect();
            let _patient_id = fields.next();
            let rest = fields.next().unwrap_or_default();
            out.push_str(&format!(
                "{},{},{rest}\n",
                leading.join(","),
                Self::patient_id(n, r)
            ));
        }
        out.into_bytes()
    }

    /// The research consent row `r` of export `n` carries.
    pub fn research_consent(&self, n: usize, r: usize) -> Option<bool> {
        self.consents[self.row(n, r)]
    }

    /// The patient id of row `r` of export `n`.
    pub fn patient_id(n: usize, r: usize) -> String {
        format!("{n:04}{r:04}")
    }
}
