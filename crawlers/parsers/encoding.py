"""Decoding HTML and text bodies whose encoding is declared badly or not at all.

Order: byte-order mark, Content-Type charset, <meta> charset, strict UTF-8, then detection by content
(charset-normalizer). A declaration the bytes do not fit is overruled by the content, and the result
says so (`Decoded.lied`), so the crawl can record which sources mislabel their pages.

Legacy labels map to the superset encodings browsers actually use (WHATWG): EUC-KR pages are really
CP949 (windows-949), GB2312 pages GB18030, Shift_JIS pages CP932; decoding with the narrow codec
would fail on the extension characters those sites contain.

Refused outright (HostileInput): a UTF-7 label (it smuggles markup past filters that look for `<`),
and bodies that are not text in any encoding (binary data is not a document).
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

from crawlers.parsers.base import HostileInput

SUPERSETS = {
    "euc-kr": "cp949", "euc_kr": "cp949", "ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "korean": "cp949",
    "x-windows-949": "cp949", "windows-949": "cp949", "uhc": "cp949", "csEUCKR": "cp949", "iso-ir-149": "cp949",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "windows-31j": "cp932",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252",
    "utf8": "utf-8",
}
REFUSED = {"utf-7", "utf_7", "unicode-1-1-utf-7", "csunicode11utf7", "x-utf-7"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_UTF7_BOM = re.compile(rb"^\+/v[89+/]")
_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_HEADER = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_:.\-]+)""", re.I)
DETECT_BYTES = 200_000
MAX_BAD_FRACTION = 0.001   # a few broken bytes in a UTF-8 page (a cut multibyte character) are replaced
MAX_CONTROL_FRACTION = 0.01  # more control characters than this: binary data, not text
_SINGLE_BYTE = {"cp1252", "iso8859-1", "iso8859-15", "cp1251", "koi8-r", "mac-roman"}


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str                  # the codec the text was decoded with
    declared: str | None = None    # the codec the body was labelled with (None: no label)
    where: str = "none"            # where the label was: bom, header, meta, none
    lied: bool = False             # a label was there and the bytes are not in it

    def note(self, url: str) -> str | None:
        if not self.lied:
            return None
        return f"{url}: labelled {self.declared} ({self.where}) but the bytes are {self.encoding}; decoded by content"


def _refuse_label(label: str, where: str) -> None:
    if label.strip().lower() in REFUSED:
        raise HostileInput(f"{where}: encoding UTF-7 is refused (it hides markup from filters)")


def normalize_encoding(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    if label in REFUSED:
        return "utf-7"
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
    if _UTF7_BOM.match(body):
        return "utf-7", "bom"
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


_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")


def _is_text(text: str) -> bool:
    """Few control characters (C0/C1 but tab, newlines, form feed) and replacement characters."""
    sample = text[:DETECT_BYTES]
    return len(_NOT_TEXT.findall(sample)) <= max(2, len(sample) * MAX_CONTROL_FRACTION)


def _detect(body: bytes, lang_hint: str | None) -> str | None:
    matches = [m for m in from_bytes(body[:DETECT_BYTES]) if normalize_encoding(m.encoding) not in (None, "utf-7")]
    if not matches:
        return None
    best = min(m.chaos for m in matches)
    tied = [m for m in matches if m.chaos <= best + 1e-9]
    if lang_hint:  # equally plausible decodings (Shift_JIS bytes are often valid CP949): the source's language decides
        names = {"ja": "Japanese", "ko": "Korean", "zh": "Chinese"}
        for m in tied:
            if names.get(lang_hint) in (m.languages or []):
                return normalize_encoding(m.encoding)
    return normalize_encoding(tied[0].encoding)


def decode_body(body: bytes, content_type: str | None = None, where: str = "response",
                lang_hint: str | None = None) -> Decoded:
    """The body as text, with how it was decoded. Raises HostileInput for UTF-7 and for binary data."""
    enc, found = declared_encoding(body, content_type)
    if enc == "utf-7":
        raise HostileInput(f"{where}: encoding UTF-7 is refused (it hides markup from filters)")
    if b"\x00" in body[:DETECT_BYTES] and found != "bom":
        raise HostileInput(f"{where}: binary data (NUL bytes), not a text document")
    if enc:
        try:
            text = body.decode(enc)
        except UnicodeDecodeError:
            pass  # declared wrongly (common): the content decides below
        else:
            lie_utf8 = enc in _SINGLE_BYTE and _valid_multibyte_utf8(body)
            if not lie_utf8:
                if not _is_text(text):
                    raise HostileInput(f"{where}: binary data, not text in its declared {enc}")
                return Decoded(text, enc, enc, found)
    try:
        text = body.decode("utf-8")
        if _is_text(text):
            return Decoded(text, "utf-8", enc, found, lied=bool(enc) and enc not in ("utf-8", "utf-8-sig"))
    except UnicodeDecodeError:
        pass
    detected = _detect(body, lang_hint)
    if detected:
        try:
            text = body.decode(detected)
        except (UnicodeDecodeError, LookupError):
            text = None
        if text is not None and _is_text(text):
            return Decoded(text, detected, enc, found, lied=bool(enc) and enc != detected)
    text = body.decode("utf-8", errors="replace")
    if text.count("\ufffd") <= max(3, len(body) * MAX_BAD_FRACTION) and _is_text(text.replace("\ufffd", "")):
        return Decoded(text, "utf-8", enc, found, lied=bool(enc) and enc != "utf-8")
    raise HostileInput(f"{where}: not text in any known encoding (binary data is not a document)")


def _valid_multibyte_utf8(body: bytes) -> bool:
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_text(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding used): `decode_body` without the label's story."""
    d = decode_body(body, content_type)
    return d.text, d.encoding


def xml_superset(body: bytes) -> bytes:
    """An XML body whose declaration names a legacy encoding (EUC-KR, Shift_JIS, GB2312) re-encoded as UTF-8
    from the superset codec, so one extension character does not cost the whole feed; UTF-7 is refused."""
    m = re.match(rb"""^(\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)["']""", body)
    if not m:
        return body
    label = m[2].decode("ascii").lower()
    _refuse_label(label, "XML declaration")
    target = SUPERSETS.get(label)
    if not target or target in ("utf-8", "cp1252"):
        return body
    try:
        text = body.decode(target)
    except UnicodeDecodeError:
        return body  # the parser names the broken byte
    start, end = m.span(2)
    return (body[:start].decode("ascii", "replace") + "UTF-8" + text[len(body[:end].decode(target)):]).encode("utf-8")
