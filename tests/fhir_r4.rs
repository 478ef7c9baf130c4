//! The gateway's FHIR output is valid R4 JSON to an implementation independent of its own:
//! every Questionnaire the catalog has (each template's and the two common forms) and a Bundle
//! for every sheet of the conformance corpus pass fhir.resources' R4 models
//! (`tests/fhir_r4/validate.py`, run in the tests' virtualenv that `./scripts/setup.sh`
//! makes); and deliberately broken documents are refused with the element named, so the check
//! can fail.

#[path = "../adapters/fhir/tests/support/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::process::Command;

use kakehashi::catalog::Catalog;
use kakehashi_adapter_fhir::{Form, form_questionnaire, questionnaire, sheet_bundle};
use kakehashi_sdk::{MappingContext, SheetKind};
use serde_json::{Value, json};

/// The FHIR base the documents name their Questionnaires under.
const BASE: &str = "https://127.0.0.1:8443/fhir";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What the validator said about a set of files.
struct Verdict {
    valid: bool,
    /// One line per problem: `FILE: ELEMENT: MESSAGE`.
    problems: String,
    summary: String,
}

/// Runs `tests/fhir_r4/validate.py` on `files` in the tests' virtualenv.
fn validate(files: &[PathBuf]) -> Verdict {
    let python = root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run ./scripts/setup.sh, which installs fhir.resources (the R4 validator) in the tests' virtualenv",
        python.display()
    );
    let out = Command::new(&python)
        .arg(root().join("tests/fhir_r4/validate.py"))
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    let summary = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "the validator could not run ({}): {summary}",
        out.status
    );
    Verdict {
        valid: out.status.success(),
        problems: String::from_utf8_lossy(&out.stdout).into_owned(),
        summary,
    }
}

fn write(dir: &Path, name: &str, json: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, json).unwrap();
    path
}

#[test]
fn every_questionnaire_and_every_corpus_sheets_bundle_is_valid_r4() {
    let catalog = Catalog::load(None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for template in catalog.templates.iter() {
        let q = questionnaire(template, BASE);
        let name = format!("Questionnaire-{}.json", q["id"].as_str().unwrap());
        files.push(write(dir.path(), &name, &q.to_string()));
    }
    for kind in [SheetKind::Nanbyo, SheetKind::Shoman] {
        let form = Form::Common(kind);
        let q = form_questionnaire(form, None, BASE);
        let name = format!("Questionnaire-{}.json", form.slug());
        files.push(write(dir.path(), &name, &q.to_string()));
    }
    let questionnaires = files.len();
    assert_eq!(questionnaires, catalog.templates.len() + 2);

    let context = MappingContext {
        diseases: &catalog.diseases,
        templates: &catalog.templates,
        mappings: &catalog.mappings,
        mapping: None,
    };
    for (n, corpus_sheet) in corpus::sheets(root(), context).iter().enumerate() {
        let sheet = &corpus_sheet.sheet;
        let template = catalog.templates.for_sheet(sheet);
        let bundle = sheet_bundle(sheet, template, &corpus_sheet.uuid(), "completed", BASE)
            .unwrap_or_else(|e| panic!("{}: {e}", corpus_sheet.path.display()));
        files.push(write(dir.path(), &format!("Bundle-{n:03}.json"), &bundle));
    }
    let bundles = files.len() - questionnaires;
    assert!(bundles >= 250, "only {bundles} corpus sheets");

    let verdict = validate(&files);
    let shown: Vec<&str> = verdict.problems.lines().take(40).collect();
    assert!(
        verdict.valid && verdict.problems.is_empty(),
        "{}\n{}",
        verdict.summary,
        shown.join("\n")
    );
    assert!(
        verdict.summary.contains(&format!(
            "{0} of {0} valid as FHIR R4",
            questionnaires + bundles
        )),
        "{}",
        verdict.summary
    );
}

#[test]
fn broken_documents_are_refused_with_the_element_named() {
    let catalog = Catalog::load(None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let template = catalog.templates.iter().next().unwrap();

    // An element R4 does not have, on a Questionnaire's first item.
    let mut q = questionnaire(template, BASE);
    q["item"][0]["textJa"] = json!("基本情報");
    let questionnaire_file = write(dir.path(), "q.json", &q.to_string());

    // A date that is not a date, on the Bundle's Patient.
    let t1d = std::fs::read(root().join("conformance/fhir/cases/shoman-t1d-bundle.json")).unwrap();
    let context = MappingContext {
        diseases: &catalog.diseases,
        templates: &catalog.templates,
        mappings: &catalog.mappings,
        mapping: None,
    };
    let sheet = corpus::sheets_of(&kakehashi_adapter_fhir::FhirAdapter, &t1d, context)
        .unwrap()
        .remove(0);
    let bundle = sheet_bundle(
        &sheet,
        catalog.templates.for_sheet(&sheet),
        "2f1e9a3c-0d5b-5c4e-8a7f-1b2c3d4e5f60",
        "completed",
        BASE,
    )
    .unwrap();
    let mut bundle: Value = serde_json::from_str(&bundle).unwrap();
    assert_eq!(bundle["entry"][0]["resource"]["resourceType"], "Patient");
    bundle["entry"][0]["resource"]["birthDate"] = json!("平成22年");
    let bundle_file = write(dir.path(), "b.json", &bundle.to_string());

    let verdict = validate(&[questionnaire_file.clone(), bundle_file.clone()]);
    assert!(!verdict.valid, "{}", verdict.summary);
    let problems: Vec<&str> = verdict.problems.lines().collect();
    for (file, element) in [
        (&questionnaire_file, "Questionnaire.item[0].textJa"),
        (&bundle_file, "Bundle.entry[0].resource.birthDate"),
    ] {
        let expected = format!("{}: {element}: ", file.display());
        assert!(
            problems.iter().any(|p| p.starts_with(&expected)),
            "no problem at {element} in:\n{}",
            verdict.problems
        );
    }
    assert!(
        verdict.summary.contains("0 of 2 valid"),
        "{}",
        verdict.summary
    );
}
