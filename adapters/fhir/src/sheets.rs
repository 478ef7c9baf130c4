//! A document's resources → sheets. One sheet per patient and notified disease: each
//! QuestionnaireResponse is a sheet, each Condition bound to a disease not already answered
//! for that patient is another, and a patient with neither still gets one (its missing items
//! become check findings, not a rejection). Coverage, Observation, MedicationRequest and
//! Procedure go to the sheets of the patient they are about; the doctor and the institution
//! to every sheet. What maps to nothing is listed as info findings, so partial data is
//! visible rather than silently dropped; in a document of several patients, on the sheets of
//! the patient it is about (what is about no patient, on every sheet).

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use kakehashi_sdk::{Converted, DiseaseKey, Finding, Provenance, Record, Sheet, SheetKind};

use crate::condition::Binding;
use crate::questionnaire::Form;
use crate::reader::Reader;

/// The first day a FHIR date or date-time can mean: `2018` → 2018-01-01, `2018-04` →
/// 2018-04-01, `2018-04-12T…` → 2018-04-12.
fn earliest_day(text: &str) -> Option<chrono::NaiveDate> {
    let date = text.get(..10).unwrap_or(text);
    let mut parts = date.split('-');
    let year: i32 = parts.next().filter(|y| y.len() == 4)?.parse().ok()?;
    let month: u32 = parts.next().map_or(Some(1), |m| m.parse().ok())?;
    let day: u32 = parts.next().map_or(Some(1), |d| d.parse().ok())?;
    chrono::NaiveDate::from_ymd_opt(year, month, day)
}

/// Of resources grouped by patient, those that belong on the sheets of `patient`, in document
/// order: the ones about that patient, and those about no patient while the document has at
/// most one.
fn belonging(
    groups: &HashMap<Option<usize>, Vec<usize>>,
    patient: Option<usize>,
    patients: usize,
) -> Vec<usize> {
    let own = patient.and_then(|p| groups.get(&Some(p)));
    let unclaimed = (patients <= 1).then(|| groups.get(&None)).flatten();
    let mut all: Vec<usize> = own
        .into_iter()
        .chain(unclaimed)
        .flatten()
        .copied()
        .collect();
    all.sort_unstable();
    all
}

/// What one sheet is made of.
struct Plan {
    patient: Option<usize>,
    disease: Option<(usize, Binding)>,
    response: Option<(usize, Form)>,
}

impl Reader<'_, '_, '_> {
    /// The patient a resource is about (subject, patient or beneficiary).
    fn patient_of(&self, index: usize) -> Option<usize> {
        let node = self.doc.resources[index].node;
        ["subject", "patient", "beneficiary"]
            .iter()
            .find_map(|k| self.doc.follow(index, node.get(k)))
            .filter(|p| self.doc.resources[*p].kind == "Patient")
    }

    /// Whether the patient was 20 or older when the Condition was recorded (or began): 小慢
    /// covers children, and a 小慢 disease name in an adult's record is not a 小慢 sheet. A
    /// date of year or year-month precision counts from its earliest day, so that "adult"
    /// is said only when it holds whatever the day was.
    fn adult_at(&self, condition: usize, patient: Option<usize>) -> bool {
        let date = |node: Option<&crate::json::Node<'_>>| earliest_day(node?.as_str()?);
        let node = self.doc.resources[condition].node;
        let when = date(node.get("recordedDate")).or_else(|| date(node.get("onsetDateTime")));
        let born = patient.and_then(|p| date(self.doc.resources[p].node.get("birthDate")));
        match (born, when) {
            (Some(born), Some(when)) => when.years_since(born).is_some_and(|y| y >= 20),
            _ => false,
        }
    }

    /// The resources of `kinds`, grouped by the patient they are about (`None`: about no
    /// patient), so that each sheet finds its own without scanning the document: a Bundle of
    /// many patients is read in time linear in its size. Taken from the document's index by
    /// type, so a group is in document order type by type; `belonging` sorts it whole.
    fn by_patient(&self, kinds: &[&str]) -> HashMap<Option<usize>, Vec<usize>> {
        let mut groups: HashMap<Option<usize>, Vec<usize>> = HashMap::new();
        for (i, _) in kinds.iter().flat_map(|kind| self.doc.of_kind(kind)) {
            groups.entry(self.patient_of(i)).or_default().push(i);
        }
        groups
    }

    /// The sheets to make, and the findings about resources that make none, each with the
    /// patient it is about. Which disease each patient already has a sheet for is kept in
    /// sets, not searched for in the plans: a Bundle of many patients and Conditions is
    /// planned in linear time.
    fn plans(&self, findings: &mut Vec<(Option<usize>, Finding)>) -> Vec<Plan> {
        let mut plans = Vec::new();
        let mut covered: HashSet<(Option<usize>, DiseaseKey)> = HashSet::new();
        for (i, r) in self.doc.of_kind("QuestionnaireResponse") {
            let patient = self.patient_of(i);
            match self.answered(i) {
                Some(form) => {
                    if let Form::Disease(key) = form {
                        covered.insert((patient, key));
                    }
                    plans.push(Plan {
                        patient,
                        disease: None,
                        response: Some((i, form)),
                    });
                }
                None => findings.push((patient, self.info(
                    "fhir.unknown_questionnaire",
                    "the QuestionnaireResponse does not answer a disease template's Questionnaire; it was not used".into(),
                    "QuestionnaireResponse が疾病テンプレートの Questionnaire への回答ではないため使っていません".into(),
                    self.at(r.node, format!("{}.questionnaire", r.path)),
                ))),
            }
        }
        for (i, r) in self.doc.of_kind("Condition") {
            let patient = self.patient_of(i);
            match self.bind(i) {
                Some(binding)
                    if binding.key.kind == SheetKind::Shoman && self.adult_at(i, patient) =>
                {
                    findings.push((patient, self.info(
                        "fhir.shoman_adult",
                        format!("the Condition names the 小慢 disease {}, but the patient was 20 or older then; it was not used", binding.key),
                        format!("Condition は小慢の {} ですが、当時患者は 20 歳以上のため使っていません", binding.key),
                        self.at(r.node, format!("{}.code", r.path)),
                    )));
                }
                Some(binding) => {
                    if covered.insert((patient, binding.key)) {
                        plans.push(Plan {
                            patient,
                            disease: Some((i, binding)),
                            response: None,
                        });
                    }
                }
                None => findings.push((patient, self.info(
                    "fhir.not_a_notified_disease",
                    format!(
                        "Condition `{}` is not a notified disease by its codes or name; it was not used",
                        crate::reader::concept_text(r.node.get("code")).unwrap_or("(no code)")
                    ),
                    format!(
                        "Condition「{}」はコードでも名称でも告示病名に当たらないため使っていません",
                        crate::reader::concept_text(r.node.get("code")).unwrap_or("(コードなし)")
                    ),
                    self.at(r.node, format!("{}.code", r.path)),
                ))),
            }
        }
        let planned: HashSet<Option<usize>> = plans.iter().map(|p| p.patient).collect();
        for (i, _) in self.doc.of_kind("Patient") {
            if !planned.contains(&Some(i)) {
                plans.push(Plan {
                    patient: Some(i),
                    disease: None,
                    response: None,
                });
            }
        }
        if plans.is_empty() {
            plans.push(Plan {
                patient: None,
                disease: None,
                response: None,
            });
        }
        plans
    }

    /// The doctor and institution the document names: its author, else a Condition's
    /// recorder or asserter, else its only Practitioner and Organization.
    fn authors(&self) -> (Option<usize>, Option<usize>) {
        let mut people = Vec::new();
        for kind in ["Composition", "QuestionnaireResponse"] {
            for (i, r) in self.doc.of_kind(kind) {
                for author in r.node.array("author").iter().chain(r.node.get("author")) {
                    people.extend(self.doc.follow(i, Some(author)));
                }
                people.extend(self.doc.follow(i, r.node.get("custodian")));
            }
        }
        for (i, r) in self.doc.of_kind("Condition") {
            for key in ["recorder", "asserter"] {
                people.extend(self.doc.follow(i, r.node.get(key)));
            }
        }
        let (mut doctor, mut institution) = (None, None);
        for p in people {
            let (d, o) = self.people(p);
            doctor = doctor.or(d);
            institution = institution.or(o);
        }
        let only = |kind: &str| {
            let mut all = self
                .doc
                .of_kind(kind)
                .filter(|(_, r)| r.container.is_none() || kind == "Practitioner");
            match (all.next(), all.next()) {
                (Some((i, _)), None) => Some(i),
                _ => None,
            }
        };
        let doctor = doctor.or_else(|| only("Practitioner"));
        let institution = institution
            .or_else(|| {
                doctor.and_then(|d| {
                    self.doc
                        .of_kind("PractitionerRole")
                        .find(|(i, r)| self.doc.follow(*i, r.node.get("practitioner")) == Some(d))
                        .and_then(|(i, _)| self.people(i).1)
                })
            })
            .or_else(|| only("Organization").filter(|o| !self.is_payor(*o)));
        (doctor, institution)
    }

    /// Whether an Organization is some Coverage's payor (an insurer, not the institution).
    fn is_payor(&self, org: usize) -> bool {
        self.doc.of_kind("Coverage").any(|(i, r)| {
            r.node
                .array("payor")
                .iter()
                .any(|p| self.doc.follow(i, Some(p)) == Some(org))
        })
    }

    /// Every sheet of the document.
    pub fn sheets(&self, sha256: &str) -> Vec<Converted> {
        let mut shared = Vec::new();
        let plans = self.plans(&mut shared);
        let patients = self.doc.of_kind("Patient").count();
        let (doctor, institution) = self.authors();
        // Each type the mapping does not read: its resources, in document order.
        let unmapped: BTreeMap<&str, &[usize]> = self
            .doc
            .kinds()
            .filter(|(kind, _)| !crate::model::READ.contains(kind))
            .collect();
        let coverages = self.by_patient(&["Coverage"]);
        let observations = self.by_patient(&["Observation"]);
        let treatments = self.by_patient(&["MedicationRequest", "Procedure"]);
        let mut out = Vec::with_capacity(plans.len());
        for (n, plan) in plans.iter().enumerate() {
            let start = plan
                .response
                .as_ref()
                .map(|(i, _)| *i)
                .or(plan.disease.as_ref().map(|(i, _)| *i))
                .or(plan.patient)
                .unwrap_or(0);
            let provenance = Provenance {
                adapter: crate::maps::CATEGORY.to_owned(),
                mapping: None,
                source_sha256: sha256.to_owned(),
                record_index: u32::try_from(n).unwrap_or(u32::MAX),
                record_location: self.at(
                    self.doc.resources[start].node,
                    self.doc.resources[start].path.clone(),
                ),
                fields: BTreeMap::new(),
                confidence: BTreeMap::new(),
                ..Provenance::default()
            };
            let mut sheet = Sheet::new(SheetKind::Nanbyo, provenance);
            // The findings about other patients' resources are theirs, not this sheet's (each
            // sheet once carried every patient's: a Bundle of many patients grew with the
            // square of its size).
            let mut findings: Vec<Finding> = shared
                .iter()
                .filter(|(about, _)| patients <= 1 || about.is_none() || *about == plan.patient)
                .map(|(_, finding)| finding.clone())
                .collect();
            if let Some((_, form)) = &plan.response {
                sheet.kind = form.kind();
                if form.kind() == SheetKind::Shoman {
                    sheet.child.get_or_insert_with(Default::default);
                }
                if let Form::Disease(key) = form {
                    sheet.disease.group = key.group;
                    sheet.disease.number = Some(key.number);
                }
            }
            if let Some((i, binding)) = &plan.disease {
                self.condition(*i, binding, &mut sheet, &mut findings);
            }
            if let Some(p) = plan.patient {
                self.patient(p, &mut sheet, &mut findings);
            }
            for i in belonging(&coverages, plan.patient, patients) {
                self.coverage(i, &mut sheet, &mut findings);
            }
            if let Some(d) = doctor {
                self.practitioner(d, &mut sheet, &mut findings);
            }
            if let Some(o) = institution {
                self.organization(o, &mut sheet, &mut findings);
            }
            let mut measurements = Vec::new();
            let mut codes: BTreeMap<String, (usize, Option<&str>, usize)> = BTreeMap::new();
            for i in belonging(&observations, plan.patient, patients) {
                let (found, missed) = self.measurements(i);
                measurements.extend(found);
                for (code, display) in missed {
                    codes.entry(code).or_insert((i, display, 0)).2 += 1;
                }
            }
            self.place(measurements, &mut sheet, &mut findings);
            for (code, (first, display, count)) in codes {
                let r = &self.doc.resources[first];
                let name = display.map(|d| format!(" ({d})")).unwrap_or_default();
                findings.push(self.info(
                    "fhir.unmapped_observation",
                    format!("{count} Observation value(s) coded {code}{name} map to no item; the first is here"),
                    format!("{code}{name} のObservation {count} 件は調査票のどの項目にも当たりません（最初のものの位置）"),
                    self.at(r.node, format!("{}.code", r.path)),
                ));
            }
            for i in belonging(&treatments, plan.patient, patients) {
                if let Some(t) = self.treatment(i) {
                    sheet.clinical.treatments.push(t);
                }
            }
            if let Some((i, _)) = plan.response {
                self.response(i, &mut sheet, &mut findings);
            }
            for (kind, of_kind) in &unmapped {
                let shown: Vec<&str> = of_kind
                    .iter()
                    .take(5)
                    .map(|&i| self.doc.resources[i].path.as_str())
                    .collect();
                let more = if of_kind.len() > shown.len() {
                    ", …"
                } else {
                    ""
                };
                findings.push(self.info(
                    "fhir.unmapped_resource",
                    format!(
                        "{} {kind} resource(s) map to nothing on the sheet: {}{more}",
                        of_kind.len(),
                        shown.join(", ")
                    ),
                    format!(
                        "{kind} リソース {} 件は調査票のどこにも当たりません: {}{more}",
                        of_kind.len(),
                        shown.join(", ")
                    ),
                    self.at(
                        self.doc.resources[of_kind[0]].node,
                        self.doc.resources[of_kind[0]].path.clone(),
                    ),
                ));
            }
            out.push(Converted {
                record: Record::Sheet(Box::new(sheet)),
                findings,
                readings: Vec::new(),
            });
        }
        out
    }
}
