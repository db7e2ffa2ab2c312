"""What an offline evaluation reads (``colearn eval``): the sites of a ``--suite`` folder (a
folder or an archive per site), the one dump and site key of ``--data``/``--site``, and the
rows the evaluation makes of a planned site (its catalogue, its fallback badges, the spine).

The dumps are read and planned by ``ingest.stackexchange``; ``perf.offline_eval`` runs the
evaluation on what this module hands it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from colearn.data import bundled
from colearn.errors import InvalidInput
from colearn.ingest.spine import read_spine, spine_cell_rows
from colearn.ingest.stackexchange import (DUMP_NAMES, DUMP_WORDS, HOST_SUFFIXES, KEEP_ONE, SitePlan, archive_site,
                                          archive_suffix, badges_file, checked_site, dump_archives, find_dump,
                                          load_mapping, plan_stackexchange, site_key, skipped_archives)
from colearn.recommender.suite import Site
from colearn.text import quantity

#: The site ``colearn eval`` evaluates without ``--data`` or ``--site``.
DEFAULT_SITE = "martialarts"


def spine_cells() -> list[dict[str, Any]]:
    """The bundled spine's cells as flat rows (``SPINE_CELLS``-like: ``{"id", "layer", "domain", ...}``)."""
    return [{"id": c["id"], **c["props"]} for c in spine_cell_rows(read_spine())]


def se_catalogue(plan: SitePlan) -> list[dict[str, Any]]:
    """A Stack Exchange ``SitePlan``'s badges as ``BADGE_CATALOGUE``-like rows
    (``{"id", "name", "description", "cells", "themes", "destinations"}``; a badge's
    destinations are those its themes lead to)."""
    leads = {t["id"]: t["leads_to"] for t in plan.themes.values()}
    return [{"id": r["id"], "name": r["props"]["name"], "description": r["props"]["description"],
             "cells": [r["cell"]], "themes": list(r["themes"]),
             "destinations": sorted({d for t in r["themes"] for d in leads.get(t, ())})} for r in plan.badge_rows]


def fallback_rows(plan: SitePlan) -> list[dict[str, Any]]:
    """The badges of ``plan`` that the mapping's fallback rule placed (names it does not list):
    ``[{"name", "badge_id", "tier", "cell"}]``, by badge id."""
    return [{"name": r["props"]["name"], "badge_id": r["id"], "tier": r["props"]["tier"], "cell": r["cell"]}
            for r in plan.badge_rows if r["props"]["mapping_rule"] == "fallback"]


@dataclass
class SuiteInput:
    """A suite folder, read (``read_suite``).

    Attributes:
        sites: one ``suite.Site`` per site (folder or archive), sorted by site key.
        paths: ``{site key: the dump read}`` (a ``Badges.xml`` or an archive).
        fallbacks: ``{site key: fallback_rows}``.
        passed_over: what was not read although it looks like a dump, in words: only a loose
            archive whose site was read from its own folder (``"ai.stackexchange.com.7z (an
            archive; site ai was read from ai.stackexchange.com/)"``), or from another archive
            when no reader opens this one (zstd); anything else refuses the suite.
    """

    sites: list[Site]
    paths: dict[str, Path] = field(default_factory=dict)
    fallbacks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    passed_over: list[str] = field(default_factory=list)


def _unread(where: str, name: str, why: str) -> str:
    """A file a suite will not read, with what to do about it (``read_suite``'s refusal)."""
    path = f"{where}/{name}" if where else name
    if why == "an archive":
        into = where or "a folder named for its site, e.g. ai"
        return f"{path} (an archive: extract Badges.xml from it into {into})"
    if why == "not named Badges.xml":
        return f"{path} (not named Badges.xml: rename it to Badges.xml if it is the site's badge dump)"
    if why == "not inside a <site> folder":
        return f"{path} (not inside a <site> folder: move it into a folder named for its site, e.g. ai/)"
    return f"{path} ({why})"


def read_suite(folder: Path, mapping: Path | None = None) -> SuiteInput:
    """Every site of a suite folder, read and mapped: each ``<folder>/<site>/Badges.xml`` (or
    ``Badges.xml.gz``, the name in any letter case, or the one archive a site folder holds:
    ``ingest.stackexchange.find_dump``) and each site's archive at the top
    (``<folder>/beer.stackexchange.com.7z``, ``.zip``, ``.tar.xz``: ``dump_archives``) whose name
    names a site (``_site_named``: a host name or a known key; another archive there is refused).

    A site folder's name gives its key (``site_key``: ``ai.stackexchange.com`` is ``ai``), as an
    archive's name does without its suffix (``archive_site``: ``beer.stackexchange.com.7z`` is
    ``beer``); an archive of a key read from a folder (its source), or a zstd one of a key read
    from an archive, is passed over (listed in ``passed_over``). Hidden entries and
    folders holding nothing like a dump are passed over. Anything that looks like a dump but
    would not be read refuses the whole suite before anything is read (one error listing every
    such file and what to do): in a site folder without a readable dump, an archive no reader
    opens, another ``.xml`` file or a ``Badges.xml`` that is no file; two or more files that
    could each be a site's dump (``Badges.xml`` beside ``Badges.xml.gz`` or ``badges.xml``, two
    archives: none is read); at the top, a ``Badges.xml``, or a zstd archive whose site is not read.

    Returns:
        The sites (sorted by key), the file read for each, its fallback badges, and
        the archives passed over.

    Raises:
        InvalidInput: ``folder`` does not exist or is a file; something that looks like a dump
            would not be read (naming each file and what to do); no site under it; a folder or
            archive name that gives no site key, or two that give the same one (naming them); a
            dump (what an archive holds is looked at only here) or the mapping is refused.
    """
    root = Path(folder)
    if not root.exists():
        raise InvalidInput("no such folder", file=str(root))
    if root.is_file():
        raise InvalidInput("a file, not a folder of <site>/Badges.xml: evaluate one site with --data",
                           file=str(root))
    found: dict[str, Path] = {}
    unread: list[str] = []
    files = 0  # files not read: an item of ``unread`` may name several
    dump_names = {n.lower() for n in DUMP_NAMES}
    loose_read, loose_skipped = dump_archives(root), skipped_archives(root)
    for sub in sorted(root.iterdir()):
        if sub.name.startswith(".") or not sub.is_dir():
            if sub.name.lower() in dump_names:
                unread.append(_unread("", sub.name, "not inside a <site> folder"))
                files += 1
            continue
        dump, missed = find_dump(sub)
        for names, why in missed:
            if why == KEEP_ONE:  # one item for the folder, naming each file once
                unread.append(f"{' and '.join(f'{sub.name}/{n}' for n in names)} ({len(names)} files that could "
                              "each be the site's dump: keep one)")
            else:
                unread.append(_unread(sub.name, names[0], why))
            files += len(names)
        if dump is not None:
            _add_site(found, site_key(sub.name), dump, root)
    passed_over = []
    in_folders = set(found)
    for name in loose_read + loose_skipped:
        key = archive_site(name)
        if key in in_folders or (key in found and name in loose_skipped):
            passed_over.append(f"{name} (an archive; site {key} was read from {_source(found[key], root)})")
        elif name in loose_read and _site_named(name[:-len(archive_suffix(name))]) is not None:
            _add_site(found, key, root / name, root)
        else:  # zstd, or an archive not named for a site (notes.zip): refused before anything is read
            unread.append(_unread("", name, "an archive" if name in loose_skipped else
                                  "an archive whose name names no site: name it for its site, e.g. "
                                  "ai.stackexchange.com.7z, or move it out"))
            files += 1
    if unread:
        look, them = (("looks like a Stack Exchange dump", "it") if files == 1 else
                      ("look like Stack Exchange dumps", "them"))
        raise InvalidInput(f"{quantity(files, 'file')} that {look} would not be read, so "
                           f"no site was read: {'; '.join(unread)}. Fix {them}, or move {them} out of {folder}, "
                           "then run again", file=str(folder))
    if not found:
        raise InvalidInput(f"no site under {folder}: a site is a folder named for it holding its dump ({DUMP_WORDS}), "
                           "or the site's archive named for it (ai.stackexchange.com.7z)", file=str(folder))
    out = SuiteInput(sites=[], passed_over=passed_over)
    for key in sorted(found):
        plan = plan_stackexchange(found[key], key, mapping)
        out.sites.append(Site(name=key, awards=plan.awards(), catalogue=se_catalogue(plan)))
        out.paths[key], out.fallbacks[key] = found[key], fallback_rows(plan)
    return out


def _source(dump: Path, root: Path) -> str:
    """Where a suite's site was read from, as messages name it: ``ai/`` or ``ai.7z``."""
    return dump.name if dump.parent == root else f"{dump.parent.name}/"


def _add_site(found: dict[str, Path], key: str | None, dump: Path, root: Path) -> None:
    """``found[key] = dump``: a suite's site read from its folder or its archive (``read_suite``).

    Raises:
        InvalidInput: ``key`` is None (the name gives no site key) or already found (naming both).
    """
    what = "archive" if dump.parent == root else "folder"
    if key is None:
        raise InvalidInput(f"the {what} name '{_source(dump, root).rstrip('/')}' gives no Stack Exchange site key "
                           "(lower-case letters, digits, '.', '-', e.g. 'ai' or 'ai.stackexchange.com'): rename the "
                           f"{what}", file=str(dump))
    if key in found:
        raise InvalidInput(f"'{_source(found[key], root)}' and '{_source(dump, root)}' are both site '{key}'",
                           file=str(dump))
    found[key] = dump


def suite_sites(folder: Path, mapping: Path | None = None) -> list[Site]:
    """``read_suite(folder, mapping).sites``: every site of ``folder`` as a ``suite.Site``
    (sorted by site key; the folder's or archive's name gives the key).

    Raises:
        InvalidInput: see ``read_suite``.
    """
    return read_suite(folder, mapping).sites


def _bundled_sites() -> list[str]:
    """The keys of the bundled development suite's sites."""
    return sorted(p.parent.name for p in bundled("stackexchange").glob("*/Badges.xml"))


def data_site(data: Path | None, site: str | None) -> tuple[Path, str]:
    """The dump and the site key ``colearn eval`` evaluates.

    ``site`` is read as ``site_key`` reads a folder name (``AI`` and
    ``ai.stackexchange.com`` are ``ai``). Without ``data``: the bundled dump of
    ``site`` (default ``DEFAULT_SITE``). With ``data`` (a ``Badges.xml``,
    ``Badges.xml.gz``, a site's archive or a folder holding one): ``site`` if given,
    else the key the data's folder is named for, or its archive (first for an archive
    given as it is: ``beer.stackexchange.com.7z`` is ``beer``), when that name is a
    site's host name (``ai.stackexchange.com``, ``stackoverflow.com``) or a known key (a
    bundled site, or one the bundled mapping lists); any other name (``Downloads``)
    could label a site wrongly, so it asks for ``site``.

    Returns:
        ``(dump path, site key)``.

    Raises:
        InvalidInput: ``site`` is no site key, or not a bundled site (without
            ``data``); ``data`` does not exist, or is a folder without a dump; no ``site`` and
            neither the folder's nor the archive's name names a site (asking for one).
    """
    key = None if site is None else checked_site(site)
    if data is None:
        key = key or DEFAULT_SITE
        path = bundled("stackexchange", key, "Badges.xml")
        if not path.is_file():
            raise InvalidInput(f"'{key}' is not a bundled site ({', '.join(_bundled_sites())}); give its dump "
                               "with --data", field="site")
        return path, key
    path = badges_file(data)
    if not path.exists():
        raise InvalidInput("no such file", file=str(path))
    if key is not None:
        return path, key
    folder = Path(os.path.abspath(data if Path(data).is_dir() else path.parent))  # symlinked names kept
    suffix = archive_suffix(path.name)
    names = [folder.name, path.name[:-len(suffix)]] if suffix else [folder.name]
    for name in names if Path(data).is_dir() else names[::-1]:
        if (key := _site_named(name)) is not None:
            return path, key
    which = (f"neither the archive name '{path.name}' nor the folder name '{folder.name}' names a" if suffix else
             f"the folder name '{folder.name}' names no")
    raise InvalidInput(f"{which} Stack Exchange site: name the site with --site (e.g. --site ai), or name the folder "
                       "for it (e.g. ai.stackexchange.com)", file=str(path), field="site")


def _site_named(name: str) -> str | None:
    """The key of the site ``name`` (a folder's, or an archive's without its suffix) names: a host
    name (``ai.stackexchange.com``) or a known key (a bundled site, or one the bundled mapping
    lists); None for any other name (``Downloads``, ``notes``, ``stackoverflow.com-Badges``)."""
    key = site_key(name)
    if key is None or not (name.strip().lower().endswith(HOST_SUFFIXES) or key in {*_bundled_sites(),
                                                                                  *load_mapping().sites}):
        return None
    return key

