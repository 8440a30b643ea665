"""Which URLs a source's crawl may request: http(s) on the source's own registered hosts, nothing else.

A crawled page is written by strangers, and every link on it (list entries, pagination, a feed's or an
API's next page, a bulk listing's file links, redirects, meta refreshes) is a request the crawler would
make on their behalf. `file:`, `data:`, `ftp:` or a link to a private address would turn the crawler into
a reader of local files and internal services, so a URL is allowed only when:

- its scheme is http or https;
- its host (and port) is one the registry gives the source: the endpoint's, the token URL's, and the
  entry's `settings.allowed_hosts` (`host`, `host:port` or `*.domain`);
- its host is not a loopback, private, link-local, multicast or reserved address (or `localhost`),
  unless the registry the source comes from says `private_network: true` (the demo and test
  registries only: their sites run on 127.0.0.1).

The policy is applied twice: by the spiders before they make a request from a link, and by
`OffsiteGuardMiddleware` for every request Scrapy is about to download (redirects included).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")
# Links that are not links to anything (script calls, mail, phone, page anchors): skipped quietly.
NON_LINKS = ("javascript:", "mailto:", "tel:", "#", "about:")
DEFAULT_PORTS = {"http": 80, "https": 443}
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class RefusedURL(ValueError):
    """A URL the source may not request; the message says why."""


@dataclass(frozen=True)
class Origin:
    host: str
    port: int | None  # None: the scheme's default port
    wildcard: bool = False  # '*.example.org': any subdomain, and the domain itself

    def matches(self, host: str, port: int, scheme: str) -> bool:
        want = self.port if self.port is not None else DEFAULT_PORTS[scheme]
        if port != want:
            return False
        if self.wildcard:
            return host == self.host or host.endswith("." + self.host)
        return host == self.host


def _host_port(url: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port
    except ValueError as e:  # a port that is not a number, a bracket that does not close …
        raise RefusedURL(f"malformed URL ({e})") from None
    if scheme not in ALLOWED_SCHEMES:
        raise RefusedURL(f"scheme {scheme + ':' if scheme else '(none)'} is never fetched (only http and https)")
    if not host:
        raise RefusedURL("URL without a host")
    return scheme, host, port if port is not None else DEFAULT_PORTS[scheme]


def parse_origin(entry: str) -> Origin:
    """'host', 'host:port', '*.domain' or a URL → Origin."""
    entry = entry.strip().lower()
    if "://" in entry:
        scheme, host, port = _host_port(entry)
        explicit = urlsplit(entry).port
        return Origin(host, explicit if explicit is not None else None)
    wildcard = entry.startswith("*.")
    if wildcard:
        entry = entry[2:]
    host, sep, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
    if not sep:
        host = entry.strip("[]")
        return Origin(host, None, wildcard)
    if not port.isdigit():
        raise ValueError(f"allowed host {entry!r}: the port must be a number")
    return Origin(host.strip("[]"), int(port), wildcard)


def is_private_host(host: str) -> bool:
    """True for loopback, private, link-local, multicast, reserved and unspecified addresses and local names."""
    host = host.strip("[]").lower()
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        # Numeric forms browsers and resolvers accept but ip_address does not ('2130706433', '0x7f.1', '127.1').
        if host.replace(".", "").isdigit() or host.startswith("0x"):
            return True
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or not ip.is_global)


class LinkPolicy:
    """The allow-list of one source; `check(url)` raises RefusedURL, `allows(url)` says yes or no."""

    def __init__(self, origins: list[Origin], private_network: bool = False):
        self.origins = origins
        self.private_network = private_network

    @classmethod
    def for_source(cls, source) -> LinkPolicy:
        s = source.settings
        origins = [parse_origin(source.endpoint)]
        if s.get("auth_url"):
            origins.append(parse_origin(s["auth_url"]))
        for h in s.get("allowed_hosts") or []:
            origins.append(parse_origin(h))
        return cls(origins, private_network=bool(getattr(source, "private_network", False)))

    def check(self, url: str) -> str:
        scheme, host, port = _host_port(url)
        if not any(o.matches(host, port, scheme) for o in self.origins):
            raise RefusedURL(f"host {host}:{port} is not one of the source's registered hosts")
        if not self.private_network and is_private_host(host):
            raise RefusedURL(f"host {host} is a private, loopback or link-local address")
        return url

    def allows(self, url: str) -> bool:
        try:
            self.check(url)
        except RefusedURL:
            return False
        return True


def is_non_link(href: str) -> bool:
    """An href that names no document (a script call, an anchor, an e-mail address)."""
    h = "".join(href.split()).lower()  # 'java\tscript:' is still javascript
    return not h or h.startswith(NON_LINKS)
