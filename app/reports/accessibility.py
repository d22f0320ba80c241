"""Declare PDF/UA-1 beside PDF/A-3a in a report's XMP metadata.

Reports are archived (PDF/A-3) and read by people using screen readers (PDF/UA-1,
ISO 14289-1). WeasyPrint writes a tagged PDF/A-3a (structure tree, ``/Lang``, alt text
from each chart's ``<title>``, ``DisplayDocTitle``) but offers one variant at a time, so
the PDF/UA identification a validator looks for is added here, as a WeasyPrint
*finisher* run just before the file is written.

Two things go into the one ``rdf:RDF`` the document already has (a second ``rdf:RDF``
packet is ignored by validators):

* ``pdfuaid:part="1"``, the PDF/UA identification;
* a PDF/A extension-schema description of ``pdfuaid``: PDF/A-3 only accepts XMP
  properties from its predefined schemas or ones the file describes, and the PDF/UA
  identification schema is not among the predefined ones.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from typing import Any

__all__ = ["declare_pdf_ua"]

_NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfuaid": "http://www.aiim.org/pdfua/ns/id/",
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
}
for _prefix, _uri in _NS.items():
    ElementTree.register_namespace(_prefix, _uri)

_PACKET_START = b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
_PACKET_END = b'\n<?xpacket end="r"?>'


def _tag(prefix: str, name: str) -> str:
    """``{namespace}name`` for ElementTree."""
    return f"{{{_NS[prefix]}}}{name}"


def _child(parent: ElementTree.Element, prefix: str, name: str, text: str | None = None) -> Any:
    """Append ``prefix:name`` (with ``text``) to ``parent`` and return it."""
    element = ElementTree.SubElement(parent, _tag(prefix, name))
    if text is not None:
        element.text = text
    return element


def _resource(parent: ElementTree.Element) -> ElementTree.Element:
    """An ``rdf:li`` holding a structure (``rdf:parseType="Resource"``)."""
    item = _child(parent, "rdf", "li")
    item.set(_tag("rdf", "parseType"), "Resource")
    return item


def _pdf_ua_descriptions(rdf: ElementTree.Element) -> None:
    """Add the PDF/UA-1 identification and its PDF/A extension schema to ``rdf``."""
    identification = _child(rdf, "rdf", "Description")
    identification.set(_tag("rdf", "about"), "")
    identification.set(_tag("pdfuaid", "part"), "1")

    extension = _child(rdf, "rdf", "Description")
    extension.set(_tag("rdf", "about"), "")
    schemas = _child(_child(extension, "pdfaExtension", "schemas"), "rdf", "Bag")
    schema = _resource(schemas)
    _child(schema, "pdfaSchema", "schema", "PDF/UA identification schema")
    _child(schema, "pdfaSchema", "namespaceURI", _NS["pdfuaid"])
    _child(schema, "pdfaSchema", "prefix", "pdfuaid")
    properties = _child(_child(schema, "pdfaSchema", "property"), "rdf", "Seq")
    part = _resource(properties)
    _child(part, "pdfaProperty", "name", "part")
    _child(part, "pdfaProperty", "valueType", "Integer")
    _child(part, "pdfaProperty", "category", "internal")
    _child(part, "pdfaProperty", "description", "Part of ISO 14289 the file conforms to")


def with_pdf_ua(packet: bytes) -> bytes:
    """The XMP packet ``packet`` with the PDF/UA-1 identification added to its RDF."""
    start, end = packet.index(b"<x:xmpmeta"), packet.rindex(b"</x:xmpmeta>")
    meta = ElementTree.fromstring(packet[start : end + len(b"</x:xmpmeta>")])
    rdf = meta.find(_tag("rdf", "RDF"))
    if rdf is None:
        raise ValueError("the XMP metadata has no rdf:RDF element")
    _pdf_ua_descriptions(rdf)
    body = ElementTree.tostring(meta, encoding="utf-8", xml_declaration=False)
    return _PACKET_START + body + _PACKET_END


def declare_pdf_ua(document: Any, pdf: Any) -> None:
    """WeasyPrint finisher: add the PDF/UA-1 identification to the catalog's XMP stream.

    ``pdf`` is WeasyPrint's ``pydyf.PDF`` before it is written; the variant (a tagged
    PDF/A) has already put its metadata stream in the catalog. ``document`` is unused.
    """
    reference = pdf.catalog.get("Metadata")
    if reference is None:
        raise ValueError("declaring PDF/UA needs a PDF variant that writes XMP metadata")
    number = int(bytes(reference).split()[0])
    stream = pdf.objects[number]
    stream.stream = [with_pdf_ua(b"".join(stream.stream))]
