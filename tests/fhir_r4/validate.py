#!/usr/bin/env python3
"""Validates FHIR R4 JSON documents with fhir.resources (its R4 models: an implementation
independent of the gateway's), for tests/fhir_r4.rs.

Each FILE is read as the resource its `resourceType` names (Bundle, Questionnaire, …), entries
of a Bundle as theirs; every problem is printed on a line of its own as

    FILE: ELEMENT: MESSAGE

with ELEMENT the path of the element (`Bundle.entry[1].resource.item[0].answer[0].valueInteger`).
Checked: the elements each resource may have, their types and cardinality, required elements
(no profiles, no terminology). Exit status 0 when every file is valid, 1 when one is not, 2
when the validator cannot run.

Usage: .venv/bin/python tests/fhir_r4/validate.py FILE...   (./scripts/setup.sh makes .venv)
"""

import json
import sys

try:
    import fhir.resources
    from fhir.resources import construct_fhir_element
    from pydantic import ValidationError
except ImportError as missing:
    print(
        f"validate.py: {missing}: fhir.resources is not installed in {sys.executable}; "
        "run ./scripts/setup.sh",
        file=sys.stderr,
    )
    sys.exit(2)

R4 = "4.0.1"


def element(resource_type: str, loc: tuple) -> str:
    """`('entry', 1, 'resource', 'item', 0)` → `Bundle.entry[1].resource.item[0]`."""
    path = resource_type
    for part in loc:
        if part == "__root__":
            continue
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def problems(path: str) -> list:
    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
    except (OSError, ValueError) as e:
        return [f"{path}: (document): not JSON: {e}"]
    resource_type = document.get("resourceType") if isinstance(document, dict) else None
    if not isinstance(resource_type, str):
        return [f"{path}: (document): no resourceType"]
    try:
        construct_fhir_element(resource_type, document)
    except ValidationError as e:
        return [
            f"{path}: {element(resource_type, err['loc'])}: {err['msg']}" for err in e.errors()
        ]
    except (LookupError, ValueError) as e:
        return [f"{path}: {resource_type}: {e}"]
    return []


def main(paths: list) -> int:
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    if fhir.resources.__fhir_version__ != R4:
        print(
            f"validate.py: fhir.resources {fhir.resources.__version__} models FHIR "
            f"{fhir.resources.__fhir_version__}, not R4 ({R4}); run ./scripts/setup.sh",
            file=sys.stderr,
        )
        return 2
    invalid = 0
    for path in paths:
        found = problems(path)
        invalid += 1 if found else 0
        for line in found:
            print(line)
    print(f"validate.py: {len(paths) - invalid} of {len(paths)} valid as FHIR R4", file=sys.stderr)
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
