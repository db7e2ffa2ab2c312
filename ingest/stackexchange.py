"""Reader for a Stack Exchange data dump's ``Badges.xml`` -> graph writes.

Input: the ``Badges.xml`` of one site of the Stack Exchange public data dump,
one ``<row .../>`` per award with the attributes ``Id, UserId, Name, Date,
Class, TagBased`` (``Class``: 1 gold, 2 silver, 3 bronze; ``Date``: UTC
without a zone, e.g. ``2012-01-31T20:57:26.347``).

What it writes (ids are stable, so re-ingesting the same file changes nothing):

- the learning spine (``ingest_spine``, idempotent), and the themes the mapping
  uses with their ``LEADS_TO`` destinations;
- the site as an ``Organisation`` ``se-<site>``;
- each badge as a ``Badge`` that the site ``DEFINES``, ``ALIGNS_TO`` one spine
  cell and is ``IN_THEME`` of the mapping's themes. A general badge is
  ``se-<site>-<slug of name>`` (``stackexchange_mapping.slug``: ``#`` and ``+``
  spelled out, Unicode letters kept, a hash of the name where that would lose
  anything else). A tag badge is ``se-<site>-tag-<slug>-<tier>``:
  Stack Exchange gives the bronze, silver and gold badges of one tag the same
  name, and they sit on different cells, so the tier is part of the id (the
  ``tag-`` part keeps a tag called e.g. ``editor`` apart from the general
  badge ``Editor``);
- each ``UserId`` as a ``Learner`` ``se-<site>-<UserId>``;
- each row as an ``Assertion`` ``se-<site>-a<Id>`` (status ``accepted``,
  ``issued_on`` epoch seconds, ``source`` ``stackexchange``), 5,000 rows per
  ``UNWIND`` statement (``queries.merge_assertions(ASSERTION_PROPS)``).

Where each badge goes on the spine is data: ``data/stackexchange/mapping.yaml``
(see its comments for the reasoning). Tag badges follow the mapping's
``tag_badges`` rule (by class); a general badge missing from the mapping
follows its ``fallback`` rule (by class) with a logged warning, and is listed
in ``StackExchangeReport.fallbacks``.

The whole file and the mapping are validated before anything is written. Reading ``Badges.xml`` is ``stackexchange_xml``; the mapping and the
classification are ``stackexchange_mapping``.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from colearn.errors import InvalidInput
from colearn.graph import feed, queries
from colearn.graph.schema import AssertionStatus, Label, Rel
from colearn.graph.store import GraphStore
from colearn.ingest.common import IngestReport, first_per_id, write_batches
from colearn.ingest.spine import ingest_spine, read_spine
from colearn.ingest.stackexchange_mapping import (BadgePlan, BadgeRule, ByClass, ClassRule, SEMapping, SiteInfo,
                                                  SiteSpec, ThemeSpec, badge_id, classify, default_mapping_path,
                                                  load_mapping, site_info, slug)
from colearn.ingest.stackexchange_xml import (ARCHIVE_SUFFIXES, DUMP_NAMES, DUMP_WORDS, HOST_SUFFIXES, KEEP_ONE, TIERS, UNKNOWN_TIER,
                                              SEAward, SERow, archive_site, archive_suffix, badges_file, checked_site, dump_archives, find_dump,
                                              looks_like_tag, read_badges_xml, site_key, skipped_archives, tier_of)

# Reading Badges.xml and the mapping live in their own modules; their names stay
# importable from here.
__all__ = ["SOURCE", "TIERS", "UNKNOWN_TIER", "BadgePlan", "BadgeRule", "ByClass", "ClassRule", "SEAward", "SEMapping", "SERow", "SiteInfo", "SitePlan",
           "SiteSpec", "StackExchangeReport", "ThemeSpec", "ARCHIVE_SUFFIXES", "ASSERTION_PROPS", "DUMP_NAMES", "DUMP_WORDS", "HOST_SUFFIXES", "KEEP_ONE", "archive_site", "archive_suffix", "badge_id", "badges_file",
           "checked_site", "classify", "default_mapping_path", "dump_archives", "find_dump", "ingest_stackexchange", "load_mapping", "looks_like_tag", "plan_stackexchange", "read_badges_xml", "site_info", "site_key",
           "skipped_archives", "slug", "tier_of"]

log = logging.getLogger(__name__)

#: ``source`` property of everything this reader writes.
SOURCE = "stackexchange"
#: The properties of every assertion this reader writes (its rows' ``props``).
ASSERTION_PROPS = ("status", "issued_on", "source", "site", "se_id")


# --------------------------------------------------------------------------
# Ingest
# --------------------------------------------------------------------------


@dataclass
class StackExchangeReport(IngestReport):
    """``IngestReport`` plus the site key written and the general badge names placed by the fallback rule."""

    site: str = ""
    fallbacks: list[str] = field(default_factory=list)


def _theme_rows(mapping: SEMapping, site: SiteInfo) -> dict[str, dict[str, Any]]:
    fmt = {"site": site.key, "site_name": site.name, "subject": site.subject}
    out = {}
    for key, spec in mapping.themes.items():
        leads = site.leads_to if key == "site" else tuple(spec.leads_to)
        out[key] = {
            "id": spec.id.format(**fmt),
            "props": {"name": spec.name.format(**fmt), "kind": spec.kind,
                      "description": spec.description.format(**fmt).strip(), "source": SOURCE},
            "leads_to": list(leads),
        }
    return out


@dataclass
class SitePlan:
    """A validated Stack Exchange dump, ready to write (no store needed).

    Attributes:
        site: the site key.
        info: the site's name, URL and sector destinations.
        themes: theme rows by mapping key (``site``, ``civic``).
        badge_rows: ``[{"id", "props", "cell", "themes"}]``, sorted by id.
        assertion_rows: ``merge_assertions`` rows (their props: ``ASSERTION_PROPS``), in (``Date``,
            ``Id``) order (``read_badges_xml``'s).
        fallbacks: badge names placed by the fallback rule.
    """

    site: str
    info: SiteInfo
    themes: dict[str, dict[str, Any]]
    badge_rows: list[dict[str, Any]]
    assertion_rows: list[dict[str, Any]]
    fallbacks: list[str]

    def awards(self) -> list[tuple[str, str, int, int]]:
        """``(learner_id, badge_id, issued_on epoch s, order)`` per award: the evaluation's input.

        ``order`` is the award's 0-based place in (``Date``, ``Id``) order: the evaluation
        breaks ties of whole seconds by the award id (``awards.award_order_key``), so
        awards within one second keep the order of their ``Date``'s fraction, not of
        their ``Id``s (``issued_on`` drops the fraction)."""
        return [(r["learner_id"], r["badge_id"], r["props"]["issued_on"], i) for i, r in enumerate(self.assertion_rows)]

    def badge_cells(self) -> dict[str, list[str]]:
        """``{badge_id: [spine cell id]}``."""
        return {r["id"]: [r["cell"]] for r in self.badge_rows}


def plan_stackexchange(path: Path | str, site: str, mapping: Path | str | None = None) -> SitePlan:
    """Read, validate and map a site's ``Badges.xml`` without touching a store.

    Args:
        path: the site's ``Badges.xml`` (or ``Badges.xml.gz``, or the site's archive), or its folder.
        site: the site key, e.g. ``martialarts`` (``checked_site``: ``AI`` and
            ``ai.stackexchange.com`` are ``ai``).
        mapping: the badge mapping; default the bundled one.

    Returns:
        The ``SitePlan`` (its ``site`` the key as read): badges with their cells and themes, and the awards.

    Raises:
        InvalidInput: see ``read_badges_xml`` and ``load_mapping``; also when
            two badge names give the same badge id (naming the row where the second
            first appears, and the first's), or ``site`` is no site key (``checked_site``).
    """
    site = checked_site(site)
    spine = read_spine()
    plan = load_mapping(mapping, spine)
    awards = read_badges_xml(path, site, known_names=set(plan.badges))
    info = site_info(plan, site)

    # One Badge per general badge name, and per (tag, class) for tag badges. A
    # general badge's class is the one it is awarded with most often (it is
    # the same for every award in practice), counting only the rows that state
    # one: a row without Class (an older row of a dump) is no evidence.
    classes: dict[tuple[str, bool, int | None], Counter[int | None]] = {}
    first_row: dict[str, SEAward] = {}  # each name's first row in the file, named when two names collide
    for a in awards:
        key = (a.name, a.tag_based, a.badge_class if a.tag_based else None)
        classes.setdefault(key, Counter())[a.badge_class] += 1
        if a.name not in first_row or a.line < first_row[a.name].line:
            first_row[a.name] = a
    badge_of: dict[tuple[str, bool, int | None], str] = {}
    fallbacks: list[str] = []
    badge_rows: list[dict[str, Any]] = []
    seen_ids: dict[str, str] = {}
    themes = _theme_rows(plan, info)
    for (name, tag_based, _), counts in classes.items():
        stated = Counter({c: n for c, n in counts.items() if c is not None}) or counts
        cls = stated.most_common(1)[0][0]
        if not tag_based and len(stated) > 1:
            log.warning("badge '%s' on %s is awarded with several classes %s; using %s",
                        name, site, dict(stated), tier_of(cls))
        bid = badge_id(site, name, tag_based=tag_based, badge_class=cls)
        if bid in seen_ids and seen_ids[bid] != name:
            first = seen_ids[bid]
            one, other = ((f"'{first}'", f"'{name}'") if first.isascii() and name.isascii()
                          else (ascii(first), ascii(name)))  # look-alikes (accents, spaces) shown apart
            raise InvalidInput(f"badge names {one} and {other} both give the id '{bid}' (names that differ only in "
                               "letter case, spaces or punctuation anywhere, or '#'/'+' against 'sharp'/'plus', "
                               f"are one badge); {other} first appears on this row, {one} on "
                               f"{first_row[first].record}",
                               file=str(badges_file(path)), record=first_row[name].record, field="Name")
        seen_ids[bid] = name
        for c in counts:
            badge_of[(name, tag_based, c)] = bid
        decided = classify(plan, info, name, tag_based=tag_based, badge_class=cls)
        if decided.rule == "fallback":
            fallbacks.append(name)
        badge_rows.append({
            "id": bid,
            "props": {"name": name, "description": decided.description, "source": SOURCE, "site": site,
                      "tag_based": tag_based, "badge_class": cls or 0, "tier": tier_of(cls),
                      "mapping_rule": decided.rule},
            "cell": decided.cell,
            "themes": [themes[t]["id"] for t in decided.themes],
        })
    badge_rows.sort(key=lambda r: r["id"])

    org_id = f"se-{site}"
    learner_props = {"source": SOURCE, "site": site}
    assertion_rows = [{
        "id": f"se-{site}-a{a.row_id}",
        "organisation_id": org_id,
        "badge_id": badge_of[(a.name, a.tag_based, a.badge_class)],
        "learner_id": a.learner_id,
        "learner_props": {**learner_props, "se_user_id": a.user_id},
        "props": {"status": str(AssertionStatus.ACCEPTED), "issued_on": int(a.awarded_on.timestamp()),
                  "source": SOURCE, "site": site, "se_id": a.row_id},
    } for a in awards]

    return SitePlan(site=site, info=info, themes=themes, badge_rows=badge_rows,
                    assertion_rows=assertion_rows, fallbacks=fallbacks)


def ingest_stackexchange(store: GraphStore, path: Path | str, site: str,
                         mapping: Path | str | None = None) -> StackExchangeReport:
    """Write a site's ``Badges.xml`` into the graph (idempotent).

    Validates the whole file and the mapping first; writes nothing if either
    is bad. Then writes the spine, the themes, the site, its badges, learners
    and assertions (see the module docstring for ids and shapes), the
    assertions 5,000 per ``UNWIND`` statement with a progress bar on long
    inputs. Running it twice leaves the same graph.

    Args:
        store: the graph.
        path: the site's ``Badges.xml`` (or ``Badges.xml.gz``, or the site's archive), or its folder.
        site: the site key, e.g. ``martialarts`` (read as ``checked_site`` reads it).
        mapping: the badge mapping; default the bundled
            ``data/stackexchange/mapping.yaml``.

    Returns:
        Rows written per label (``Theme``, ``Organisation``, ``Badge``,
        ``Learner``, ``Assertion``), the site key as read (``site``) and the names
        the fallback rule placed.

    Raises:
        InvalidInput: see ``read_badges_xml`` and ``load_mapping``; also when
            two badge names give the same badge id, or ``site`` is no site key.
        StoreUnavailable: the store cannot be reached.
    """
    plan = plan_stackexchange(path, site, mapping)
    site = plan.site
    info, themes, badge_rows = plan.info, plan.themes, plan.badge_rows
    org_id = f"se-{site}"
    report = StackExchangeReport(source=str(path), site=site)
    report.fallbacks.extend(plan.fallbacks)

    # ---- writes (everything above is validated) ----
    ingest_spine(store)
    theme_rows = list(themes.values())
    report.add(Label.THEME, write_batches(store, queries.merge_nodes(Label.THEME),
                                          [{"id": t["id"], "props": t["props"]} for t in theme_rows],
                                          label=str(Label.THEME), record=feed.CATALOGUE))
    write_batches(store, queries.set_links(Label.THEME, Rel.LEADS_TO, Label.DESTINATION),
                  [{"id": t["id"], "targets": [{"id": d, "props": {}} for d in t["leads_to"]]}
                   for t in theme_rows])
    report.add(Label.ORGANISATION, write_batches(store, queries.merge_nodes(Label.ORGANISATION), [{
        "id": org_id, "props": {"name": info.name, "url": info.url, "source": SOURCE, "site": site}}]))
    report.add(Label.BADGE, write_batches(store, queries.merge_nodes(Label.BADGE),
                                          [{"id": r["id"], "props": r["props"]} for r in badge_rows],
                                          label=str(Label.BADGE), record=feed.CATALOGUE))
    write_batches(store, queries.set_links(Label.BADGE, Rel.DEFINES, Label.ORGANISATION, outgoing=False),
                  [{"id": r["id"], "targets": [{"id": org_id, "props": {}}]} for r in badge_rows])
    write_batches(store, queries.set_links(Label.BADGE, Rel.ALIGNS_TO, Label.SPINE_CELL),
                  [{"id": r["id"], "targets": [{"id": r["cell"], "props": {}}]} for r in badge_rows])
    write_batches(store, queries.set_links(Label.BADGE, Rel.IN_THEME, Label.THEME),
                  [{"id": r["id"], "targets": [{"id": t, "props": {}} for t in r["themes"]]}
                   for r in badge_rows], label=str(Label.BADGE), record=feed.CATALOGUE)
    report.add(Label.ASSERTION, write_batches(store, queries.merge_assertions(ASSERTION_PROPS),
                                              first_per_id(plan.assertion_rows),
                                              label=f"{site} awards", record=feed.AWARDS,
                                              batch_params=queries.assertion_groups))
    report.add(Label.LEARNER, len({r["learner_id"] for r in plan.assertion_rows}))
    return report
