//! Who may do what to which object (OWASP API1, broken object-level authorisation): one
//! function per decision, used by every handler, so the rules are in one place and tested
//! here rather than scattered through the API.
//!
//! - A hospital's doctors and clerks see and change only sheets their organisation
//!   registered; a clerk drafts, only a designated doctor confirms.
//! - A municipal officer sees only sheets submitted to their municipality, and changes none
//!   but the paper sheets their municipality scanned (seed 003's paper path): those they
//!   submit, review (the values OCR doubts) and register, as the designated doctor signed
//!   the paper.
//! - A municipal officer records the patient's consent to research use; nobody else does.
//! - The hospital that registered a sheet issues its access keys; only municipal officers
//!   look sheets up by key (which binds the sheet to their municipality).
//! - Whoever reads a sheet may print it masked; in full only its institution and municipality.
//!   The municipality issues the registration card (登録者証).
//! - A municipal officer handles the applications (申請) of their municipality; nobody else
//!   sees them.
//! - A hospital renews (前回値踏襲) from its own confirmed sheets, and from another hospital's
//!   only where the patient's consent for it was recorded by that hospital or its municipality.
//! - Administrators and integrators see no stored personal data; integrators may run
//!   conversions that store nothing (municipal officers too, for decision files); administrators operate the deliveries.

use kakehashi_core::registry::Senders;

use super::Principal;
use crate::print::Disclosure;
use crate::store::{Role, SheetFilter, SheetStatus, StoredSheet, SubmissionRecord};

/// Whether the caller may read this sheet.
pub fn may_read_sheet(p: &Principal, sheet: &StoredSheet) -> bool {
    match p.role {
        Role::Doctor | Role::Clerk => sheet.organisation_id.as_deref() == Some(&p.organisation_id),
        Role::MunicipalOfficer => sheet.municipality_id.as_deref() == Some(&p.organisation_id),
        Role::Administrator | Role::Integrator => false,
    }
}

/// Whether the caller may change this sheet (only drafts, only the owning hospital).
pub fn may_update_sheet(p: &Principal, sheet: &StoredSheet) -> bool {
    matches!(p.role, Role::Doctor | Role::Clerk)
        && sheet.organisation_id.as_deref() == Some(&p.organisation_id)
        && sheet.status == SheetStatus::Draft
}

/// Whether the caller may confirm this sheet: a designated doctor of the owning hospital, or
/// for a paper sheet the municipality scanned (signed on paper), one of its officers.
pub fn may_confirm_sheet(p: &Principal, sheet: &StoredSheet) -> bool {
    matches!(p.role, Role::Doctor | Role::MunicipalOfficer)
        && sheet.organisation_id.as_deref() == Some(&p.organisation_id)
}

/// Whether the caller may review the OCR readings of this sheet: an officer of the
/// municipality it was submitted to.
pub fn may_review(p: &Principal, sheet: &StoredSheet) -> bool {
    p.role == Role::MunicipalOfficer && sheet.municipality_id.as_deref() == Some(&p.organisation_id)
}

/// The municipality whose review queue the caller works; None for other roles.
pub fn review_queue(p: &Principal) -> Option<String> {
    (p.role == Role::MunicipalOfficer).then(|| p.organisation_id.clone())
}

/// Which sheets a listing shows the caller; None when the role sees no sheets.
pub fn sheet_filter(p: &Principal) -> Option<SheetFilter> {
    match p.role {
        Role::Doctor | Role::Clerk => Some(SheetFilter::Organisation(p.organisation_id.clone())),
        Role::MunicipalOfficer => Some(SheetFilter::Municipality(p.organisation_id.clone())),
        Role::Administrator | Role::Integrator => None,
    }
}

/// Whether the caller may store submissions through an adapter whose format `senders` send
/// (as registered; `None` when the adapter is left to sniffing or unknown): hospital staff any
/// sheet format, municipal officers only the formats municipalities send (scanned paper).
pub fn may_submit(p: &Principal, senders: Option<Senders>) -> bool {
    match p.role {
        Role::Doctor | Role::Clerk => senders.is_none_or(Senders::includes_institutions),
        Role::MunicipalOfficer => senders.is_some_and(Senders::includes_municipalities),
        Role::Administrator | Role::Integrator => false,
    }
}

/// Whether the caller may read this submission: the organisation that sent it.
pub fn may_read_submission(p: &Principal, submission: &SubmissionRecord) -> bool {
    matches!(p.role, Role::Doctor | Role::Clerk | Role::MunicipalOfficer)
        && submission.organisation_id == p.organisation_id
}

/// Whether the caller may run a conversion that stores nothing.
pub fn may_convert(p: &Principal) -> bool {
    matches!(p.role, Role::Integrator | Role::Doctor | Role::Clerk)
}

/// Whether the caller may read a certification back office's decision file without storing it
/// (municipal officers, and integrators testing a layout).
pub fn may_convert_decisions(p: &Principal) -> bool {
    matches!(p.role, Role::MunicipalOfficer | Role::Integrator)
}

/// Whether the caller may register designated doctors (municipal officers, for the hospitals
/// in their area, and administrators).
pub fn may_register_doctors(p: &Principal) -> bool {
    matches!(p.role, Role::MunicipalOfficer | Role::Administrator)
}

/// Whether the caller may record the patient's consent to research use on this sheet: a
/// municipal officer of the municipality the sheet was submitted to.
pub fn may_record_consent(p: &Principal, sheet: &StoredSheet) -> bool {
    p.role == Role::MunicipalOfficer && sheet.municipality_id.as_deref() == Some(&p.organisation_id)
}

/// Whether the caller may start a renewal (前回値踏襲): hospital doctors and clerks; which
/// previous sheets they may start from is decided per sheet (their own hospital's, or another's
/// with the patient's consent).
pub fn may_renew(p: &Principal) -> bool {
    matches!(p.role, Role::Doctor | Role::Clerk)
}

/// Whether the caller may record the patient's consent that another hospital renews from this
/// sheet: the hospital that holds it, or the municipality it was submitted to.
pub fn may_record_carryover_consent(p: &Principal, sheet: &StoredSheet) -> bool {
    match p.role {
        Role::Doctor | Role::Clerk => sheet.organisation_id.as_deref() == Some(&p.organisation_id),
        Role::MunicipalOfficer => sheet.municipality_id.as_deref() == Some(&p.organisation_id),
        Role::Administrator | Role::Integrator => false,
    }
}

/// Whether the caller may issue a new access key for this sheet: a doctor or clerk of the
/// hospital that registered it (they print the patient's copy).
pub fn may_issue_access_key(p: &Principal, sheet: &StoredSheet) -> bool {
    matches!(p.role, Role::Doctor | Role::Clerk)
        && sheet.organisation_id.as_deref() == Some(&p.organisation_id)
}

/// Whether the caller may present access keys: municipal officers, for their municipality.
pub fn may_look_up_access_keys(p: &Principal) -> bool {
    p.role == Role::MunicipalOfficer
}

/// Whether the caller may print this sheet. Masked (personal data removed, as the review board
/// gets it): whoever may read the sheet. In full: only the institution's doctors and clerks and
/// the officer of its municipality, so that a role that reads sheets for another purpose
/// later (a review-board member) gets the masked print alone.
pub fn may_print_sheet(p: &Principal, sheet: &StoredSheet, disclosure: Disclosure) -> bool {
    may_read_sheet(p, sheet)
        && match disclosure {
            Disclosure::Masked => true,
            Disclosure::Full => {
                matches!(p.role, Role::Doctor | Role::Clerk | Role::MunicipalOfficer)
            }
        }
}

/// Whether the caller may issue the registration card (登録者証) for this sheet: the
/// municipality that records the consent the card rests on.
pub fn may_issue_registration_card(p: &Principal, sheet: &StoredSheet) -> bool {
    may_record_consent(p, sheet)
}

/// Whether the caller may import, read and move on subsidy applications (申請): municipal
/// officers, each only their own municipality's (the store is asked per municipality).
pub fn may_handle_applications(p: &Principal) -> bool {
    p.role == Role::MunicipalOfficer
}

/// Whether the caller may see and resolve deliveries to the national DB (operators). The
/// deliveries carry no personal data.
pub fn may_operate_deliveries(p: &Principal) -> bool {
    p.role == Role::Administrator
}

/// Whether the caller may read the audit trail.
pub fn may_read_audit(p: &Principal) -> bool {
    p.role == Role::Administrator
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_sdk::{Sheet, SheetKind};

    fn principal(role: Role, org: &str) -> Principal {
        Principal {
            user_id: "u".into(),
            role,
            organisation_id: org.into(),
            terminal: Some("t".into()),
            source: None,
        }
    }

    fn sheet(status: SheetStatus) -> StoredSheet {
        StoredSheet {
            id: "s".into(),
            submission_id: "sub".into(),
            organisation_id: Some("hospital:A".into()),
            municipality_id: Some("municipality:M".into()),
            status,
            confirmed_at: None,
            patient_ref: None,
            sheet: Sheet::new(SheetKind::Nanbyo, Default::default()),
            findings: vec![],
        }
    }

    #[test]
    fn a_municipality_reviews_and_registers_only_the_paper_it_scanned() {
        let officer = principal(Role::MunicipalOfficer, "municipality:M");
        let other = principal(Role::MunicipalOfficer, "municipality:N");
        let mut scanned = sheet(SheetStatus::Draft);
        scanned.organisation_id = Some("municipality:M".into());
        assert!(may_review(&officer, &scanned) && may_confirm_sheet(&officer, &scanned));
        assert!(!may_review(&other, &scanned) && !may_confirm_sheet(&other, &scanned));
        // A hospital's sheet for the municipality: reviewed there? No OCR, and not theirs to register.
        assert!(!may_confirm_sheet(&officer, &sheet(SheetStatus::Draft)));
        assert!(!may_review(
            &principal(Role::Doctor, "hospital:A"),
            &scanned
        ));
        assert_eq!(review_queue(&officer).as_deref(), Some("municipality:M"));
        assert_eq!(review_queue(&principal(Role::Clerk, "hospital:A")), None);
    }

    #[test]
    fn each_role_sees_only_its_own_organisations_sheets() {
        let draft = sheet(SheetStatus::Draft);
        let confirmed = sheet(SheetStatus::Confirmed);
        let cases = [
            (Role::Doctor, "hospital:A", true, true, true),
            (Role::Clerk, "hospital:A", true, true, false),
            (Role::Doctor, "hospital:B", false, false, false),
            (Role::Clerk, "hospital:B", false, false, false),
            (Role::MunicipalOfficer, "municipality:M", true, false, false),
            (
                Role::MunicipalOfficer,
                "municipality:N",
                false,
                false,
                false,
            ),
            (Role::Administrator, "operator:X", false, false, false),
            (Role::Integrator, "operator:X", false, false, false),
        ];
        for (role, org, read, update, confirm) in cases {
            let p = principal(role, org);
            assert_eq!(may_read_sheet(&p, &draft), read, "{role:?} {org} read");
            assert_eq!(
                may_update_sheet(&p, &draft),
                update,
                "{role:?} {org} update"
            );
            assert_eq!(
                may_confirm_sheet(&p, &draft),
                confirm,
                "{role:?} {org} confirm"
            );
            assert!(
                !may_update_sheet(&p, &confirmed),
                "{role:?} changed a confirmed sheet"
            );
            assert_eq!(
                may_record_consent(&p, &confirmed),
                role == Role::MunicipalOfficer && read,
                "{role:?} {org} consent"
            );
            assert_eq!(
                may_issue_access_key(&p, &confirmed),
                matches!(role, Role::Doctor | Role::Clerk) && read,
                "{role:?} {org} issue access key"
            );
            assert_eq!(
                may_look_up_access_keys(&p),
                role == Role::MunicipalOfficer,
                "{role:?} look up access keys"
            );
            assert_eq!(
                may_handle_applications(&p),
                role == Role::MunicipalOfficer,
                "{role:?} applications"
            );
            assert_eq!(
                may_operate_deliveries(&p),
                role == Role::Administrator,
                "{role:?} deliveries"
            );
        }
    }

    #[test]
    fn prints_in_full_only_for_the_institution_and_its_municipality() {
        let confirmed = sheet(SheetStatus::Confirmed);
        let cases = [
            (Role::Doctor, "hospital:A", true, true, false),
            (Role::Clerk, "hospital:A", true, true, false),
            (Role::Doctor, "hospital:B", false, false, false),
            (Role::MunicipalOfficer, "municipality:M", true, true, true),
            (
                Role::MunicipalOfficer,
                "municipality:N",
                false,
                false,
                false,
            ),
            (Role::Administrator, "operator:X", false, false, false),
            (Role::Integrator, "operator:X", false, false, false),
        ];
        for (role, org, masked, full, card) in cases {
            let p = principal(role, org);
            assert_eq!(
                may_print_sheet(&p, &confirmed, Disclosure::Masked),
                masked,
                "{role:?} {org} masked print"
            );
            assert_eq!(
                may_print_sheet(&p, &confirmed, Disclosure::Full),
                full,
                "{role:?} {org} full print"
            );
            assert_eq!(
                may_issue_registration_card(&p, &confirmed),
                card,
                "{role:?} {org} registration card"
            );
        }
    }

    #[test]
    fn listings_are_scoped_and_privileged_roles_see_no_sheets() {
        assert_eq!(
            sheet_filter(&principal(Role::Clerk, "hospital:A")),
            Some(SheetFilter::Organisation("hospital:A".into()))
        );
        assert_eq!(
            sheet_filter(&principal(Role::MunicipalOfficer, "municipality:M")),
            Some(SheetFilter::Municipality("municipality:M".into()))
        );
        assert_eq!(
            sheet_filter(&principal(Role::Administrator, "operator:X")),
            None
        );
        assert_eq!(
            sheet_filter(&principal(Role::Integrator, "operator:X")),
            None
        );
        assert!(!may_submit(
            &principal(Role::Integrator, "operator:X"),
            None
        ));
        let officer = principal(Role::MunicipalOfficer, "municipality:M");
        assert!(may_submit(
            &officer,
            Some(Senders::InstitutionsAndMunicipalities)
        ));
        assert!(!may_submit(&officer, Some(Senders::Institutions)));
        assert!(!may_submit(&officer, None));
        assert!(may_convert(&principal(Role::Integrator, "operator:X")));
        assert!(!may_read_audit(&principal(
            Role::MunicipalOfficer,
            "municipality:M"
        )));
    }
}
