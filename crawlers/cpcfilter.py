"""Does a patent belong to the monitored technologies? The filter of the bulk paths (USPTO weekly zips,
PatentsView tables): by the taxonomy's CPC concordance, by class prefixes, or none."""
from __future__ import annotations


class CpcFilter:
    """Does a patent belong to the monitored technologies? By the taxonomy's concordance or class prefixes."""

    def __init__(self, spec):
        self.prefixes: list[str] | None = None
        self.concordance = None
        if spec in (None, "taxonomy"):
            from ews.kernel.taxonomy import load_taxonomy
            from ews.kernel.taxonomy.concordance import CpcConcordance

            self.concordance = CpcConcordance(load_taxonomy())
        elif spec == "none":
            pass
        elif isinstance(spec, list):
            self.prefixes = [p.replace(" ", "").upper() for p in spec]
        else:
            raise ValueError(f"settings.cpc_filter must be 'taxonomy', 'none' or a list of class prefixes, got {spec!r}")

    def __call__(self, doc) -> bool:
        if doc.patent is None:
            return False
        return self.keeps_symbols(doc.patent.cpc + doc.patent.ipc)

    def keeps_symbols(self, symbols: list[str]) -> bool:
        """The same verdict from a patent's classes alone (before a document is built of it)."""
        if self.concordance is not None:
            return bool(self.concordance.technologies(symbols))
        if self.prefixes is not None:
            return any(s.replace(" ", "").startswith(p) for s in symbols for p in self.prefixes)
        return True
