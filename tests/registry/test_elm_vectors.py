"""docs/test-vectors/elm: every ELM accreditation vector reaches the outcome its manifest
states when re-validated offline against ELM's own shapes (pyld, rdflib, pyshacl: none
of them is used to build the documents)."""

import json
from pathlib import Path

import pytest

from tests.registry.elm_conformance import accreditation_nodes, validate

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "test-vectors" / "elm"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text(encoding="utf-8"))


def test_manifest_lists_every_vector():
    assert {entry["file"] for entry in MANIFEST} == {p.name for p in VECTORS.glob("*.jsonld")}
    assert any(entry["conforms"] for entry in MANIFEST)
    assert not all(entry["conforms"] for entry in MANIFEST)


@pytest.mark.parametrize("entry", MANIFEST, ids=[entry["file"] for entry in MANIFEST])
def test_vector_reaches_its_stated_outcome(entry):
    document = json.loads((VECTORS / entry["file"]).read_text(encoding="utf-8"))
    conforms, graph, text = validate(document)
    assert conforms is entry["conforms"], text
    # Conforming or not, the shapes had an accreditation to check.
    assert len(accreditation_nodes(graph)) == 1
