"""Load the standards frameworks from the versioned data file `data/frameworks.json`.

A framework version that already exists is left as it is: versions are immutable,
so a changed framework must come as a new version in the file.
"""

import json
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "frameworks.json"
ROLE_GROUPS = ("coordinator", "reviewer", "decision_body", "appeals_committee", "provider")


def load_frameworks(framework_model, standard_model, path=DATA_FILE):
    """Create every framework version of the data file that is missing; return how many."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    created = 0
    for entry in data["frameworks"]:
        framework, is_new = framework_model.objects.get_or_create(
            code=entry["code"],
            version=entry["version"],
            defaults={
                "title": entry["title"],
                "effective_from": entry["effective_from"],
                "effective_to": entry.get("effective_to"),
            },
        )
        if not is_new:
            continue
        created += 1
        standard_model.objects.bulk_create(
            standard_model(
                framework=framework,
                code=s["code"],
                title=s["title"],
                guidance=s.get("guidance", ""),
                order=index,
            )
            for index, s in enumerate(entry["standards"], start=1)
        )
    return created


def create_role_groups(group_model):
    for name in ROLE_GROUPS:
        group_model.objects.get_or_create(name=name)
