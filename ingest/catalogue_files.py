"""The catalogue reader's input side: files -> raw records, each with where it came from.

``read_raw`` reads a folder of YAML and/or CSV files, or one YAML file, into
``RawCatalogue`` (plain dicts per section, not yet validated), keeping each
record's place (``Where``: the file, the CSV line or YAML index and line) so
that every later error names the file, the record and the field. ``Entry`` and
``Catalogue`` are what validation makes of them (``ingest.catalogue``). The
format is described in ``ingest.catalogue``'s docstring.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar, get_origin

import yaml
from pydantic import BaseModel

from colearn.errors import InvalidInput
from colearn.graph.schema import Label
from colearn.ingest.common import clean_header, read_utf8
from colearn.records.catalogue import (BadgeRecord, DestinationRecord, OpportunityRecord, OrganisationRecord,
                                       PathwayRecord, PathwayRefs, PlaceRecord, StepRow, ThemeRecord)
from colearn.records.spine import SpineFile

__all__ = ["ACTIVITY_FILES", "CSV_SECTIONS", "SECTIONS", "Catalogue", "Entry", "PathwayNames", "RawCatalogue", "Where",
           "read_raw"]

#: Sections in the order they are validated and written.
SECTIONS: tuple[str, ...] = (
    "spine", "destinations", "themes", "places", "organisations", "badges", "opportunities", "pathways",
)
#: Sections a CSV file may hold (the file's stem); the spine is YAML only.
CSV_SECTIONS: tuple[str, ...] = SECTIONS[1:] + ("pathway_steps",)

_YAML_SUFFIXES = (".yaml", ".yml")
#: Files of a city folder that are not catalogue: learners and their award
#: history (under its name and its former name), read by ``colearn.ingest.awards``.
ACTIVITY_FILES: tuple[str, ...] = ("learners.csv", "award_history.csv", "awards.csv")

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Where:
    """The place of a record in the input, for error messages.

    Attributes:
        file: the file, as given.
        record: the 1-based line (CSV) or ``"<section>[<index>] (line <n>)"`` (YAML).
        prefix: prepended to field names (``"steps.2."`` for a step nested in a pathway).
    """

    file: str
    record: int | str
    prefix: str = ""

    def error(self, message: str, fld: str | None = None) -> InvalidInput:
        """An ``InvalidInput`` at this place, for field ``fld`` (relative to ``prefix``)."""
        full = f"{self.prefix}{fld}" if fld else (self.prefix.rstrip(".") or None)
        return InvalidInput(message, file=self.file, record=self.record, field=full)


@dataclass(frozen=True)
class Entry(Generic[M]):
    """A validated record and where it came from."""

    value: M
    where: Where


@dataclass(frozen=True)
class PathwayNames:
    """A pathway as far as it could be read (valid or not), and where it and its steps are."""

    refs: PathwayRefs
    where: Where
    steps: list[Where]


@dataclass
class Catalogue:
    """A whole catalogue, validated and checked for internal consistency (not yet against a graph).

    Attributes:
        source: the file or folder read.
        spine: the spine to write (the catalogue's ``spine`` section or the bundled one).
        spine_source: the file the spine came from.
        destinations, themes, places, organisations, badges, opportunities, pathways:
            the records of each section, in input order.
        step_where: pathway id -> the place of each of its steps (in step order).
        pathway_names: every pathway given, valid or not, as far as it could be read:
            what is checked against the graph (``catalogue_checks.reference_problems``).
        unread: label -> id -> the raw record, for records refused by validation:
            references to them are not reported unknown (their own problems are).
        unchecked: labels whose references cannot be checked (a refused spine
            leaves its cells and destinations unknown).
    """

    source: str
    spine: SpineFile
    spine_source: str
    destinations: list[Entry[DestinationRecord]] = field(default_factory=list)
    themes: list[Entry[ThemeRecord]] = field(default_factory=list)
    places: list[Entry[PlaceRecord]] = field(default_factory=list)
    organisations: list[Entry[OrganisationRecord]] = field(default_factory=list)
    badges: list[Entry[BadgeRecord]] = field(default_factory=list)
    opportunities: list[Entry[OpportunityRecord]] = field(default_factory=list)
    pathways: list[Entry[PathwayRecord]] = field(default_factory=list)
    step_where: dict[str, list[Where]] = field(default_factory=dict)
    pathway_names: list[PathwayNames] = field(default_factory=list)
    unread: dict[Label, dict[str, dict[str, Any]]] = field(default_factory=dict)
    unchecked: set[Label] = field(default_factory=set)



_Raw = list[tuple[dict[str, Any], Where]]


@dataclass
class RawCatalogue:
    """The catalogue files as read, not yet validated: the ``spine`` mapping and where it
    came from, each section's records (``(record, Where)``) and the file that gave it,
    the sections read from CSV, and the records that are no mapping (``problems``)."""

    spine: tuple[dict[str, Any], Where] | None = None
    sections: dict[str, _Raw] = field(default_factory=dict)
    section_file: dict[str, str] = field(default_factory=dict)
    csv_sections: set[str] = field(default_factory=set)
    #: Records that cannot be read as records (not a mapping): named here and left out, so
    #: that the checks of every other record still run.
    problems: list[InvalidInput] = field(default_factory=list)

    def add(self, section: str, records: _Raw, file: str, *, from_csv: bool = False) -> None:
        """Keep ``section``'s records, read from ``file``.

        Raises:
            InvalidInput: another file gave the section already (naming that file).
        """
        if section in self.section_file:
            raise InvalidInput(f"section '{section}' is also given in {self.section_file[section]}",
                               file=file)
        self.section_file[section] = file
        self.sections[section] = records
        if from_csv:
            self.csv_sections.add(section)

    def add_spine(self, data: Any, file: str, record: str) -> None:
        """Keep the spine mapping ``data``, read from ``file`` at ``record``.

        Raises:
            InvalidInput: another file gave the spine already, or ``data`` is no mapping.
        """
        if "spine" in self.section_file:
            raise InvalidInput(f"section 'spine' is also given in {self.section_file['spine']}", file=file)
        if not isinstance(data, dict):
            raise InvalidInput("the spine must be a mapping (framework, layers, domains, destinations)",
                               file=file, record=record)
        self.section_file["spine"] = file
        self.spine = (data, Where(file, record))


def _load_yaml(file: Path) -> tuple[Any, yaml.Node | None]:
    """Parse one YAML document, keeping its node tree (for line numbers)."""
    text = read_utf8(file)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        record = f"line {mark.line + 1}" if mark is not None else None
        raise InvalidInput(f"not valid YAML: {exc}", file=str(file), record=record) from exc
    finally:
        loader.dispose()
    return data, node


def _yaml_records(file: str, section: str, items: Any, node: yaml.Node | None,
                  problems: list[InvalidInput]) -> _Raw:
    """The section's records with where each is; a record that is not a mapping is added to
    ``problems`` and left out.

    Raises:
        InvalidInput: the section is not a list."""
    if items is None:
        return []
    if not isinstance(items, list):
        line = f"line {node.start_mark.line + 1}" if node is not None else None
        raise InvalidInput(f"section '{section}' must be a list of records", file=file, record=line)
    nodes = node.value if isinstance(node, yaml.SequenceNode) else []
    out: _Raw = []
    for i, item in enumerate(items):
        line = f" (line {nodes[i].start_mark.line + 1})" if i < len(nodes) else ""
        where = Where(file, f"{section}[{i}]{line}")
        if not isinstance(item, dict):
            problems.append(where.error("a record must be a mapping of field: value"))
            continue
        out.append((item, where))
    return out


def _read_yaml_file(file: Path, raw: RawCatalogue) -> None:
    name = str(file)
    data, node = _load_yaml(file)
    stem = file.stem
    if data is None:
        return
    if isinstance(data, list):
        if stem not in SECTIONS[1:]:
            raise InvalidInput(
                f"a file holding a list must be named after its section ({', '.join(SECTIONS[1:])})",
                file=name)
        raw.add(stem, _yaml_records(name, stem, data, node, raw.problems), name)
        return
    if not isinstance(data, dict):
        raise InvalidInput("expected a mapping of sections or a list of records", file=name)
    if stem == "spine" and "spine" not in data:
        raw.add_spine(data, name, "spine")
        return
    values = {k.value: v for k, v in node.value} if isinstance(node, yaml.MappingNode) else {}
    for key, items in data.items():
        if key == "spine":
            raw.add_spine(items, name, "spine")
        elif key in SECTIONS:
            raw.add(key, _yaml_records(name, key, items, values.get(key), raw.problems), name)
        else:
            hint = " (in YAML, steps are listed inside each pathway)" if key == "pathway_steps" else ""
            raise InvalidInput(f"unknown section '{key}'{hint}; expected one of {', '.join(SECTIONS)}",
                               file=name, field=str(key))


def _list_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(n for n, f in model.model_fields.items() if get_origin(f.annotation) is list)


_CSV_MODELS: dict[str, type[BaseModel]] = {
    "destinations": DestinationRecord, "themes": ThemeRecord, "places": PlaceRecord,
    "organisations": OrganisationRecord, "badges": BadgeRecord, "opportunities": OpportunityRecord,
    "pathways": PathwayRecord, "pathway_steps": StepRow,
}


def _read_csv_file(file: Path, raw: RawCatalogue) -> None:
    name, section = str(file), file.stem
    if section not in CSV_SECTIONS:
        hint = " (the spine is YAML: spine.yaml)" if section == "spine" else ""
        raise InvalidInput(f"unknown section file{hint}; CSV files are named {', '.join(CSV_SECTIONS)}",
                           file=name)
    lists = _list_fields(_CSV_MODELS[section]) - {"steps"}
    records: _Raw = []
    content = read_utf8(file)
    try:
        with io.StringIO(content, newline="") as fh:
            reader = csv.DictReader(fh)
            header = clean_header(reader, name)
            if section == "pathways" and "steps" in header:
                raise InvalidInput("in CSV, steps are rows of pathway_steps.csv", file=name, record=1,
                                   field="steps")
            for row in reader:
                where = Where(name, reader.line_num)
                if None in row:
                    raise where.error(f"the row has more cells than the header's {len(header)}")
                data: dict[str, Any] = {}
                for key, cell in row.items():
                    text = (cell or "").strip()
                    if not text:
                        continue
                    data[key] = [p.strip() for p in text.split(";") if p.strip()] if key in lists else text
                records.append((data, where))
    except csv.Error as exc:
        raise InvalidInput(f"cannot read CSV: {exc}", file=name) from exc
    raw.add(section, records, name, from_csv=True)


def read_raw(path: Path) -> RawCatalogue:
    """Read a catalogue file, or every ``*.yaml``, ``*.yml`` and ``*.csv`` file of a folder
    (by name; hidden files and ``ACTIVITY_FILES`` left out), without validating records.

    Raises:
        InvalidInput: no such file or folder, a folder with no catalogue file, a file
            of another kind, a file that cannot be read or parsed, an unknown section,
            or a section given twice (naming the file).
    """
    raw = RawCatalogue()
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")
                       and p.suffix.lower() in (*_YAML_SUFFIXES, ".csv")
                       and p.name not in ACTIVITY_FILES)
        if not files:
            raise InvalidInput("no catalogue files (*.yaml, *.yml, *.csv) in this folder", file=str(path))
    elif path.is_file():
        files = [path]
    else:
        raise InvalidInput("no such file or folder", file=str(path))
    for file in files:
        if file.suffix.lower() == ".csv":
            _read_csv_file(file, raw)
        elif file.suffix.lower() in _YAML_SUFFIXES:
            _read_yaml_file(file, raw)
        else:
            raise InvalidInput("a catalogue file is YAML (.yaml, .yml) or CSV (.csv)", file=str(file))
    return raw

