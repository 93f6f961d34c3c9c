"""A learner's own architecture as a small YAML or JSON file, and back.

:func:`load_architecture` reads a file (or a dict, or YAML/JSON text) and builds an
:class:`~labkit.model.Architecture` through the model's own builders, so every rule of the
model (unique names, no cycles, availabilities in [0, 1]...) applies to files too.
:func:`dump_architecture` turns any architecture into the same plain data, so
``load_architecture(dump_architecture(arch))`` gives back an equal architecture.

``source`` may be:

- a ``pathlib.Path``, or a one-line ``str`` ending in ``.yaml``, ``.yml`` or ``.json``: a file.
  A bare file name that is not in the working directory is looked up among the examples
  that ship with labkit (``labkit/examples/``), so ``load_architecture("my_shop.yaml")``
  works from any notebook;
- a ``dict`` (for instance what :func:`dump_architecture` returned);
- any other ``str`` (or ``bytes``): YAML or JSON text (JSON is tried first when it starts
  with ``{``).

The schema mirrors :mod:`labkit.model`; only ``components`` is required. A complete file
(it loads as it is; ``tests/test_archfile.py`` checks that)::

    name: my shop                   # default: the file's name, else "architecture"
    description: what it is         # optional free text
    components:                     # at least one; names are unique
      - name: web
        availability: 0.9995        # in [0, 1]; or mtbf + mttr (one time unit); default 1
        kind: service               # client, service, load balancer, router, database,
                                    # cache, queue, worker, cell (default: service)
        capacity: 800               # requests per second (default: unlimited)
        latency_ms: 20              # default 0
        description: the storefront
        pos: [0, 0]                 # optional (x, y) in the diagram
      - {name: api-1, availability: 0.999}
      - {name: api-2, availability: 0.999}
      - name: db
        kind: database
        mtbf: 4380                  # hours between failures ...
        mttr: 2                     # ... and hours to repair: availability 4380/4382
      - {name: cache, kind: cache, availability: 0.999}
      - {name: mailer, kind: worker, capacity: 50}
    groups:                         # replicas: works while k of its members work
      - {name: api tier, members: [api-1, api-2], k: 1}
    failure_domains:                # zone, region, deploy wave, shared database: its
      - name: zone-a                # members hard-depend on it and fail with it
        members: [web, api-1]
        availability: 0.9999        # or mtbf + mttr; kind (default "domain"), capacity,
                                    # latency_ms, description, pos as for components
    dependencies:                   # caller -> callee; no cycles
      - {from: web, to: api tier}   # kind: hard (default) fails the caller
      - {from: api-1, to: db}
      - {from: api-2, to: db}
      - {from: api-1, to: cache, kind: soft}   # soft only takes away what needs it
    queues:                         # event-driven: the caller hands work over and moves on
      - {from: api-1, to: mailer, deadline: 300, per_request: 0.1}  # seconds; items/request
    features:                       # user journeys and what must work for each
      - {name: browse, requires: [web], description: customers browse the catalog}
      - {name: mail, requires: [mailer]}
    partitions:                     # share of customers per feature (cells); adds up to 1
      browse: 1.0
    scenarios:                      # named breaks for the panel
      - {name: zone outage, crashes: [zone-a]}

Cells are features with partitions (one feature per cell, each with its share of customers),
as :func:`labkit.catalog.cells` builds them. Components fail independently unless they share
a failure domain.

Every mistake is a :class:`~labkit.errors.LabkitError` naming where it is in the file
(``components[2].availability``), the value and what is allowed; unknown keys, missing
fields, wrong types, duplicate names, unknown references, cycles, malformed YAML/JSON and
files over :data:`MAX_TEXT_CHARS` characters included. YAML is read with ``yaml.safe_load``.

>>> arch = load_architecture('''
... name: tiny shop
... components:
...   - {name: web, availability: 0.999}
...   - {name: db, availability: 0.9995, kind: database}
... dependencies:
...   - {from: web, to: db}
... ''')
>>> from labkit import availability
>>> arch.components, round(availability(arch), 7)
(['web', 'db'], 0.9985005)
>>> dump_architecture(arch)["dependencies"]
[{'from': 'web', 'to': 'db', 'kind': 'hard'}]
>>> load_architecture({"components": [{"name": "web", "availabilty": 0.9}]})
Traceback (most recent call last):
...
labkit.errors.LabkitError: components[0].availabilty=0.9 is not allowed: unknown field (did you mean 'availability'?); expected name, availability, mtbf, mttr, kind, capacity, latency_ms, description, pos
>>> shop = load_architecture("my_shop.yaml")   # ships with labkit
>>> shop.feature_names
['browse', 'checkout']
"""

from __future__ import annotations

import difflib
import json
import math
import numbers
import os
import reprlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml

from .errors import LabkitError, MAX_NAME_LENGTH, MAX_TEXT_LENGTH, fail
from .model import (COMPONENT_KINDS, DEPENDENCY_KINDS, MAX_COMPONENTS, MAX_DEPENDENCIES, UNSET,
                    Architecture, Component)

#: Longest YAML/JSON text (and file) read, in characters: a learner's file is a few KB; a
#: Ring-sized dump is about 40 KB and 128 cells of 4 tiers about 100 KB. PyYAML parses in
#: Python at some 3 s per MB (flow style slower), so this keeps every refusal and every
#: accepted load to about a second on an idle machine.
MAX_TEXT_CHARS = 200_000
#: At most this many features and scenarios (the model bounds components and dependencies).
MAX_ENTRIES = 10_000
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
FILE_SUFFIXES = (".yaml", ".yml", ".json")

_TOP = ("name", "description", "components", "groups", "failure_domains", "dependencies",
        "queues", "features", "partitions", "scenarios")
_COMPONENT = ("name", "availability", "mtbf", "mttr", "kind", "capacity", "latency_ms",
              "description", "pos")
_GROUP = ("name", "members", "k", "description", "pos")
_DOMAIN = ("name", "members", "availability", "mtbf", "mttr", "kind", "capacity", "latency_ms",
           "description", "pos")
_DEPENDENCY = ("from", "to", "kind")
_QUEUE = ("from", "to", "deadline", "per_request")
_FEATURE = ("name", "requires", "description")
_SCENARIO = ("name", "crashes", "description")
_KINDS = tuple(k for k in COMPONENT_KINDS if k != "group")


# -- showing values in messages: short, and cheap for anything a parser can build ------------

class _BriefRepr(reprlib.Repr):
    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxlist, self.maxdict, self.maxtuple = 2, 4, 3, 4
        self.maxset = self.maxfrozenset = self.maxdeque = 4
        self.maxstring, self.maxother, self.maxlong = 40, 60, 40

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 200:  # repr() of a huge int is slow, or refused past 4300 digits
            return f"<an integer of about {int(x.bit_length() * math.log10(2)) + 1} digits>"
        return super().repr_int(x, level)

    def repr_str(self, x: str, level: int) -> str:
        if len(x) > self.maxstring:
            return repr(x[:self.maxstring]) + f"... ({len(x):,} characters)"
        return repr(x)


_BRIEF = _BriefRepr()


class _Brief:
    """A value as an error message shows it: a bounded repr, whatever the value holds."""

    def __init__(self, value: Any) -> None:
        try:
            self.text = _BRIEF.repr(value)
        except Exception:  # noqa: BLE001 - a value whose repr fails is still bad input
            self.text = f"<{type(value).__name__}>"

    def __repr__(self) -> str:
        return self.text


def _fail(path: str, value: Any, allowed: str) -> LabkitError:
    return fail(path, _Brief(value), allowed)


_NOT_TEXT = ("; YAML reads unquoted yes/no/on/off/true/false/null, numbers and dates as "
             "something other than text: put the name in quotes")


# -- reading the source --------------------------------------------------------------------

def _is_path(source: Any) -> bool:
    if isinstance(source, os.PathLike):
        return True
    return (isinstance(source, str) and "\n" not in source and len(source) <= 4096
            and source.strip().lower().endswith(FILE_SUFFIXES))


def _file_path(argument: str, value: Any, allowed: str) -> tuple[Path, str]:
    """``value`` as a Path with a YAML or JSON suffix, and that suffix in lower case."""
    try:
        path = Path(os.fspath(value))
    except TypeError:
        raise _fail(argument, value, allowed) from None
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise _fail(argument, str(path), "expected a file ending in .yaml, .yml or .json")
    return path, suffix


def _read_file(source: Any) -> tuple[str, str, str]:
    """(text, format, default name) of the file ``source`` names."""
    path, suffix = _file_path("source", source, "expected a path, a dict or YAML/JSON text")
    try:
        if not path.exists() and path.name == str(source).strip() \
                and (EXAMPLES_DIR / path.name).is_file():
            path = EXAMPLES_DIR / path.name  # a bare name: an example shipped with labkit
        if not path.is_file():
            raise fail("source", str(source), "expected an existing file (not found here "
                        f"nor among labkit's examples: {', '.join(_examples()) or 'none'})")
        size = path.stat().st_size
        if size > 4 * MAX_TEXT_CHARS:  # utf-8 takes at most 4 bytes a character
            raise fail("source", str(source), f"expected a file of at most {MAX_TEXT_CHARS:,} "
                        f"characters (it has {size:,} bytes)")
        with open(path, encoding="utf-8") as f:
            text = f.read(MAX_TEXT_CHARS + 1)  # a special file may never end
    except LabkitError:
        raise
    except UnicodeDecodeError as exc:
        raise fail("source", str(source), f"expected UTF-8 text ({exc.reason} at byte "
                    f"{exc.start})") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        raise fail("source", str(source), f"expected a readable file ({reason})") from None
    if len(text) > MAX_TEXT_CHARS:
        raise fail("source", str(source), f"expected a file of at most {MAX_TEXT_CHARS:,} characters")
    return text, ("json" if suffix == ".json" else "yaml"), path.stem.replace("_", " ")


def _examples() -> list[str]:
    try:
        return sorted(p.name for p in EXAMPLES_DIR.iterdir() if p.suffix in FILE_SUFFIXES)
    except OSError:
        return []


def example_path(name: str = "my_shop.yaml") -> Path:
    """Where an example shipped with labkit lives (copy it, then edit your copy).

    >>> example_path().name
    'my_shop.yaml'
    """
    if not isinstance(name, str) or name not in _examples():
        raise _fail("name", name, "expected one of " + ", ".join(repr(e) for e in _examples()))
    return EXAMPLES_DIR / name


def _where(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return f" at line {mark.line + 1}, column {mark.column + 1}"
    if isinstance(exc, json.JSONDecodeError):
        return f" at line {exc.lineno}, column {exc.colno}"
    return ""


def _parse(text: str, form: str, argument: str, shown: Any = None) -> Any:
    """YAML or JSON text to plain data; any parser failure becomes a LabkitError naming
    ``argument`` with ``shown`` (the file's path) or the text itself."""
    shown = _Brief(text) if shown is None else shown
    if len(text) > MAX_TEXT_CHARS:
        raise fail(argument, shown, f"expected YAML or JSON text of at most {MAX_TEXT_CHARS:,} "
                   "characters")
    first_error: Exception | None = None
    if form == "json" or text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except RecursionError:
            raise fail(argument, shown, "expected JSON nested less deeply") from None
        except Exception as exc:  # noqa: BLE001 - JSONDecodeError, digit limits...
            if form == "json":
                raise fail(argument, shown, f"expected valid JSON ({_problem(exc)}"
                           f"{_where(exc)})") from None
            first_error = exc
    try:
        return yaml.safe_load(text)
    except RecursionError:
        raise fail(argument, shown, "expected YAML nested less deeply") from None
    except Exception as exc:  # noqa: BLE001 - YAMLError, int digit limits, unhashable keys...
        error = first_error if first_error is not None else exc
        kind = "JSON" if first_error is not None else "YAML"
        raise fail(argument, shown, f"expected valid {kind} ({_problem(error)}"
                   f"{_where(error)})") from None


def _problem(exc: Exception) -> str:
    text = getattr(exc, "problem", None) or (exc.msg if isinstance(exc, json.JSONDecodeError)
                                             else str(exc).splitlines()[0] if str(exc) else
                                             type(exc).__name__)
    return text[:200]


def _source_data(source: Any) -> tuple[Any, str]:
    if isinstance(source, Mapping):
        return source, "architecture"
    if _is_path(source):
        text, form, name = _read_file(source)
        return _parse(text, form, "source", str(source)), name
    if isinstance(source, (bytes, bytearray)):
        if len(source) > 4 * MAX_TEXT_CHARS:
            raise _fail("source", bytes(source[:100]), f"expected at most {MAX_TEXT_CHARS:,} characters")
        try:
            source = bytes(source).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _fail("source", bytes(source[:100]), f"expected UTF-8 text ({exc.reason})") from None
    if isinstance(source, str):
        return _parse(source, "yaml", "source"), "architecture"
    raise _fail("source", source, "expected a path to a .yaml/.yml/.json file, a dict, or "
                "YAML/JSON text")


# -- checking fields -----------------------------------------------------------------------

def _mapping(path: str, value: Any, fields: tuple[str, ...], required: tuple[str, ...]) -> dict:
    if not isinstance(value, Mapping):
        raise _fail(path, value, "expected a mapping with the fields " + ", ".join(fields))
    for key in value:
        if not isinstance(key, str):
            raise _fail(path, key, "expected field names that are text: " + ", ".join(fields))
        if key not in fields:
            close = difflib.get_close_matches(key, fields, n=1) if len(key) <= 100 else []
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            allowed = f"unknown field{hint}; expected " + ", ".join(fields)
            if not key.strip() or len(key) > 60 or not key.isprintable() or "=" in key:
                raise _fail(path, key, allowed)  # a key that cannot be shown as a path
            raise _fail(key if path == "architecture" else f"{path}.{key}", value[key], allowed)
    for key in required:
        if key not in value:
            raise _fail(path, value, f"missing the field {key!r} (required: "
                        + ", ".join(required) + ")")
    return dict(value)


def _list(path: str, value: Any, limit: int, what: str) -> list:
    if not isinstance(value, (list, tuple)):
        raise _fail(path, value, f"expected a list of {what}")
    if len(value) > limit:
        raise _fail(path, value, f"expected at most {limit:,} {what}")
    return list(value)


def _name(path: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(path, value, f"expected a name: text of 1 to {MAX_NAME_LENGTH} characters"
                    + (_NOT_TEXT if isinstance(value, (bool, numbers.Number)) or value is None
                       or type(value).__module__ == "datetime" else ""))
    if not value.strip() or len(value) > MAX_NAME_LENGTH:
        raise _fail(path, value, f"expected a name: text of 1 to {MAX_NAME_LENGTH} characters, "
                    "not only spaces")
    return value


def _names(path: str, value: Any, what: str = "component names") -> list[str]:
    names = _list(path, value, MAX_COMPONENTS, what)
    for i, name in enumerate(names):
        _name(f"{path}[{i}]", name)
    return names


def _text(path: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT_LENGTH:
        raise _fail(path, value, f"expected text of at most {MAX_TEXT_LENGTH:,} characters")
    return value


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _number(path: str, value: Any, low: float, high: float, allowed: str, *,
            low_open: bool = False, inf_ok: bool = False) -> Any:
    hint = ""
    if isinstance(value, str):
        try:
            float(value[:100])
            hint = " (this is text: YAML reads 1e6 as text, write 1.0e+6 or 1000000)"
        except ValueError:
            pass
    if not _is_real(value):
        raise _fail(path, value, allowed + hint)
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError):
        raise _fail(path, value, allowed) from None
    if inf_ok and number == math.inf:
        return math.inf
    if math.isnan(number) or math.isinf(number) or number > high or (
            number <= low if low_open else number < low):
        raise _fail(path, value, allowed)
    return value


def _details(path: str, entry: dict) -> dict:
    """Component fields other than name: availability or mtbf+mttr, kind, capacity..."""
    out: dict[str, Any] = {}
    if "availability" in entry:
        out["availability"] = _number(f"{path}.availability", entry["availability"], 0.0, 1.0,
                                      "expected a number between 0 and 1")
        for other in ("mtbf", "mttr"):
            if other in entry:
                raise _fail(f"{path}.{other}", entry[other], "give either availability or "
                            "mtbf and mttr, not both")
    elif "mtbf" in entry or "mttr" in entry:
        for needed in ("mtbf", "mttr"):
            if needed not in entry:
                raise _fail(path, entry, f"missing the field {needed!r}: mtbf and mttr go "
                            "together")
        out["mtbf"] = _number(f"{path}.mtbf", entry["mtbf"], 0.0, math.inf,
                              "expected a finite time above 0 (mean time between failures)",
                              low_open=True)
        out["mttr"] = _number(f"{path}.mttr", entry["mttr"], 0.0, math.inf,
                              "expected a finite time of at least 0 (mean time to repair, in "
                              "mtbf's unit)")
    if "kind" in entry:
        kind = entry["kind"]
        if not isinstance(kind, str) or kind not in _KINDS:
            raise _fail(f"{path}.kind", kind, "expected one of " + ", ".join(repr(k) for k in _KINDS))
        out["kind"] = kind
    if "capacity" in entry:
        out["capacity"] = _number(f"{path}.capacity", entry["capacity"], 0.0, math.inf,
                                  "expected requests per second: a number above 0 (.inf or "
                                  "leave it out for unlimited)", low_open=True, inf_ok=True)
    if "latency_ms" in entry:
        out["latency_ms"] = _number(f"{path}.latency_ms", entry["latency_ms"], 0.0, math.inf,
                                    "expected a finite number of milliseconds, at least 0")
    if "description" in entry:
        out["description"] = _text(f"{path}.description", entry["description"])
    if "pos" in entry:
        out["pos"] = _pos(f"{path}.pos", entry["pos"])
    return out


def _pos(path: str, value: Any) -> tuple:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise _fail(path, value, "expected [x, y]: two numbers")
    for i, v in enumerate(value):
        _number(f"{path}[{i}]", v, -math.inf, math.inf, "expected a finite number")
    return tuple(value)


_MODEL_FIELDS = {"producer": "from", "consumer": "to", "deadline": "deadline",
                 "per_request": "per_request", "name": "name", "availability": "availability", "mtbf": "mtbf", "mttr": "mttr",
                 "kind": "kind", "capacity": "capacity", "latency_ms": "latency_ms",
                 "description": "description", "pos": "pos", "k": "k", "members": "members",
                 "requires": "requires", "crashes": "crashes", "caller": "from",
                 "callee": "to", "shares": ""}


@contextmanager
def _at(path: str) -> Iterator[None]:
    """Re-label a model error with where in the file it comes from."""
    try:
        yield
    except LabkitError as exc:
        message = str(exc)
        if message.startswith(path):  # one of ours: it names its place already
            raise
        argument, sep, rest = message.partition("=")
        field = _MODEL_FIELDS.get(argument)
        if sep and field is not None:
            raise LabkitError(f"{path}{'.' + field if field else ''}={rest}") from None
        if sep and argument in ("dependency", "component", "details", "architecture"):
            raise LabkitError(f"{path}={rest}") from None
        raise LabkitError(f"{path}: {message}") from None


# -- loading -------------------------------------------------------------------------------

def load_architecture(source: Any) -> Architecture:
    """Build an :class:`Architecture` from a YAML/JSON file, a dict, or YAML/JSON text.

    See the module docstring for the schema and for how ``source`` is read. Builds through
    the model's builders, so the model's checks apply; every mistake is a LabkitError
    naming its place in the file, e.g. ``dependencies[3].to``.

    >>> load_architecture({"components": [{"name": "app", "mtbf": 999, "mttr": 1}]}).availability_of("app")
    0.999
    """
    data, default_name = _source_data(source)
    top = _mapping("architecture", data, _TOP, ("components",))
    name = _name("name", top["name"]) if "name" in top else default_name
    description = _text("description", top.get("description", ""))
    arch = Architecture(name, description)

    components = _list("components", top["components"], MAX_COMPONENTS, "components")
    if not components:
        raise _fail("components", components, "expected at least one component")
    defined: dict[str, str] = {}  # name -> where it was defined

    def define(path: str, name: str) -> None:
        if name in defined:
            raise _fail(f"{path}.name", name, f"a name used once only: {defined[name]} has it")
        defined[name] = path

    for i, raw in enumerate(components):
        path = f"components[{i}]"
        entry = _mapping(path, raw, _COMPONENT, ("name",))
        cname = _name(f"{path}.name", entry["name"])
        define(path, cname)
        details = _details(path, entry)
        with _at(path):
            arch.add_component(cname, **details)

    pending = []  # groups and failure domains, built once their members exist
    for section, fields in (("groups", _GROUP), ("failure_domains", _DOMAIN)):
        for i, raw in enumerate(_list(section, top.get(section, []), MAX_COMPONENTS, section)):
            path = f"{section}[{i}]"
            entry = _mapping(path, raw, fields, ("name", "members"))
            gname = _name(f"{path}.name", entry["name"])
            define(path, gname)
            members = _names(f"{path}.members", entry["members"])
            if not members:
                raise _fail(f"{path}.members", members, "expected at least one member")
            pending.append((section, path, gname, members, entry))
    _build_members(arch, pending, defined)

    dependencies = _list("dependencies", top.get("dependencies", []), MAX_DEPENDENCIES,
                         "dependencies")
    for i, raw in enumerate(dependencies):
        path = f"dependencies[{i}]"
        entry = _mapping(path, raw, _DEPENDENCY, ("from", "to"))
        caller = _reference(arch, f"{path}.from", entry["from"])
        callee = _reference(arch, f"{path}.to", entry["to"])
        kind = entry.get("kind", "hard")
        if not isinstance(kind, str) or kind not in DEPENDENCY_KINDS:
            raise _fail(f"{path}.kind", kind, "expected 'hard' (fails the caller) or 'soft' "
                        "(only takes away the features that need it)")
        with _at(path):
            arch.add_dependency(caller, callee, kind)

    queues = _list("queues", top.get("queues", []), MAX_DEPENDENCIES, "queues")
    for i, raw in enumerate(queues):
        path = f"queues[{i}]"
        entry = _mapping(path, raw, _QUEUE, ("from", "to", "deadline"))
        producer = _reference(arch, f"{path}.from", entry["from"])
        consumer = _reference(arch, f"{path}.to", entry["to"])
        deadline = _number(f"{path}.deadline", entry["deadline"], 0.0, 86_400.0,
                           "expected seconds above 0, at most a day (86,400)", low_open=True)
        per_request = _number(f"{path}.per_request", entry.get("per_request", 1.0), 0.0, 1e6,
                              "expected work items per request above 0", low_open=True)
        with _at(path):
            arch.add_queue(producer, consumer, deadline=deadline, per_request=per_request)

    features = _list("features", top.get("features", []), MAX_ENTRIES, "features")
    for i, raw in enumerate(features):
        path = f"features[{i}]"
        entry = _mapping(path, raw, _FEATURE, ("name", "requires"))
        fname = _name(f"{path}.name", entry["name"])
        if fname in arch.features:
            raise _fail(f"{path}.name", fname, "a feature name used once only")
        requires = _names(f"{path}.requires", entry["requires"])
        if not requires:
            raise _fail(f"{path}.requires", requires, "expected at least one component name")
        for j, required in enumerate(requires):
            _reference(arch, f"{path}.requires[{j}]", required)
        with _at(path):
            arch.add_feature(fname, requires, _text(f"{path}.description",
                                                    entry.get("description", "")))

    if "partitions" in top:
        shares = top["partitions"]
        if not isinstance(shares, Mapping) or not shares:
            raise _fail("partitions", shares, "expected a mapping of feature name to share of "
                        "customers, e.g. {cell 1: 0.5, cell 2: 0.5}")
        if len(shares) > MAX_ENTRIES:
            raise _fail("partitions", shares, f"expected at most {MAX_ENTRIES:,} partitions")
        for feature, share in shares.items():
            fname = _name("partitions", feature)
            if fname not in arch.features:
                raise _fail(f"partitions.{fname}", share, "expected a feature from features: "
                            + ", ".join(repr(f) for f in list(arch.features)[:12]))
            _number(f"partitions.{fname}", share, 0.0, 1.0, "expected a share between 0 and 1")
        with _at("partitions"):
            arch.set_partitions(dict(shares))

    scenarios = _list("scenarios", top.get("scenarios", []), MAX_ENTRIES, "scenarios")
    for i, raw in enumerate(scenarios):
        path = f"scenarios[{i}]"
        entry = _mapping(path, raw, _SCENARIO, ("name", "crashes"))
        sname = _name(f"{path}.name", entry["name"])
        crashes = _names(f"{path}.crashes", entry["crashes"])
        for j, crashed in enumerate(crashes):
            _reference(arch, f"{path}.crashes[{j}]", crashed)
        with _at(path):
            arch.add_scenario(sname, crashes, _text(f"{path}.description",
                                                   entry.get("description", "")))
    return arch


def _reference(arch: Architecture, path: str, value: Any) -> str:
    name = _name(path, value)
    if name not in arch.graph:
        known = list(arch.graph)
        close = difflib.get_close_matches(name, known[:2000], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise _fail(path, name, f"expected a component, group or failure domain defined in the "
                    f"file{hint}: " + ", ".join(repr(n) for n in known[:12])
                    + (", ..." if len(known) > 12 else ""))
    return name


def _build_members(arch: Architecture, pending: list, defined: dict[str, str]) -> None:
    """Add groups and failure domains, each once all its members exist (they may nest)."""
    while pending:
        waiting = []
        for item in pending:
            section, path, name, members, entry = item
            if all(m in arch.graph for m in members):
                with _at(path):
                    if section == "groups":
                        k = entry.get("k", 1)
                        if isinstance(k, bool) or not isinstance(k, numbers.Integral) \
                                or not 1 <= k <= len(members):
                            raise _fail(f"{path}.k", k, f"expected a whole number from 1 to "
                                        f"{len(members)} (how many members must work)")
                        arch.add_group(name, members, int(k),
                                       description=_text(f"{path}.description",
                                                         entry.get("description", "")),
                                       **({"pos": _pos(f"{path}.pos", entry["pos"])}
                                          if "pos" in entry else {}))
                    else:
                        details = _details(path, entry)
                        availability = details.pop("availability", UNSET)
                        arch.add_failure_domain(name, members, availability, **details)
            else:
                waiting.append(item)
        if len(waiting) == len(pending):  # nothing could be built: unknown name or a cycle
            section, path, name, members, entry = waiting[0]
            for j, member in enumerate(members):
                if member not in arch.graph:
                    if member in defined:
                        raise _fail(f"{path}.members[{j}]", member, f"a member that does not "
                                    f"contain {name!r} in turn (groups and failure domains "
                                    "must not form a cycle)")
                    _reference(arch, f"{path}.members[{j}]", member)
        pending = waiting


# -- dumping -------------------------------------------------------------------------------

def _is_domain(arch: Architecture, name: str) -> bool:
    """Written as a failure domain: kind 'domain' and something hard-depends on it."""
    return arch.component(name).kind == "domain" and any(
        data["kind"] == "hard" for _, _, data in arch.graph.in_edges(name, data=True))


def _fields(component: Component) -> dict:
    out: dict[str, Any] = {"name": component.name}
    if component.mtbf is not None:
        out["mtbf"], out["mttr"] = component.mtbf, component.mttr
    else:
        out["availability"] = component.availability
    out["kind"] = component.kind
    if component.capacity != math.inf:
        out["capacity"] = component.capacity
    if component.latency_ms:
        out["latency_ms"] = component.latency_ms
    if component.description:
        out["description"] = component.description
    if component.pos is not None:
        out["pos"] = list(component.pos)
    return out


def dump_architecture(arch: Architecture) -> dict:
    """The architecture as plain data in the file schema (``yaml.safe_dump`` or ``json.dump`` it).

    A component of kind ``"domain"`` that others hard-depend on is written under
    ``failure_domains`` with those callers as its members; everything else keeps its place.
    Unlimited capacity, zero latency and empty descriptions are left out.

    >>> from labkit.catalog import monolith
    >>> data = dump_architecture(monolith())
    >>> [c["name"] for c in data["components"]], data["failure_domains"][0]["members"]
    (['app', 'db'], ['app'])
    """
    if not isinstance(arch, Architecture):
        raise _fail("arch", arch, "expected a labkit Architecture")
    data: dict[str, Any] = {"name": arch.name}
    if arch.description:
        data["description"] = arch.description
    components, groups, domains = [], [], []
    for name in arch.components:
        component = arch.component(name)
        if component.kind == "group":
            entry = {"name": name, "members": arch.dependencies(name, "member"), "k": component.k}
            if component.description:
                entry["description"] = component.description
            if component.pos is not None:
                entry["pos"] = list(component.pos)
            groups.append(entry)
        elif _is_domain(arch, name):
            entry = _fields(component)
            entry["members"] = [caller for caller, _, data_ in arch.graph.in_edges(name, data=True)
                                if data_["kind"] == "hard"]
            domains.append(entry)
        else:
            components.append(_fields(component))
    data["components"] = components
    if groups:
        data["groups"] = groups
    if domains:
        data["failure_domains"] = domains
    domain_names = {d["name"] for d in domains}
    dependencies, queues = [], []
    for a, b, edge in arch.graph.edges(data=True):
        if edge.get("queue"):
            queues.append({"from": a, "to": b, "deadline": edge["deadline"],
                           "per_request": edge["per_request"]})
        elif edge["kind"] != "member" and not (edge["kind"] == "hard" and b in domain_names):
            dependencies.append({"from": a, "to": b, "kind": edge["kind"]})
    if dependencies:
        data["dependencies"] = dependencies
    if queues:
        data["queues"] = queues
    if arch.features:
        data["features"] = [{"name": f.name, "requires": list(f.requires),
                             **({"description": f.description} if f.description else {})}
                            for f in arch.features.values()]
    if arch.partitions:
        data["partitions"] = dict(arch.partitions)
    if arch.scenarios:
        data["scenarios"] = [{"name": s.name, "crashes": list(s.crashes),
                              **({"description": s.description} if s.description else {})}
                             for s in arch.scenarios.values()]
    return data


def save_architecture(arch: Architecture, path: Any) -> Path:
    """Write ``arch`` as a .yaml/.yml or .json file that :func:`load_architecture` reads back.

    >>> import tempfile, pathlib
    >>> from labkit.catalog import monolith
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> load_architecture(save_architecture(monolith(), folder / "mono.yaml")).components
    ['app', 'db', 'server']
    """
    data = dump_architecture(arch)
    target, suffix = _file_path("path", path, "expected a file path ending in .yaml, .yml or .json")
    if suffix == ".json":
        text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    else:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail("path", str(path), f"expected a writable file ({exc.strerror or exc})") from None
    return target


__all__ = ["EXAMPLES_DIR", "MAX_TEXT_CHARS", "dump_architecture", "example_path",
           "load_architecture", "save_architecture"]
