"""Decoding HTML and text bodies whose encoding is declared badly or not at all.

Order: byte-order mark, Content-Type charset, <meta> charset, strict UTF-8, then charset-normalizer.
Legacy labels map to the superset encodings browsers actually use (WHATWG): EUC-KR pages are really
CP949 (windows-949), GB2312 pages GB18030, Shift_JIS pages CP932; decoding with the narrow codec
would fail on the extension characters those sites contain.
"""
from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

SUPERSETS = {
    "euc-kr": "cp949", "euc_kr": "cp949", "ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "korean": "cp949",
    "x-windows-949": "cp949", "windows-949": "cp949", "uhc": "cp949",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "windows-31j": "cp932",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252",
    "utf8": "utf-8",
}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_HEADER = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_:.\-]+)""", re.I)


def normalize_encoding(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    label = SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def declared_encoding(body: bytes, content_type: str | None = None) -> tuple[str | None, str]:
    """(encoding, where it was declared: 'bom', 'header', 'meta' or 'none')."""
    for bom, enc in _BOMS:
        if body.startswith(bom):
            return enc, "bom"
    if content_type:
        m = _HEADER.search(content_type)
        enc = normalize_encoding(m[1]) if m else None
        if enc:
            return enc, "header"
    m = _META.search(body[:4096])
    if m:
        enc = normalize_encoding(m[1].decode("ascii", "replace"))
        if enc:
            return enc, "meta"
    return None, "none"


def decode_text(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding used). A declaration that does not fit the bytes is overruled by detection."""
    enc, _ = declared_encoding(body, content_type)
    if enc:
        try:
            return body.decode(enc), enc
        except UnicodeDecodeError:
            pass  # declared wrongly (common): detect instead
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(body[:200_000]).best()
    if best is not None:
        enc = normalize_encoding(best.encoding) or best.encoding
        try:
            return body.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            pass
    return body.decode("utf-8", errors="replace"), "utf-8"
