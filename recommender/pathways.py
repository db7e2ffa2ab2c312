"""Pathways for a learner: interest pathways built on the badge graph, and recommended pathways scored.

Interest pathway (``interest_pathway``): from what the learner holds to a
target (spine cells, themes, destinations and/or free text). For every target
domain, the steps are the layers above the highest one the learner reached
there, up to the target layer, in order ("layers, not levels": a layer no
badge of the target fits is skipped, except the target layer itself). The
badge for each step is chosen by a shortest path with networkx (a small graph:
one node per candidate badge) where entering a badge costs ``1 - fit`` (its
theme, destination and text fit to the target, each in ``[0, 1]``, averaged
over what was stated) plus ``THEME_SWITCH`` when it shares no theme with the
step before; ties go to the badge an opportunity awards, then the more held,
then the id. The steps of all target domains are merged in spine order
(``networkx.lexicographical_topological_sort`` on the precedence graph, key
layer then domain). Completion badges of pathways (of any status) are never
steps (they are awarded for finishing a pathway: ``learner_interest_pathway``
leaves them out). With no step, the answer says why (``InterestPathway.detail``):
the learner already reached the target's layer in each of its domains (e.g. a
theme whose badges stop below the layer they reached), or no badge they do not
hold fits it.

Recommended pathways (``score_pathways``): a step is met when the learner
holds at least ``required`` of its badges; ``progress = met / steps`` over the
non-optional steps; the next step is the first unmet non-optional one;
``readiness`` is 1 when a badge of the next step is at the first layer of its
domain or the learner holds a badge one layer below it in that domain, 0.5
when they are active in that domain lower down, else 0; ``fit`` is the mean
of destination fit (1 when the pathway leads to a stated destination, else the
share of the learner's badges leading there), theme fit (the mean theme fit
of the pathway's badges) and, when free text is stated, text fit (the cosine
of the text to the pathway's title and description in the text signal's
model, 0 unless above the model's ``text.MIN_MATCH``, as for "what next"
reasons; ``TextSimilarity.matches``), each counted only when it says something:
destination and theme fit when some are stated or badges are held (for someone
holding none and stating none they would be a meaningless 0 that halves the
others), text fit when text is stated; 0 with none. The score is ``W_FIT·fit + W_PROGRESS·progress +
W_READY·readiness``; a pathway the learner can still complete ranks before
every other (completed, or with a step they can no longer meet).

A badge the learner can never earn (``never``: a completion badge whose completion was
already made for them, then revoked, declined, withdrawn or expired; ``completions.never_earnable``)
meets no step, by the rule ``GET /me/pathways`` applies too (``progress``): it is left out
of every step's badges. A step it leaves with fewer badges than it requires can no longer
be met: it is never the next step (the first unmet step that can still be met) and is
listed in ``ScoredPathway.blocked`` with why; a next step that lost some of its badges says
which and why (its ``detail``). A pathway whose own completion was spent for the learner
(``completions.completion_limits``) can no longer award them its badge: it says so
(``ScoredPathway.completion_detail``) and ranks with those they can no longer complete.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from colearn.errors import InvalidInput
from colearn.graph.enrolments import published_pathways, required_steps
from colearn.recommender import progress as steps_progress
from colearn.recommender.completions import completion_badge_ids, completion_limits
from colearn.recommender.opportunities import Reach, step_opportunities, step_rule
from colearn.recommender.signals import Interests, Profile

#: Cost added when a step shares no theme with the step before it.
THEME_SWITCH = 0.25
#: Weights of a recommended pathway's score (fit and progress alike, readiness half).
W_FIT, W_PROGRESS, W_READY = 0.4, 0.4, 0.2


@dataclass
class PathwayStep:
    """One step of an interest pathway.

    Attributes:
        badge_id, name: the badge to earn.
        cell: the spine cell this step climbs to (``skills.demonstration``).
        reasons: why this badge, in plain words.
        opportunities: ``BADGE_OPPORTUNITIES`` rows that award it.
    """

    badge_id: str
    name: str
    cell: str
    reasons: list[str] = field(default_factory=list)
    opportunities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class InterestPathway:
    """An interest pathway: its steps, and why it has none when it has none.

    Attributes:
        steps: in spine order.
        detail: ``None`` with steps; else why there are none, in plain words (the
            learner is already at or above every layer the target reaches, or no
            badge they do not hold fits it).
    """

    steps: list[PathwayStep]
    detail: str | None = None


@dataclass
class ScoredPathway:
    """A recommended pathway scored for one learner.

    Attributes:
        pathway_id, title, destination, description: the pathway.
        score: ``W_FIT·fit + W_PROGRESS·progress + W_READY·readiness``.
        fit, progress, readiness: each in ``[0, 1]``.
        steps_met, steps_total: non-optional steps met and in all.
        next_step: ``{"index", "title", "badges", "named_badges", "required", "rule",
            "opportunities", "detail"}`` for the first unmet step that can still be met, or
            ``None`` when there is none (``named_badges``: ``[{badge_id, name}]`` in the
            order of ``badges``; ``badges`` leaves out those the learner can never earn);
            ``rule`` reads the step's requirement (``opportunities.step_rule``: "any 1 of
            A or B", "both A and B"); ``opportunities`` are filled by ``learner_pathways`` and ``visitor_pathways``
            (each once, with ``badge_ids``);
            ``detail``: ``None``, or which of the step's badges were left out and why.
        reasons: plain sentences with the counts behind the score.
        blocked: ``[{"index", "title", "detail"}]``: the unmet non-optional steps the
            learner can no longer meet (1-based ``index``), each with why in plain words.
        completion_detail: ``None``, or why the pathway can no longer award the learner its
            completion badge (its completion was made for them, then revoked, declined or
            withdrawn: ``progress.completion_detail``).
    """

    pathway_id: str
    title: str
    destination: str | None
    score: float
    fit: float
    progress: float
    readiness: float
    steps_met: int
    steps_total: int
    next_step: dict[str, Any] | None
    reasons: list[str]
    blocked: list[dict[str, Any]] = field(default_factory=list)
    completion_detail: str | None = None
    description: str | None = None


def _fit(rec: Any, profile: Profile) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Mean fit to the stated target (float64 ``[n_badges]``) and each part."""
    interests = profile.interests
    parts = {}
    if interests.themes:
        parts["theme_fit"] = rec.signals_["theme_fit"].score(profile)
    if interests.destinations:
        parts["destination_fit"] = rec.signals_["destination_fit"].score(profile)
    if interests.text.strip():
        parts["text"] = rec.signals_["text"].score(profile)
    n = rec.projection_.n_badges
    if not parts:
        return np.zeros(n), parts
    return sum(parts.values(), np.zeros(n)) / len(parts), parts


#: Why an interest pathway's empty target is refused.
EMPTY_TARGET = "the target needs spine cells, themes, a destination or free text"


def interest_pathway(rec: Any, profile: Profile, *, exclude: Sequence[str] = (),
                     opportunities: Mapping[str, list[dict[str, Any]]] | None = None) -> InterestPathway:
    """The ordered steps from what ``profile`` holds to ``profile.interests`` (see the module docstring).

    Args:
        rec: a fitted ``Recommender`` (its projection and its ``theme_fit``,
            ``destination_fit`` and ``text`` signals).
        profile: held badges and the target as ``interests`` (``cells``,
            ``themes``, ``destinations``, ``text``).
        exclude: badge ids never to use as steps (pathway completion badges).
        opportunities: ``{badge_id: [opportunity rows]}``; steps with one are preferred on ties.

    Returns:
        The steps, in spine order; none, with a ``detail`` saying why, when the
        learner already reached (or passed) the target's layer in each of its
        domains, or no badge they do not hold fits it.

    Raises:
        InvalidInput: the target is empty or names an unknown spine cell.
    """
    target = profile.interests
    if target.is_empty:
        raise InvalidInput(EMPTY_TARGET)
    p = rec.projection_
    opps = opportunities or {}
    fit, parts = _fit(rec, profile)
    info = {c.id: c for c in p.cell_info}
    for c in target.cells:
        if c not in info:
            raise InvalidInput(f"'{c}' is not a spine cell ({', '.join(info)})")
    held = set(profile.held.tolist())
    banned = {p.badges.get(b) for b in exclude} - {None}
    cells_of = [[p.cells.id(int(c)) for c in p.cells_of(b)] for b in range(p.n_badges)]
    themes = [set(np.flatnonzero(rec.signals_["theme_fit"].matrix_[b]).tolist()) for b in range(p.n_badges)]
    holders = rec.signals_["popularity"].holders_

    # the target cells: given, or those of the best-fitting badge on the highest layer any fitting badge has
    goal_cells = list(target.cells)
    if not goal_cells:
        fitting = [b for b in range(p.n_badges) if fit[b] > 0 and b not in held and b not in banned]
        if not fitting:
            return InterestPathway([], NO_FITTING_BADGE)
        top = max(max(info[c].layer_rank for c in cells_of[b]) for b in fitting if cells_of[b])
        best = min((b for b in fitting if any(info[c].layer_rank == top for c in cells_of[b])),
                   key=lambda b: (-fit[b], -len(opps.get(p.badges.id(b), [])), -holders[b], p.badges.id(b)))
        goal_cells = [c for c in cells_of[best] if info[c].layer_rank == top]

    reached: dict[str, int] = {}
    for b in held:
        for c in cells_of[b]:
            reached[info[c].domain] = max(reached.get(info[c].domain, -1), info[c].layer_rank)
    layers = sorted({(c.layer_rank, c.layer) for c in p.cell_info})
    chosen: dict[int, str] = {}  # badge column -> the cell it is the step for
    for goal in goal_cells:
        g = info[goal]
        graph = nx.DiGraph()
        graph.add_node("start")
        previous = ["start"]
        for rank, layer in layers:
            if rank <= reached.get(g.domain, -1) or rank > g.layer_rank:
                continue
            cell = f"{g.domain}.{layer}"
            cands = [b for b in range(p.n_badges) if cell in cells_of[b] and b not in held and b not in banned]
            if rank < g.layer_rank:
                cands = [b for b in cands if fit[b] > 0]
            if not cands:
                continue
            for b in cands:
                for u in previous:
                    switch = 0.0 if u == "start" or themes[u] & themes[b] else THEME_SWITCH
                    tie = 1e-3 * (0 if opps.get(p.badges.id(b)) else 1) + 1e-6 / (1 + holders[b])
                    graph.add_edge(u, b, weight=1.0 - fit[b] + switch + tie, cell=cell)
            previous = cands
        if previous == ["start"]:
            continue
        for u in previous:
            graph.add_edge(u, "goal", weight=0.0)
        path = nx.shortest_path(graph, "start", "goal", weight="weight")
        for u, v in zip(path[:-2], path[1:-1]):
            chosen.setdefault(v, graph.edges[u, v]["cell"])

    order = nx.DiGraph()
    order.add_nodes_from(chosen)
    by_domain: dict[str, list[int]] = {}
    for b, cell in chosen.items():
        by_domain.setdefault(info[cell].domain, []).append(b)
    for steps in by_domain.values():
        steps.sort(key=lambda b: info[chosen[b]].layer_rank)
        order.add_edges_from(zip(steps, steps[1:]))
    sequence = list(nx.lexicographical_topological_sort(
        order, key=lambda b: (info[chosen[b]].layer_rank, info[chosen[b]].domain_rank, p.badges.id(b))))

    out = []
    prev_layer = {d: reached.get(d, -1) for d in by_domain}
    for b in sequence:
        c = info[chosen[b]]
        frm = next((lay for r, lay in layers if r == prev_layer[c.domain]), None)
        climb = f"{c.domain_label}: {frm} -> {c.layer}" if frm else f"{c.domain_label}: starts at {c.layer}"
        prev_layer[c.domain] = c.layer_rank
        reasons = [climb]
        for name in parts:
            r = rec.signals_[name].explain(profile, b)
            if r is not None:
                reasons.append(r)
        rows = list(opps.get(p.badges.id(b), []))
        if rows:
            issuer = rows[0].get("issuer_name") or rows[0].get("issuer_id")  # the badge's issuer, not the opportunity
            reasons.append((f"Awarded by {issuer}, through " if issuer else "Awarded through ")
                           + f"{rows[0].get('name') or rows[0]['id']}"
                           + (f" and {len(rows) - 1} more" if len(rows) > 1 else ""))
        out.append(PathwayStep(badge_id=p.badges.id(b), name=p.badge_names[b], cell=c.id, reasons=reasons,
                               opportunities=rows))
    if out:
        return InterestPathway(out)
    return InterestPathway([], _no_steps([info[g] for g in goal_cells], reached, layers, given=bool(target.cells)))


#: ``InterestPathway.detail`` when no badge the learner does not hold fits the target.
NO_FITTING_BADGE = "No steps: no badge you do not hold yet fits this target."


def _no_steps(goals: Sequence[Any], reached: Mapping[str, int], layers: Sequence[tuple[int, str]], *,
              given: bool) -> str:
    """Why an interest pathway to the ``goals`` cells (``SpineCell``; ``given``: named in the
    target, else the highest layer its fitting badges reach) has no step, goal by goal."""
    parts = []
    for g in goals:
        domain = g.domain_label.lower()
        mine = reached.get(g.domain, -1)
        if mine >= g.layer_rank:
            have = next(lay for r, lay in layers if r == mine)
            parts.append(f"you have reached {domain}: {have}, at or above the target {domain}: {g.layer}" if given
                         else f"the badges that fit this target reach {domain}: {g.layer} at most, and you have "
                              f"reached {domain}: {have}")
        else:
            parts.append(f"no badge you do not hold yet fits {domain}: {g.layer}")
    return "No steps: " + "; ".join(parts) + "."


def pathway_text(pathway: Mapping[str, Any]) -> str:
    """What stated free text is matched against for a recommended pathway: its title and description."""
    return ". ".join(t for t in (pathway.get("title"), pathway.get("description")) if t)


def score_pathways(rec: Any, profile: Profile, pathways: Sequence[Mapping[str, Any]],
                   held_ids: set[str] | None = None,
                   never: Mapping[str, Sequence[str]] | None = None,
                   spent: Collection[str] = ()) -> list[ScoredPathway]:
    """Rank recommended pathways for a learner (see the module docstring).

    Args:
        rec: a fitted ``Recommender``.
        profile: held badges and stated interests.
        pathways: ``PATHWAY_PAGE`` records (``id``, ``title``, ``destination``,
            ``steps: [{title, required, optional, badges}]``).
        held_ids: the ids of the badges held, counted for the steps met; default those
            of ``profile`` (which leaves out badges the model was built without).
        never: ``{badge_id: (pathway title, ...)}``: the badges the learner can never earn
            and the pathways whose completion made them (``completions.never_earnable``).
        spent: the ids of the pathways whose own completion was spent for the learner
            (``completions.completion_limits``).

    Returns:
        Best first: those the learner can still complete by score, then the others
        (completed, with a step they can no longer meet, or whose completion was spent);
        ties by pathway id.
    """
    p = rec.projection_
    never = never or {}

    def name(b: str) -> str:
        return p.badge_names[p.badges.get(b)] if p.badges.get(b) is not None else b

    if held_ids is None:
        held_ids = {p.badges.id(int(b)) for b in profile.held}
    theme_fit = rec.signals_["theme_fit"].score(profile)
    themes_stated = rec.signals_["theme_fit"]._pref(profile)[1]
    holds = len(profile.held) > 0
    dest_signal = rec.signals_["destination_fit"]
    pref, stated = dest_signal._pref(profile)
    reached: dict[str, int] = {}
    for b in profile.held:
        for c in p.cells_of(int(b)):
            cell = p.cell_info[int(c)]
            reached[cell.domain] = max(reached.get(cell.domain, -1), cell.layer_rank)
    min_rank = min((c.layer_rank for c in p.cell_info), default=0)
    stated_text = bool(profile.interests.text.strip())
    text_signal = rec.signals_["text"]
    text_fits = text_signal.matches(profile, [pathway_text(pw) for pw in pathways]) if stated_text else None
    scored = []
    for n_pw, pw in enumerate(pathways):
        done = steps_progress.progress(pw, held_ids, never)
        steps, met, earnable, nxt = done.steps, done.met, done.earnable, done.next
        total = len(steps)
        progress = sum(met) / total if total else 0.0
        readiness, ready_note = 0.0, ""
        if nxt is not None:
            for bid in earnable[nxt]:
                col = p.badges.get(bid)
                for c in ([] if col is None else [p.cell_info[int(x)] for x in p.cells_of(col)]):
                    r = reached.get(c.domain, -1)
                    value = 1.0 if c.layer_rank == min_rank or r >= c.layer_rank - 1 else 0.5 if r >= 0 else 0.0
                    if value > readiness:
                        readiness = value
                        ready_note = (f"the next step starts the {c.domain_label.lower()} spine" if c.layer_rank == min_rank
                                      else f"you have reached {c.domain_label.lower()}: "
                                           f"{next(x.layer for x in p.cell_info if x.domain == c.domain and x.layer_rank == r)}"
                                      if r >= 0 else "")
        dest = pw.get("destination")
        d = p.destinations.get(dest) if dest else None
        dest_fit = float(pref[d]) if d is not None else 0.0
        cols = [p.badges.get(b) for s in pw.get("steps") or [] for b in s["badges"]]
        cols = [c for c in cols if c is not None]
        theme = float(np.mean(theme_fit[cols])) if cols else 0.0
        text = float(text_fits[n_pw]) if text_fits is not None else 0.0
        facets = [v for v, says in ((dest_fit, stated or holds), (theme, themes_stated or holds),
                                    (text, stated_text)) if says]
        fit = sum(facets) / len(facets) if facets else 0.0
        score = W_FIT * fit + W_PROGRESS * progress + W_READY * readiness
        reasons = [f"{sum(met)} of {total} step{'s' * (total != 1)} met"]  # "1 of 1 step met", "2 of 3 steps met"
        if dest_fit > 0 and d is not None:
            reasons.append(dest_signal._phrase(dest_signal.axis_names_[d], stated,
                                               round(dest_fit * len(profile.held)), len(profile.held)))
        if theme > 0:
            reasons.append(f"Its badges fit your themes ({theme:.0%})")
        if text > 0:
            reasons.append(text_signal.match_reason(profile))
        next_step = None
        if nxt is not None:
            s = steps[nxt]
            names = [name(b) for b in earnable[nxt]]
            rule = step_rule(names, int(s.get("required") or 1))
            next_step = {"index": done.index[nxt], "title": s.get("title"), "badges": list(earnable[nxt]),
                         "named_badges": [{"badge_id": b, "name": n if p.badges.get(b) is not None else None}
                                          for b, n in zip(earnable[nxt], names)],
                         "required": int(s.get("required") or 1), "rule": rule, "opportunities": [],
                         "detail": steps_progress.next_detail(done, never, name)}
            reasons.append(f"Next: {s.get('title')} ({rule})"
                           + (f"; within reach: {ready_note}" if readiness >= 1 and ready_note else ""))
        scored.append(ScoredPathway(
            pathway_id=pw["id"], title=pw.get("title") or pw["id"], destination=dest, score=round(score, 6),
            fit=fit, progress=progress, readiness=readiness, steps_met=sum(met), steps_total=total,
            next_step=next_step, reasons=reasons, blocked=steps_progress.blocked(done, never, name),
            completion_detail=steps_progress.completion_detail(pw, spent, name), description=pw.get("description")))
    return sorted(scored, key=lambda s: (s.next_step is None or bool(s.blocked) or s.completion_detail is not None,
                                         -s.score, s.pathway_id))


def interests_from(themes: Sequence[str] = (), destinations: Sequence[str] = (), text: str = "",
                   cells: Sequence[str] = ()) -> Interests:
    """An ``Interests`` from request fields (duplicates dropped, order kept)."""
    return Interests(themes=tuple(dict.fromkeys(themes)), destinations=tuple(dict.fromkeys(destinations)),
                     text=text or "", cells=tuple(dict.fromkeys(cells)))


# ---------------------------------------------------------------------------
# Reading what the two operations need from the graph
# ---------------------------------------------------------------------------


def learner_pathways(rec: Any, learner_id: str, interests: Interests | None = None,
                     reach: Reach | None = None) -> list[ScoredPathway]:
    """``score_pathways`` for a learner's live portfolio and the graph's published
    pathways, each next step with the current opportunities (not ended; within
    ``reach``) of its badges, each listed once with the step's badges it awards
    (``opportunities.step_opportunities``: ``badge_ids``, and ``badge_id`` the first of
    them); a step's badge the learner can never earn (``completions.never_earnable``)
    meets no step, and a pathway whose own completion was spent for the learner
    (``completions.completion_limits``) says so.

    Raises:
        NotFound: unknown learner.
    """
    profile, held_ids = rec.live_portfolio(learner_id, interests)
    pathways = published_pathways(rec.store_)
    never, spent = completion_limits(rec.store_, learner_id, held_ids,
                                     {b for pw in pathways for s in required_steps(pw) for b in s["badges"]},
                                     pathways, getattr(rec, "pathways_", None))
    return _with_opportunities(rec, score_pathways(rec, profile, pathways, held_ids, never, spent), reach)


def visitor_pathways(rec: Any, interests: Interests, reach: Reach | None = None,
                     limit: int = 10) -> list[ScoredPathway]:
    """The best ``limit`` of the graph's published pathways for someone who holds no badge
    and states ``interests``: ``score_pathways`` of an empty portfolio, so progress is 0 and
    the score is ``W_FIT·fit + W_READY·readiness`` (fit over what was stated; readiness 1 when
    the first step starts a spine domain), each first step with its current opportunities
    within ``reach``, as ``learner_pathways``. The first reason counts the required steps
    ("4 steps", "4 steps and 1 optional") instead of the steps met."""
    pathways = published_pathways(rec.store_)
    optional = {pw["id"]: sum(1 for s in pw.get("steps") or [] if s.get("optional")) for pw in pathways}
    scored = score_pathways(rec, Profile.of([], interests=interests), pathways, set())[:limit]
    for s in scored:
        extra = optional.get(s.pathway_id, 0)
        s.reasons[0] = f"{s.steps_total} step{'s' * (s.steps_total != 1)}" + (f" and {extra} optional" if extra else "")
    return _with_opportunities(rec, scored, reach)


def _with_opportunities(rec: Any, scored: list[ScoredPathway], reach: Reach | None) -> list[ScoredPathway]:
    """``scored``, each next step given the current opportunities (within ``reach``) of its
    badges, each once with the step's badges it awards (``opportunities.step_opportunities``)."""
    opps = rec.opportunities(sorted({b for s in scored if s.next_step for b in s.next_step["badges"]}), reach)
    for s in scored:
        if s.next_step:
            s.next_step["opportunities"] = step_opportunities(s.next_step["badges"], opps)
    return scored


def learner_interest_pathway(rec: Any, learner_id: str, target: Interests) -> InterestPathway:
    """``interest_pathway`` for a learner's live portfolio, with the opportunities that award each step.
    No step is a pathway's completion badge (of any pathway, whatever its status:
    ``completions.completion_badge_ids``) nor a badge awarded to the learner that awaits their answer.

    Raises:
        NotFound: unknown learner.
        InvalidInput: see ``interest_pathway``.
    """
    profile, awaiting = rec.live_profile_and_awaiting(learner_id, target)
    exclude = sorted(completion_badge_ids(rec.store_, getattr(rec, "pathways_", None)))
    exclude += [rec.badges.id(c) for c in sorted(awaiting)]  # awarded, awaiting the learner's answer
    opps = rec.opportunities(list(rec.badges.ids))
    return interest_pathway(rec, profile, exclude=exclude, opportunities=opps)
