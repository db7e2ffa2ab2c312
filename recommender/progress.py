"""How far a learner is along a pathway, by one rule for every answer that says so: the
scored pathways (``GET /learners/{id}/pathways``: ``pathways.score_pathways``) and the
pathways the learner started (``GET /me/pathways``: ``my_pathways``).

A step is met by any ``required`` (default 1) of its badges (``graph.enrolments.step_met``).
A badge the learner can never earn (``never``: ``completions.never_earnable``, a completion
badge whose completion was already made for them, then revoked, declined, withdrawn or expired) meets
no step: it is left out of every step's badges. A step it leaves with fewer badges than it
requires can no longer be met: it is never the next step (the first unmet step that can
still be met) and is listed as blocked, with why (``blocked``); a next step that lost some
of its badges says which and why (``next_detail``). A pathway whose own completion was spent
for the learner (``completions.completion_limits``) can no longer award its completion badge
to them, whatever steps they meet: the answer says so (``completion_detail``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from colearn.graph import enrolments
from colearn.recommender.completions import KeptPathways, completion_limits

#: Why a completion cannot be made again, as every answer words it.
ONCE = "was already made, then revoked, declined, withdrawn or expired, and a completion is made only once"

Never = Mapping[str, Sequence[str]]
Namer = Callable[[str], str]


@dataclass(frozen=True)
class Progress:
    """One pathway's non-optional steps as they stand for one learner.

    Attributes:
        steps: the non-optional steps, in order (``enrolments.required_steps``).
        index: each one's 1-based position among all the pathway's steps.
        met: each one met by the badges held.
        earnable: each one's badges less those the learner can never earn.
        left_out: each one's badges the learner can never earn.
        dead: each one unmet and no longer possible to meet (fewer ``earnable`` than required).
        next: the position in ``steps`` of the first unmet step that can still be met, or None.
    """

    steps: list[Mapping[str, Any]]
    index: list[int]
    met: list[bool]
    earnable: list[list[str]]
    left_out: list[list[str]]
    dead: list[bool]
    next: int | None


def progress(pathway: Mapping[str, Any], held: Collection[str], never: Never) -> Progress:
    """``pathway``'s non-optional steps for a learner holding ``held`` who can never earn the
    badges of ``never`` (see the module docstring)."""
    numbered = enrolments.numbered_steps(pathway)
    index, steps = [n for n, _ in numbered], [s for _, s in numbered]
    met = [enrolments.step_met(s, held) for s in steps]
    earnable = [[b for b in s.get("badges") or [] if b not in never] for s in steps]
    left_out = [[b for b in s.get("badges") or [] if b in never] for s in steps]
    dead = [not m and len(e) < int(s.get("required") or 1) for m, e, s in zip(met, earnable, steps)]
    nxt = next((i for i, m in enumerate(met) if not m and not dead[i]), None)
    return Progress(steps, index, met, earnable, left_out, dead, nxt)


def never_note(left_out: Sequence[str], never: Never, name: Namer) -> str:
    """Why each of ``left_out`` (badge ids in ``never``) can no longer be earned, in plain words."""
    return "; ".join(f"{name(b)} can no longer be earned: your completion of the pathway "
                     f"{' or '.join(never[b])} {ONCE}" for b in left_out)


def blocked(done: Progress, never: Never, name: Namer) -> list[dict[str, Any]]:
    """``[{index, title, detail}]``: the steps of ``done`` the learner can no longer meet
    (``index`` 1-based among all the pathway's steps), each with why in plain words."""
    return [{"index": n, "title": s.get("title"), "detail": f"This step can no longer be met: "
                                                            f"{never_note(out, never, name)}."}
            for n, s, d, out in zip(done.index, done.steps, done.dead, done.left_out) if d]


def next_detail(done: Progress, never: Never, name: Namer) -> str | None:
    """Which of the next step's badges are left out and why; None when none is (or no next step)."""
    out = [] if done.next is None else done.left_out[done.next]
    return f"Not offered: {never_note(out, never, name)}." if out else None


def completion_detail(pathway: Mapping[str, Any], spent: Collection[str], name: Namer) -> str | None:
    """Why ``pathway``'s completion badge can no longer be awarded to the learner, when the pathway
    is one of ``spent`` (``completions.completion_limits``); else None."""
    if pathway["id"] not in spent or not pathway.get("completion_badge"):
        return None
    return (f"Its completion badge {name(pathway['completion_badge'])} can no longer be awarded to you: "
            f"your completion of the pathway {pathway.get('title') or pathway['id']} {ONCE}.")


def my_pathways(store: Any, learner_id: str, *, kept: KeptPathways | None = None,
                now: int | None = None) -> list[dict[str, Any]]:
    """The pathways a learner started, oldest enrolment first, each with progress by the badges
    that count for a completion (``enrolments.enrolled``) and the rules of the module docstring.

    Returns:
        ``[{pathway_id, title, status, destination, on, steps_met, steps_total, progress,
        completed, next_step, blocked, completion_detail}]``: ``next_step`` the first unmet
        step the learner can still meet, ``{index, title, badges, named_badges, required,
        detail}`` (``index`` 1-based among all its steps; ``badges`` less those the learner
        can never earn; ``named_badges`` ``[{badge_id, name}]`` in the order of ``badges``;
        ``detail`` None or which badges were left out and why), or None; ``blocked``
        ``[{index, title, detail}]`` the steps they can no longer meet; ``completion_detail``
        None or why the pathway can no longer award them its completion badge. Badge names
        are read in one statement for every pathway; ``kept`` holds the completion pathways
        (``completions.KeptPathways``), else they are read.
    """
    held, pathways = enrolments.enrolled(store, learner_id, now=now)
    never, spent = completion_limits(store, learner_id, held, {b for pw in pathways for s in enrolments.required_steps(pw)
                                                               for b in s.get("badges") or []}, pathways, kept)
    done = [progress(pw, held, never) for pw in pathways]
    wanted = {b for d in done for bs in (d.earnable + d.left_out) for b in bs}
    names = enrolments.badge_names(store, wanted | {pw["completion_badge"] for pw in pathways if pw["id"] in spent})

    def name(b: str) -> str:
        return names.get(b) or b

    out = []
    for pw, d in zip(pathways, done):
        total, met = len(d.steps), sum(d.met)
        step = None
        if d.next is not None:
            s, badges = d.steps[d.next], d.earnable[d.next]
            step = {"index": d.index[d.next], "title": s.get("title"), "badges": badges,
                    "named_badges": [{"badge_id": b, "name": names.get(b)} for b in badges],
                    "required": int(s.get("required") or 1), "detail": next_detail(d, never, name)}
        out.append({"pathway_id": pw["id"], "title": pw.get("title") or pw["id"], "status": pw.get("status"),
                    "destination": pw.get("destination"), "on": pw["on"], "steps_met": met, "steps_total": total,
                    "progress": met / total if total else 0.0, "completed": total > 0 and met == total,
                    "next_step": step, "blocked": blocked(d, never, name),
                    "completion_detail": completion_detail(pw, spent, name)})
    return out
