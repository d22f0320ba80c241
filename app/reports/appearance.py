"""The visible signature on a report's cover: pyHanko's text stamp in a tagged field.

A PDF reader shows a signature's appearance where its widget sits, and clicking it opens
the signature panel. The cover reserves the place (an element with the id
:data:`~app.reports.rendering.SIGNATURE_ANCHOR`; rendering reports where it was laid
out) and signing puts the field there, drawn with the stamp below: who signed, for which
organisation, when, why, what the signature covers and how to check it.

Two things keep the signed file PDF/A-3a and PDF/UA-1, both checked by veraPDF in
``tests/reports/test_conformance.py``:

* **The font is embedded with consistent widths.** pyHanko writes a TrueType font's
  glyph widths in the font's own units, but PDF wants thousandths of an em; DejaVu Sans
  has 2048 units per em, so the report's packaged copy is subset to the Latin, Greek,
  Cyrillic and punctuation ranges and rescaled to 1000 units once per process
  (about half a second) before pyHanko embeds it. The copy keeps no OpenType layout
  tables: the stamp's scripts need no shaping, and pyHanko subsets the font again at
  every signature, which took 0.4 s more per report with them.
* **The widget is in the structure tree.** PDF/UA wants every annotation inside a
  ``Form`` structure element, reachable from the page's ``/StructParents`` number tree,
  and the page's tab order to follow the structure (``/Tabs /S``). The field is added
  and tagged in the same incremental update that carries the signature, so the
  signature covers the tagging too.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Mapping

from asn1crypto import x509 as asn1_x509
from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields
from pyhanko.stamp import TextStampStyle

from app.reports.rendering import ASSET_DIR, SignatureBox

__all__ = ["add_tagged_signature_field", "appearance_text", "stamp_style"]

_FONT_FILE = ASSET_DIR / "fonts" / "DejaVuSans.ttf"
_FONT_SIZE = 8
_UNICODE_RANGES = ((0x20, 0x250), (0x370, 0x530), (0x2010, 0x2070), (0x20AC, 0x20AD))
"""What the stamp can print: Latin (with Extended-A/B), Greek, Cyrillic, punctuation,
the euro sign. A character outside them prints as the font's missing-glyph box."""

_STAMP_TEXT = (
    "Digitally signed by %(signer_name)s\n"
    "Organisation: %(organisation)s\n"
    "Time: %(ts)s (%(clock)s)\n"
    "Reason: %(reason)s\n"
    "Covers: this whole file as issued, every page and embedded file (later: validation data only)\n"
    "Verify: gatehouse report verify FILE, or any PAdES-capable PDF reader\n"
    "Signer certificate SHA-256: %(fingerprint)s"
)


@functools.cache
def _font_program() -> bytes:
    """The packaged DejaVu Sans, subset and rescaled to 1000 units per em (see above)."""
    font = TTFont(str(_FONT_FILE))
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    # FontForge's timestamp table: fontTools cannot subset it and says so at every signing.
    options.drop_tables = [*options.drop_tables, "FFTM"]
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(
        unicodes=[code for low, high in _UNICODE_RANGES for code in range(low, high)]
    )
    subsetter.subset(font)
    scale_upem(font, 1000)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


class _StampFont(FontEngineFactory):
    """pyHanko font engine over :func:`_font_program`, text marked as English."""

    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: object = None
    ) -> GlyphAccumulator:
        """A glyph accumulator that embeds the subset it used."""
        return GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(_font_program()),
            font_size=_FONT_SIZE,
            bcp47_lang_code="en",
            obj_stream=obj_stream,
        )


def stamp_style() -> TextStampStyle:
    """Left-aligned text in a thin frame, no background art."""
    return TextStampStyle(
        stamp_text=_STAMP_TEXT,
        text_box_style=TextBoxStyle(font=_StampFont(), font_size=_FONT_SIZE, leading=10),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins(left=8, right=8, top=6, bottom=6),
            inner_content_scaling=layout.InnerScaling.NO_SCALING,
        ),
        border_width=1,
        background=None,
    )


def appearance_text(
    *,
    certificate: asn1_x509.Certificate,
    fingerprint_sha256: str,
    reason: str,
    timestamped: bool,
    signed_at: dt.datetime,
) -> Mapping[str, str]:
    """The values the stamp prints, from the signer certificate and the signing options."""
    subject = certificate.subject.native
    return {
        "signer_name": str(subject.get("common_name", certificate.subject.human_friendly)),
        "organisation": str(subject.get("organization_name", "not named in the certificate")),
        "ts": signed_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "clock": (
            "the signature carries a timestamp authority's token"
            if timestamped
            else "the signer's clock; no timestamp authority vouches for it"
        ),
        "reason": reason,
        "fingerprint": fingerprint_sha256,
    }


def _structure_document(writer: IncrementalPdfFileWriter) -> generic.DictionaryObject:
    """The top ``/Document`` element of the structure tree WeasyPrint wrote."""
    kids = writer.root["/StructTreeRoot"]["/K"]
    document = kids[0] if isinstance(kids, generic.ArrayObject) else kids
    if not isinstance(document, generic.DictionaryObject):
        raise ValueError("the report has no tagged structure to put its signature in")
    return document


def add_tagged_signature_field(
    writer: IncrementalPdfFileWriter, *, field_name: str, box: SignatureBox, description: str
) -> None:
    """Add the visible signature field at ``box`` and tag its widget for PDF/UA.

    An untagged document (rendered without a tagged variant) gets the field only.

    The ``Form`` element (its ``/Alt`` is ``description``) goes at the end of the cover
    section, the structure element the box is laid out in, so a screen reader meets the
    signature with the rest of the cover.
    """
    fields.append_signature_field(
        writer,
        fields.SigFieldSpec(
            field_name,
            on_page=box.page,
            box=box.points,
            readable_field_name=description,
        ),
    )
    root = writer.root
    if "/StructTreeRoot" not in root:
        return  # an untagged PDF (rendered without a tagged variant) has nothing to join
    field_ref = next(
        ref for ref in root["/AcroForm"]["/Fields"] if ref.get_object()["/T"] == field_name
    )
    widget = field_ref.get_object()
    page_ref = widget.raw_get("/P")

    structure_root = root["/StructTreeRoot"]
    parent_tree = structure_root["/ParentTree"]
    numbers = parent_tree["/Nums"]
    key = max(int(numbers[index]) for index in range(0, len(numbers), 2)) + 1
    document = _structure_document(writer)
    cover = document["/K"][0]
    form = writer.add_object(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/StructElem"),
                pdf_name("/S"): pdf_name("/Form"),
                pdf_name("/P"): document["/K"].raw_get(0),
                pdf_name("/Pg"): page_ref,
                pdf_name("/Alt"): pdf_string(description),
                pdf_name("/K"): generic.DictionaryObject(
                    {
                        pdf_name("/Type"): pdf_name("/OBJR"),
                        pdf_name("/Obj"): field_ref,
                        pdf_name("/Pg"): page_ref,
                    }
                ),
            }
        )
    )
    cover["/K"].append(form)
    writer.update_container(cover)
    widget["/StructParent"] = generic.NumberObject(key)
    writer.update_container(widget)
    numbers.append(generic.NumberObject(key))
    numbers.append(form)
    writer.update_container(parent_tree)
    if "/ParentTreeNextKey" in structure_root:
        structure_root["/ParentTreeNextKey"] = generic.NumberObject(key + 1)
        writer.update_container(structure_root)
    page = page_ref.get_object()
    page["/Tabs"] = pdf_name("/S")
    writer.update_container(page)
