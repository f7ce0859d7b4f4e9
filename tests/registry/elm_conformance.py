"""Check an ELM JSON-LD document against the publishers' own artefacts, offline.

The document is expanded with pyld, whose document loader serves ELM's published
context (`shared/specs/elm-edc-ap-context.jsonld`) for the context URL ELM credentials
cite and refuses every other URL (no network), turned into RDF, loaded into rdflib and
validated with pyshacl against ELM's SHACL shapes for accreditations
(`shared/specs/elm-ams-constraints.ttl`).
"""

import json
import os
from functools import cache
from pathlib import Path

import pyshacl
import rdflib
from pyld import jsonld

from registry.elm import CONTEXT_URL

ROOT = Path(__file__).resolve().parents[2]


def _specs_folder():
    """The publishers' artefacts (not part of this repository): `MCQA_SPECS_DIR`, else the
    `shared/specs` folder beside this checkout or beside any folder above it (a clone
    made elsewhere on the development machine), else the workplace's `/work/shared`.
    None found is an error, never a skip: conformance must be checked."""
    if os.environ.get("MCQA_SPECS_DIR"):
        return Path(os.environ["MCQA_SPECS_DIR"])
    candidates = [folder / "shared" / "specs" for folder in ROOT.parents]
    candidates.append(Path("/work/shared/specs"))
    for folder in candidates:
        if (folder / "elm-ams-constraints.ttl").is_file():
            return folder
    raise FileNotFoundError(
        "ELM and DEQAR specification files not found: set MCQA_SPECS_DIR to the folder "
        "holding elm-ams-constraints.ttl (shared/specs)"
    )


SPECS = _specs_folder()
ELM = rdflib.Namespace("http://data.europa.eu/snb/model/elm/")


@cache
def _context():
    return json.loads((SPECS / "elm-edc-ap-context.jsonld").read_text(encoding="utf-8"))


@cache
def shapes():
    return rdflib.Graph().parse(SPECS / "elm-ams-constraints.ttl", format="turtle")


def offline_loader(url, options=None):
    """pyld document loader: ELM's context from the specs folder, nothing else."""
    if url.rstrip("/") == CONTEXT_URL:
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": _context(),
        }
    raise jsonld.JsonLdError(
        f"offline: no document for {url}",
        "jsonld.LoadDocumentError",
        code="loading document failed",
    )


def expand(document):
    return jsonld.expand(document, {"documentLoader": offline_loader})


def to_graph(document):
    """The document as an rdflib graph (through pyld's expansion and N-Quads)."""
    nquads = jsonld.to_rdf(
        document, {"format": "application/n-quads", "documentLoader": offline_loader}
    )
    return rdflib.Graph().parse(data=nquads, format="nt")


def validate(document):
    """(conforms, graph, report text) of the document against ELM's AMS shapes."""
    graph = to_graph(document)
    conforms, _, text = pyshacl.validate(
        graph, shacl_graph=shapes(), inference="none", allow_warnings=False
    )
    return conforms, graph, text


def accreditation_nodes(graph):
    return set(graph.subjects(rdflib.RDF.type, ELM.Accreditation))
