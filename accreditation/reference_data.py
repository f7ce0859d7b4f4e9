"""Load the standards frameworks from the versioned data file `data/frameworks.json`.

A framework version that already exists is left as it is: versions are immutable,
so a changed framework must come as a new version in the file. Only its translations
(the wording of the same text in the other languages of the pages and reports) are
brought up to date.
"""

import json
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "frameworks.json"
ROLE_GROUPS = ("coordinator", "reviewer", "decision_body", "appeals_committee", "provider")


def _has_translations(model):
    # The migration that first loads the data (0002) sees models without the field.
    return any(field.name == "translations" for field in model._meta.get_fields())


def load_frameworks(framework_model, standard_model, path=DATA_FILE):
    """Create every framework version of the data file that is missing; return how many."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    created = 0
    translating = _has_translations(framework_model)
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
            if translating:
                _update_translations(framework, entry, standard_model)
            continue
        created += 1
        extra = {"translations": entry.get("translations", {})} if translating else {}
        if extra:
            framework.translations = extra["translations"]
            framework.save(update_fields=["translations"])
        standard_model.objects.bulk_create(
            standard_model(
                framework=framework,
                code=s["code"],
                title=s["title"],
                guidance=s.get("guidance", ""),
                order=index,
                **({"translations": s.get("translations", {})} if translating else {}),
            )
            for index, s in enumerate(entry["standards"], start=1)
        )
    return created


def load_translations(framework_model, standard_model, path=DATA_FILE):
    """Bring the translations of the framework versions present up to date."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for entry in data["frameworks"]:
        framework = framework_model.objects.filter(
            code=entry["code"], version=entry["version"]
        ).first()
        if framework is not None:
            _update_translations(framework, entry, standard_model)


def _update_translations(framework, entry, standard_model):
    if framework.translations != entry.get("translations", {}):
        framework.translations = entry.get("translations", {})
        framework.save(update_fields=["translations"])
    wanted = {s["code"]: s.get("translations", {}) for s in entry["standards"]}
    for standard in standard_model.objects.filter(framework=framework):
        if standard.code in wanted and standard.translations != wanted[standard.code]:
            standard.translations = wanted[standard.code]
            standard.save(update_fields=["translations"])


def create_role_groups(group_model):
    for name in ROLE_GROUPS:
        group_model.objects.get_or_create(name=name)
