"""XML parsing that refuses entity tricks, with one complete defence: the parser's own settings.

lxml runs with resolve_entities=False (no entity is ever expanded), load_dtd=False and no_network=True
(no external DTD or entity is ever fetched, locally or over the network) and huge_tree=False (libxml2's
depth, size and amplification limits hold). What the parser then read of the DOCTYPE is checked: any
entity declaration other than an unparsed image reference (NDATA, as USPTO's 2001-2004 grants declare
them) refuses the document. The check reads the parsed document type, not the bytes, so no position
of the DOCTYPE (after 64 KB of comments, in UTF-16, behind parameter entities) gets around it.
"""
from __future__ import annotations

import re

from lxml import etree

from crawlers.parsers.base import HostileInput, ParseError
from crawlers.parsers.encoding import xml_superset

MAX_XML_BYTES = 200 * 1024 * 1024
REFUSED_ENTITIES = "XML declares entities in its DOCTYPE (refused: entity expansion / XXE)"


def safe_parser(recover: bool = False) -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           dtd_validation=False, remove_comments=True, remove_pis=True, recover=recover)


_DOCTYPE_BLOCK = re.compile(rb"<!DOCTYPE[^\[>]*(\[.*?\]\s*)?>", re.S | re.I)


def _is_image_reference(entity) -> bool:
    """<!ENTITY name SYSTEM "file.TIF" NDATA TIF>: a name for a file, never expanded into text."""
    return bool(entity.system_url) and bool(entity.content) and entity.orig is None


def check_entities(root, where: str) -> None:
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is None:
        return
    for entity in dtd.iterentities():
        if not _is_image_reference(entity):
            raise HostileInput(f"{where}: {REFUSED_ENTITIES}")


def strip_doctype_and_named_entities(body: bytes) -> bytes:
    """Drop the DOCTYPE (after the parser checked it) and turn HTML named entities (&lsquo; &aring; …), which
    USPTO files use without shipping their DTD, into numeric references. No entity is ever expanded by
    the parser, so nothing here can amplify."""
    import html.entities

    body = _DOCTYPE_BLOCK.sub(b"", body, count=1)

    def repl(m: re.Match) -> bytes:
        name = m.group(1).decode("ascii")
        if name in ("amp", "lt", "gt", "quot", "apos"):
            return m.group(0)
        cp = html.entities.name2codepoint.get(name)
        return b"&#%d;" % cp if cp else b"&#xFFFD;"
    return re.sub(rb"&([A-Za-z][A-Za-z0-9]*);", repl, body)


def parse_xml(body: bytes, where: str, max_bytes: int = MAX_XML_BYTES, lenient_entities: bool = False) -> etree._Element:
    if len(body) > max_bytes:
        raise HostileInput(f"{where}: XML of {len(body)} bytes exceeds the {max_bytes}-byte limit")
    if not body.strip():
        raise ParseError(f"{where}: empty XML body")
    body = xml_superset(body)
    root = _parse(body, where, lenient_entities)
    if root is not None:
        check_entities(root, where)
    if lenient_entities:  # USPTO files use HTML named entities without their DTD: re-read with those as numbers
        root = _parse(strip_doctype_and_named_entities(body), where)
    return root


def _parse(body: bytes, where: str, undefined_ok: bool = False):
    try:
        root = etree.fromstring(body, parser=safe_parser())
    except etree.XMLSyntaxError as e:
        msg = str(e)
        if "amplification" in msg or "entity reference loop" in msg.lower():
            raise HostileInput(f"{where}: {REFUSED_ENTITIES}: {msg}") from None
        if undefined_ok and "Entity" in msg and "not defined" in msg:
            return None  # named entities without a DTD: nothing declared them, the stripped re-read decides
        raise ParseError(f"{where}: malformed XML: {msg}") from None
    except (ValueError, LookupError) as e:  # lxml: unsupported encoding label, strings with a declaration …
        raise ParseError(f"{where}: unreadable XML: {e}") from None
    if root is None:
        raise ParseError(f"{where}: no XML root element")
    return root


def local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""
