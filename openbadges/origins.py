"""The origin of an http(s) URL, read one way for every Open Badges reader.

Every URL colearn compares by origin (a hosted Assertion's ``id``, its issuer's
and BadgeClass's ``id``, ``verification.allowedOrigins``, an ``image``) is read
by ``http_origin``, which accepts only what RFC 3986 (section 3) and the WHATWG
URL Standard ("URL parsing", "host parsing") read alike, so that colearn, a
browser and a JavaScript verifier agree on which host a URL names:

- no ASCII control character or DEL anywhere, and no backslash: a WHATWG parser
  reads ``\\`` as ``/`` in http(s) URLs (``https://evil.example\\@issuer.example/``
  is on evil.example for it, on issuer.example for Python's ``urlsplit``), and
  silently drops tabs and line breaks; RFC 3986 allows neither character;
- the scheme followed by exactly ``//`` and a host (WHATWG reads
  ``https:evil.example`` and ``https:///evil.example`` as on evil.example,
  RFC 3986 as having no host);
- no user information (``user@``): ``https://issuer.example@evil.example/`` is
  on evil.example, a spoofing shape no Open Badges IRI needs;
- no percent-encoding in the host (WHATWG decodes it, ``urlsplit`` does not);
- a host that is a domain name, a dotted-quad IPv4 address or a bracketed IPv6
  address. A domain is compared in ASCII: lower case, and a Unicode name
  converted by IDNA / UTS #46 (non-transitional, the WHATWG "domain to ASCII";
  the ``idna`` package), so ``bücher.example`` and ``xn--bcher-kva.example``
  are one host. A domain whose last label is a number is refused (WHATWG
  reads ``issuer.0x7f`` or ``2130706433`` as IPv4 numbers);
- an optional port of ASCII digits up to 65535; an absent or empty port is
  the scheme's default (http 80, https 443), so ``https://h`` and
  ``https://h:443`` are one origin.

``Origin.authority`` is the WHATWG URL ``host``: the ASCII host, and the port
only when it is not the scheme's default.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

import idna

#: The default port of each scheme compared here (WHATWG URL "special scheme").
DEFAULT_PORTS = {"http": 80, "https": 443}

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")
_ASCII_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_\-]*[a-z0-9_])?$")
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_PORT = re.compile(r"^[0-9]*$")


@dataclass(frozen=True)
class Origin:
    """Where an http(s) URL points.

    Attributes:
        scheme: ``http`` or ``https``.
        host: the ASCII host (lower case, IDNA A-labels; IPv6 in brackets).
        port: the port, the scheme's default when the URL names none.
    """

    scheme: str
    host: str
    port: int

    @property
    def authority(self) -> str:
        """``host``, with ``:port`` when the port is not the scheme's default (WHATWG URL ``host``)."""
        return self.host if self.port == DEFAULT_PORTS[self.scheme] else f"{self.host}:{self.port}"


def ascii_host(host: str) -> str:
    """A host as compared here: a domain in lower-case ASCII (IDNA / UTS #46 to ASCII
    for a Unicode one), a dotted-quad IPv4 address, or ``[IPv6]`` compressed.

    Raises:
        ValueError: an empty host, percent-encoding, a character no domain has, an
            invalid IDNA label, a last label that is a number but not a dotted-quad
            IPv4 address, or an invalid IPv6 literal (the message says which).
    """
    if not host:
        raise ValueError("it names no host")
    if "%" in host:
        raise ValueError(f"its host {host!r} is percent-encoded (or has an IPv6 zone), which parsers read "
                         "differently")
    if host.startswith("["):
        if not host.endswith("]"):
            raise ValueError(f"its host {host!r} is not a bracketed IPv6 address")
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError as exc:
            raise ValueError(f"its host {host!r} is not a valid IPv6 address: {exc}") from exc
    labels = host.lower().split(".")
    if host.isascii() and not any(label.startswith("xn--") for label in labels):
        name = host.lower()
        if not all(_ASCII_LABEL.match(label) for label in (labels[:-1] if name.endswith(".") else labels)):
            raise ValueError(f"its host {host!r} is not a domain name (letters, digits, '-' and '_' "
                             "in dot-separated labels)")
    else:
        try:
            name = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError) as exc:
            raise ValueError(f"its host {host!r} is not a valid internationalised domain name (IDNA: {exc})") \
                from exc
    last = name.rstrip(".").rsplit(".", 1)[-1]
    if _NUMERIC_LABEL.match(last):
        try:
            return str(ipaddress.IPv4Address(name))
        except ValueError as exc:
            raise ValueError(f"its host {host!r} ends in a number but is not a dotted-quad IPv4 address") \
                from exc
    return name


def split_host_port(authority: str) -> tuple[str, str | None]:
    """``host[:port]`` as ``(host, port digits or None)``; an IPv6 host keeps its brackets.

    Raises:
        ValueError: a port that is not ASCII digits, or more than one ``:`` outside brackets.
    """
    if authority.startswith("[") and "]" in authority:
        end = authority.index("]") + 1
        host, rest = authority[:end], authority[end:]
        if rest and not rest.startswith(":"):
            raise ValueError(f"{authority!r} has text after its IPv6 address")
        port = rest[1:] if rest else None
    else:
        host, sep, port_text = authority.partition(":")
        port = port_text if sep else None
    if port is not None and not _PORT.match(port):
        raise ValueError(f"its port {port!r} is not a number")
    if port and int(port) > 65535:
        raise ValueError(f"its port {port} is over 65535")
    return host, port


def http_origin(value: Any) -> Origin | None:
    """The origin of an http(s) URL by the rule in the module docstring, or None when
    ``value`` is not a string with an ``http`` or ``https`` scheme (such as ``urn:uuid:``).
    Whitespace around the URL is ignored.

    Raises:
        ValueError: an http(s) URL that breaks the rule; the message says how, for a
            caller to prefix with the field's name.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    m = _SCHEME.match(text)
    scheme = m.group(1).lower() if m else ""
    if scheme not in DEFAULT_PORTS:
        return None
    if bad := _CONTROL.search(text):
        what, how = ("a backslash", "a WHATWG parser reads it as '/'") if bad.group() == "\\" else \
            (f"the control character U+{ord(bad.group()):04X}", "a WHATWG parser drops tabs and line breaks")
        raise ValueError(f"{value!r} contains {what}, which no URL may (RFC 3986) and parsers read "
                         f"differently ({how})")
    rest = text[m.end():] if m else text
    if not rest.startswith("//") or rest.startswith("///"):
        raise ValueError(f"{value!r} is not '{scheme}://' followed by a host")
    authority = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
    if "@" in authority:
        raise ValueError(f"{value!r} has user information ('...@') before its host, the shape of a spoofed "
                         "URL; an Open Badges IRI never needs one")
    host, port = split_host_port(authority)
    return Origin(scheme, ascii_host(host), int(port) if port else DEFAULT_PORTS[scheme])


def allowed_origin(entry: Any) -> tuple[str, int | None]:
    """A ``verification.allowedOrigins`` entry as ``(ASCII host, port or None)``.

    OB 2.0 VerificationObject ``allowedOrigins``: "the host registered name
    subcomponent" (RFC 3986 section 3.2.2) of an allowed origin; 1EdTech's
    validator (``openbadges-validator-core``) compares it with the id's whole
    authority, so ``host:port`` is read too. No port means the default port of
    the compared URL's scheme.

    Raises:
        ValueError: not a string, or not ``host`` or ``host:port`` (a scheme, a path,
            user information or a host ``ascii_host`` refuses).
    """
    if not isinstance(entry, str) or not entry.strip():
        raise ValueError(f"{entry!r} is not a host name")
    text = entry.strip()
    if _CONTROL.search(text) or any(c in text for c in "/?#@"):
        raise ValueError(f"{entry!r} is not a host name or host:port (no scheme, path or user information)")
    host, port = split_host_port(text)
    return ascii_host(host), int(port) if port else None


def origin_allowed(origin: Origin, allowed: tuple[str, int | None]) -> bool:
    """Whether ``origin`` is on an allowed ``(host, port or None)``: the same ASCII host,
    and the same port, the scheme's default standing for a missing one."""
    host, port = allowed
    return origin.host == host and origin.port == (port if port is not None else DEFAULT_PORTS[origin.scheme])


def as_allowed(origin: Origin) -> tuple[str, int | None]:
    """An origin as the ``allowedOrigins`` entry it stands for (1EdTech's validator takes the
    issuer id's authority as the default): its host, and its port unless the default."""
    return origin.host, None if origin.port == DEFAULT_PORTS[origin.scheme] else origin.port


def normalised_iri(value: str) -> str:
    """An IRI as two spellings of the same one share it: an http(s) URL with its scheme in
    lower case and its ``Origin.authority`` (IDNA host, default port dropped), the rest as
    written; ``urn:uuid:`` in lower case; anything else (or a URL ``http_origin``
    refuses) stripped of surrounding whitespace."""
    text = value.strip()
    try:
        origin = http_origin(text)
    except ValueError:
        return text
    if origin is None:
        return text.lower() if text.lower().startswith("urn:uuid:") else text
    rest = text.split("//", 1)[1]
    tail = rest[len(re.split(r"[/?#]", rest, maxsplit=1)[0]):]
    return f"{origin.scheme}://{origin.authority}{tail or '/'}"


__all__ = ["DEFAULT_PORTS", "Origin", "allowed_origin", "as_allowed", "ascii_host", "http_origin",
           "normalised_iri", "origin_allowed", "split_host_port"]
