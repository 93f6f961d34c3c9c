"""Experiments in Chaos Toolkit's format: loading them (a dict, JSON or YAML text, or a path)
and checking them against a simulated system before anything runs.

A bad experiment raises :class:`labkit.LabkitError` naming the field (``method[1].provider.func``),
the value and what is allowed, never a traceback from YAML, JSON or chaostoolkit-lib:

>>> from labkit.catalog import cells
>>> from labkit.chaos.system import System
>>> experiment = {"title": "t", "description": "d", "method": [
...     {"type": "action", "name": "crash it", "provider": {
...         "type": "python", "module": "labkit.chaos.actions", "func": "crash_cel",
...         "arguments": {"cell": 2}}}]}
>>> validate_experiment(experiment, System(cells(4), 1000))
Traceback (most recent call last):
...
labkit.errors.LabkitError: method[0].provider.func='crash_cel' is not allowed: expected a labkit action (did you mean 'crash_cell'?): crash, crash_cell, zone_outage, ...

Checking goes further than the format: every action is tried, in order, on a scratch copy of
the system that keeps time but simulates nothing, so an unknown component, a cell that does
not exist, two clashing faults or a plan that runs past the system's horizon is reported
before the experiment starts; then chaostoolkit-lib's own validation runs too.
"""

from __future__ import annotations

import copy
import difflib
import inspect
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import LabkitError, check_number, fail
from . import actions as _actions
from . import controls as _controls
from . import probes as _probes
from .system import CONFIG_KEY, MAX_SECONDS, System

MAX_TEXT = 1_000_000          # characters of JSON or YAML
MAX_METHOD = 200
MAX_PROBES = 50
MAX_NAME = 200
MAX_TEXT_FIELD = 2_000
ACTIONS_MODULE = "labkit.chaos.actions"
PROBES_MODULE = "labkit.chaos.probes"
CONTROLS_MODULE = _controls.MODULE
PROVIDED = "architecture"     # labkit fills it in: the name of the architecture under test
KEYS = ("version", "title", "description", "tags", "contributions", "configuration",
        "steady-state-hypothesis", "method", "rollbacks", "controls", "extensions")
ACTIVITY_KEYS = ("type", "name", "provider", "tolerance", "pauses")
REFUSED = {
    "secrets": "a simulated system has no secrets; put plain values in 'configuration'",
    "runtime": "choose the rollback strategy with run_experiment(..., rollbacks=...)",
    "background": "activities run one after another in simulated time; nothing runs in the "
                  "background",
    "controls": "declare the labkit control (stop conditions) once, in the experiment's "
                "top-level 'controls'",
    "timeout": "activities on a simulated system finish at once; a timeout means nothing here",
    "dry": "a simulated experiment is already harmless; run it",
}
RANGE_LIMIT = 1e12


@dataclass
class Plan:
    """A checked experiment: the experiment as loaded, the simulated time it will reach and
    its stop conditions, ready for the control."""

    experiment: dict
    end: float
    conditions: list = field(default_factory=list)
    changes: list = field(default_factory=list)    # when actions will change the schedule


# ------------------------------------------------------------------------ loading


def load_experiment(source: Any) -> dict:
    """An experiment as a dict, from a dict, JSON or YAML text, or a path to a ``.json``,
    ``.yaml`` or ``.yml`` file. Only the format is read here; see :func:`validate_experiment`.

    >>> load_experiment('{"title": "t", "description": "d", "method": []}')["title"]
    't'
    >>> load_experiment("title: t\\ndescription: d\\nmethod: [")
    Traceback (most recent call last):
    ...
    labkit.errors.LabkitError: experiment='title: t\\ndescription: d\\nmethod: [' is not allowed: expected valid YAML: ...
    """
    allowed = ("expected an experiment: a dict, JSON or YAML text, or the path of a .json, "
               ".yaml or .yml file")
    if isinstance(source, dict):
        return dict(source)
    if isinstance(source, os.PathLike):
        return _read(Path(source))
    if not isinstance(source, str):
        raise fail("experiment", source, allowed)
    if len(source) > MAX_TEXT:
        raise fail("experiment", source, f"expected at most {MAX_TEXT:,} characters")
    text = source.strip()
    if "\n" not in text and text.lower().endswith((".json", ".yaml", ".yml")):
        return _read(Path(text))
    return _parse(text, "json" if text.startswith("{") else "yaml", source)


def _read(path: Path) -> dict:
    suffix = path.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        raise fail("experiment", str(path), "expected a .json, .yaml or .yml file")
    try:
        if path.stat().st_size > MAX_TEXT:
            raise fail("experiment", str(path), f"expected a file of at most {MAX_TEXT:,} bytes")
        text = path.read_text(encoding="utf-8")
    except LabkitError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise fail("experiment", str(path), f"expected a readable UTF-8 file ({exc.__class__.__name__}: "
                   f"{exc})") from None
    return _parse(text, "json" if suffix == ".json" else "yaml", str(path))


def _parse(text: str, form: str, shown: str) -> dict:
    try:
        if form == "json":
            data = json.loads(text)
        else:
            import yaml
            data = yaml.safe_load(text)
    except RecursionError:
        raise fail("experiment", shown, f"expected valid {form.upper()}: it nests too deeply") from None
    except Exception as exc:  # noqa: BLE001 - JSON and YAML errors of every kind
        where = ""
        if hasattr(exc, "lineno"):
            where = f" (line {exc.lineno}, column {exc.colno})"
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" (line {mark.line + 1}, column {mark.column + 1})"
        problem = getattr(exc, "problem", None) or getattr(exc, "msg", None) or str(exc)
        raise fail("experiment", shown, f"expected valid {form.upper()}: {problem}{where}") from None
    if not isinstance(data, dict):
        raise fail("experiment", shown, "expected an experiment: a mapping with a title, a "
                   "description and a method")
    return data


# --------------------------------------------------------------------- validation


def validate_experiment(experiment: Any, system: System) -> dict:
    """Check ``experiment`` against ``system`` without running it; return it as loaded.

    Raises :class:`labkit.LabkitError` for the first problem found.
    """
    return plan(experiment, system).experiment


def plan(experiment: Any, system: System) -> Plan:
    """:func:`validate_experiment`, returning the :class:`Plan` run_experiment needs."""
    if not isinstance(system, System):
        raise fail("system", system, "expected a labkit.chaos.System(architecture, traffic, ...)")
    data = load_experiment(experiment)
    checked = _Checker(data, system).plan()
    _chaoslib_validation(for_chaoslib(checked.experiment, system), checked.experiment)
    return checked


def for_chaoslib(experiment: dict, system: System) -> dict:
    """The copy chaostoolkit-lib runs: the system in the configuration, pauses left to the
    labkit control (simulated), and exactly one labkit control."""
    from chaoslib.types import Dry

    run = copy.deepcopy(experiment)
    run["configuration"] = {**provided(system), **(run.get("configuration") or {}), CONFIG_KEY: system}
    run["dry"] = Dry.PAUSE          # chaostoolkit-lib must not sleep: pauses are simulated
    controls = run.get("controls") or [{"name": "labkit", "provider": {
        "type": "python", "module": CONTROLS_MODULE}}]
    run["controls"] = controls
    return run


def provided(system: System) -> dict:
    """What labkit adds to every experiment's configuration (the experiment's own values
    win): ``architecture``, the name of the architecture under test, so that a title or an
    argument can say ``${architecture}``."""
    return {PROVIDED: system.architecture.name}


def _chaoslib_validation(run: dict, experiment: dict) -> None:
    from chaoslib.experiment import ensure_experiment_is_valid

    from .run import quiet_chaoslib
    try:
        with quiet_chaoslib():
            ensure_experiment_is_valid(run)
    except Exception as exc:  # noqa: BLE001 - translate chaostoolkit-lib's refusal
        raise fail("experiment", experiment.get("title"),
                   f"chaostoolkit-lib refused it: {exc}") from None


def _did_you_mean(value: Any, options) -> str:
    if isinstance(value, str) and value:
        options = [o for o in options if isinstance(o, str)]
        close = difflib.get_close_matches(value, options, n=1)
        if not close and len(value) >= 3:
            close = [o for o in options if value.lower() in o.lower()][:1]
        if close:
            return f" (did you mean {close[0]!r}?)"
    return ""


def _at(path: str, key: Any) -> str:
    """The path of ``key`` under ``path`` (``method[0].provider``), short whatever the key."""
    if isinstance(key, str):
        name = key if len(key) <= 60 else key[:57] + "..."
    else:
        name = f"[{key!r}]" if len(repr(key)) <= 60 else f"[<{type(key).__name__}>]"
    return f"{path}.{name}" if path else name


def _listing(options) -> str:
    return ", ".join(options)


class _Checker:
    """Walks an experiment once, field by field, naming each field by its path."""

    def __init__(self, data: dict, system: System) -> None:
        self.data = data
        self.system = system
        self.config: dict = {}

    # -- the whole --------------------------------------------------------------------

    def plan(self) -> Plan:
        data = self.data
        for key in data:
            if not isinstance(key, str) or key not in KEYS:
                allowed = REFUSED.get(key) if isinstance(key, str) else None
                raise fail(_at("", key), data[key],
                           allowed or "is not a key of a Chaos Toolkit experiment; expected "
                           + ", ".join(KEYS) + _did_you_mean(key, KEYS))
        self._text("title", data.get("title"), MAX_NAME, required=True)
        self._text("description", data.get("description"), MAX_TEXT_FIELD, required=True)
        self._tags(data.get("tags"))
        if "version" in data:
            self._text("version", data["version"], MAX_NAME, required=True)
        self._contributions(data.get("contributions"))
        self._extensions(data.get("extensions"))
        self.config = {**provided(self.system), **self._configuration(data.get("configuration"))}
        self._title_names(data["title"])
        hypothesis = self._hypothesis(data.get("steady-state-hypothesis"))
        if "method" not in data:
            raise fail("method", None, "expected a list of activities (it may be empty, but "
                       "chaostoolkit wants it stated)")
        method = self._list("method", data["method"], MAX_METHOD)
        rollbacks = self._list("rollbacks", data.get("rollbacks", []), MAX_PROBES)
        # What a "ref" may name, as chaostoolkit-lib looks it up (later names win).
        names = {a["name"]: a for a in method + hypothesis
                 if isinstance(a, dict) and "ref" not in a and isinstance(a.get("name"), str)}
        for i, activity in enumerate(method):
            self._activity(f"method[{i}]", activity, "method", names)
        for i, activity in enumerate(rollbacks):
            self._activity(f"rollbacks[{i}]", activity, "rollbacks", names)
        conditions = self._controls(data.get("controls"))
        end, changes = self._rehearse(hypothesis, method, rollbacks, conditions, names)
        # Every part is checked and bounded now, so a deep copy is safe: the journal keeps
        # the experiment as it was run, whatever the caller does with its dict later.
        return Plan(copy.deepcopy(data), end, conditions, changes)

    def _title_names(self, title: str) -> None:
        # chaostoolkit-lib fills ${name} in the title from the configuration (the summary
        # shows the title as run); a name it cannot fill would stay as written.
        for name in re.findall(r"\$\{([^}]*)\}", title):
            if name not in self.config or name == CONFIG_KEY:
                names = [n for n in self.config if n != CONFIG_KEY]
                raise fail("title", title, f"uses ${{{name}}}, but the configuration has no "
                           f"{name!r}; expected one of " + ", ".join(repr(n) for n in names)
                           + _did_you_mean(name, names))

    def _text(self, path: str, value: Any, limit: int, required: bool = False) -> None:
        if value is None and not required:
            return
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise fail(path, value, f"expected a non-empty string of at most {limit:,} characters")

    def _list(self, path: str, value: Any, limit: int) -> list:
        if not isinstance(value, list) or len(value) > limit:
            raise fail(path, value, f"expected a list of at most {limit} activities")
        return value

    def _tags(self, tags: Any) -> None:
        if tags is None:
            return
        if not isinstance(tags, list) or len(tags) > 50:
            raise fail("tags", tags, "expected a list of at most 50 tags (strings)")
        for i, tag in enumerate(tags):
            self._text(f"tags[{i}]", tag, MAX_NAME, required=True)

    def _contributions(self, value: Any) -> None:
        if value is None:
            return
        levels = ("high", "medium", "low", "none")
        if not isinstance(value, dict) or len(value) > 50:
            raise fail("contributions", value, "expected a mapping of at most 50 contributions "
                       "to their level: " + ", ".join(levels))
        for key, level in value.items():
            self._text("contributions", key, MAX_NAME, required=True)
            if level not in levels:
                raise fail(f"contributions.{key}", level, "expected one of " + ", ".join(levels))

    def _extensions(self, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, list) or len(value) > 20:
            raise fail("extensions", value, "expected a list of at most 20 extensions")
        for i, ext in enumerate(value):
            if not isinstance(ext, dict) or len(ext) > 50:
                raise fail(f"extensions[{i}]", ext, "expected a mapping with a name")
            self._text(f"extensions[{i}].name", ext.get("name"), MAX_NAME, required=True)
            for key, item in ext.items():
                self._scalar(f"extensions[{i}].{key}", item)

    def _scalar(self, path: str, value: Any) -> None:
        if value is None or isinstance(value, bool):
            return
        if isinstance(value, str):
            if len(value) > MAX_TEXT_FIELD:
                raise fail(path, value, f"expected a string of at most {MAX_TEXT_FIELD:,} characters")
            return
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            check_number(path, value, low=-RANGE_LIMIT, high=RANGE_LIMIT,
                         allowed=f"expected a finite number of magnitude at most {RANGE_LIMIT:g}")
            return
        raise fail(path, value, "expected a plain value: a string, a number, true, false or null")

    def _configuration(self, config: Any) -> dict:
        if config is None:
            return {}
        if not isinstance(config, dict) or len(config) > 100:
            raise fail("configuration", config, "expected a mapping of at most 100 names to "
                       "plain values")
        for key, value in config.items():
            if not isinstance(key, str) or not key.strip() or len(key) > MAX_NAME:
                raise fail("configuration", key, "expected names that are non-empty strings")
            if key == CONFIG_KEY:
                raise fail(f"configuration.{key}", value, "is reserved: run_experiment puts the "
                           "simulated system there")
            if isinstance(value, dict):
                raise fail(f"configuration.{key}", value, "expected a plain value; values read "
                           "from the environment or from probes are not supported on a "
                           "simulated system")
            self._scalar(f"configuration.{key}", value)
        return dict(config)

    # -- the hypothesis and activities --------------------------------------------------

    def _hypothesis(self, hypothesis: Any) -> list:
        if hypothesis is None:
            return []
        path = "steady-state-hypothesis"
        if not isinstance(hypothesis, dict):
            raise fail(path, hypothesis, "expected a mapping with a title and probes")
        for key in hypothesis:
            if key not in ("title", "probes"):
                raise fail(_at(path, key), hypothesis[key],
                           REFUSED.get(key, "expected only 'title' and 'probes'"))
        self._text(f"{path}.title", hypothesis.get("title"), MAX_NAME, required=True)
        probes = hypothesis.get("probes", [])
        if not isinstance(probes, list) or len(probes) > MAX_PROBES:
            raise fail(f"{path}.probes", probes, f"expected a list of at most {MAX_PROBES} probes")
        for i, probe in enumerate(probes):
            self._activity(f"{path}.probes[{i}]", probe, "hypothesis", {})
        return probes

    def _activity(self, path: str, activity: Any, where: str, names: dict) -> None:
        if not isinstance(activity, dict):
            raise fail(path, activity, "expected an activity: a mapping with type, name and provider")
        if "ref" in activity and where == "method":
            ref = activity["ref"]
            if set(activity) != {"ref"}:
                raise fail(path, activity, "expected only 'ref' in a reference to an activity")
            if not isinstance(ref, str) or ref not in names:
                raise fail(f"{path}.ref", ref, "expected the name of a probe of the hypothesis "
                           "or an activity of the method" + _did_you_mean(ref, list(names)))
            return
        allowed_keys = ACTIVITY_KEYS + (("frequency",) if where == "stop condition" else ())
        for key in activity:
            if key not in allowed_keys:
                raise fail(_at(path, key), activity[key],
                           REFUSED.get(key) if isinstance(key, str) and key in REFUSED else
                           "expected only " + ", ".join(allowed_keys) + _did_you_mean(key, allowed_keys))
        kind = activity.get("type")
        wanted = {"hypothesis": ("probe",), "stop condition": ("probe",),
                  "rollbacks": ("action",)}.get(where, ("action", "probe"))
        if kind not in wanted:
            raise fail(f"{path}.type", kind, "expected " + " or ".join(repr(w) for w in wanted)
                       + {"hypothesis": " (the hypothesis only measures)",
                          "stop condition": " (a stop condition only measures)",
                          "rollbacks": " (rollbacks restore the system)"}.get(where, ""))
        self._text(f"{path}.name", activity.get("name"), MAX_NAME, required=True)
        func = self._provider(f"{path}.provider", activity.get("provider"), kind)
        if where in ("hypothesis", "stop condition"):
            if "tolerance" not in activity:
                raise fail(f"{path}.tolerance", None, "expected a tolerance: what value the probe "
                           "must return, e.g. a range [low, high]")
            self._tolerance(f"{path}.tolerance", activity["tolerance"], func)
        elif "tolerance" in activity:
            raise fail(f"{path}.tolerance", activity["tolerance"], "a probe in the "
                       f"{where} only records a value; tolerances belong to the steady-state "
                       "hypothesis or to stop conditions")
        if "pauses" in activity:
            self._pauses(f"{path}.pauses", activity["pauses"])
        if where == "stop condition" and "frequency" in activity:
            self._seconds(f"{path}.frequency", activity["frequency"], low=self.system.step)

    def _provider(self, path: str, provider: Any, kind: str) -> str:
        if not isinstance(provider, dict):
            raise fail(path, provider, "expected a mapping with type 'python', module, func "
                       "and arguments")
        for key in provider:
            if key not in ("type", "module", "func", "arguments"):
                raise fail(_at(path, key), provider[key], REFUSED.get(key, "expected only type, "
                           "module, func and arguments"))
        if provider.get("type") != "python":
            raise fail(f"{path}.type", provider.get("type"), "expected 'python': the simulated "
                       "system is reached through labkit's Python providers, not HTTP or processes")
        module, names = ((ACTIONS_MODULE, _actions.ACTIONS) if kind == "action"
                         else (PROBES_MODULE, _probes.PROBES))
        if provider.get("module") != module:
            raise fail(f"{path}.module", provider.get("module"), f"expected {module!r} for "
                       f"an {kind}" if kind == "action" else f"expected {module!r} for a {kind}")
        func = provider.get("func")
        if not isinstance(func, str) or func not in names:
            raise fail(f"{path}.func", func, f"expected a labkit {kind}"
                       + _did_you_mean(func, names) + ": " + _listing(names))
        arguments = provider.get("arguments", {})
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict) or len(arguments) > 20:
            raise fail(f"{path}.arguments", arguments, "expected a mapping of argument names "
                       "to values")
        target = getattr(_actions if kind == "action" else _probes, func)
        parameters = [p for p in inspect.signature(target).parameters if p != "configuration"]
        for key, value in arguments.items():
            if key not in parameters:
                raise fail(_at(f"{path}.arguments", key), value,
                           f"is not an argument of {func}; expected "
                           + (", ".join(parameters) or "no arguments") + _did_you_mean(key, parameters))
            self._scalar(f"{path}.arguments.{key}", value)
        missing = [p for p, spec in inspect.signature(target).parameters.items()
                   if p != "configuration" and spec.default is inspect.Parameter.empty
                   and p not in arguments]
        if missing:
            raise fail(f"{path}.arguments", arguments, f"{func} needs "
                       + ", ".join(repr(m) for m in missing))
        return func

    def _substituted(self, value: Any) -> Any:
        from chaoslib import substitute
        return substitute(value, self.config, None) if self.config else value

    def _seconds(self, path: str, value: Any, low: float = 0.0) -> float:
        return check_number(path, self._substituted(value), low=low, high=MAX_SECONDS,
                            allowed=f"expected seconds from {low:g} to {MAX_SECONDS:g}")

    def _pauses(self, path: str, pauses: Any) -> None:
        if not isinstance(pauses, dict) or not set(pauses) <= {"before", "after"}:
            raise fail(path, pauses, "expected a mapping with 'before' and/or 'after' seconds")
        for key, value in pauses.items():
            if isinstance(value, str) and not (value.startswith("${") and value.endswith("}")):
                raise fail(f"{path}.{key}", value, "expected seconds, or a ${name} from the "
                           "configuration")
            self._seconds(f"{path}.{key}", value)

    def _tolerance(self, path: str, tolerance: Any, func: str) -> None:
        kind = _probes.KINDS[func]
        if kind == "word":
            words = _probes.WORDS[func]
            if not isinstance(tolerance, str) or tolerance not in words:
                raise fail(path, tolerance, f"expected the word {func} must return: one of "
                           + ", ".join(repr(w) for w in words))
            return
        domain = {"share": (0.0, 1.0), "quantity": (0.0, RANGE_LIMIT),
                  "count": (0.0, RANGE_LIMIT)}[kind]
        what = {"share": f"{func} is a share between 0 and 1",
                "quantity": f"{func} is 0 or more", "count": f"{func} counts from 0"}[kind]
        if kind == "count" and isinstance(tolerance, int) and not isinstance(tolerance, bool):
            if not 0 <= tolerance <= RANGE_LIMIT:
                raise fail(path, tolerance, f"expected a count a probe can return ({what})")
            return
        if isinstance(tolerance, dict):
            for key in tolerance:
                if key not in ("type", "range"):
                    raise fail(_at(path, key), tolerance[key], "expected only 'type' and "
                               "'range' (labkit's probes return plain numbers: no target)")
            if tolerance.get("type") != "range":
                raise fail(f"{path}.type", tolerance.get("type"), "expected 'range' (regex, "
                           "jsonpath and probe tolerances do not apply to labkit's numbers)")
            path, tolerance = f"{path}.range", tolerance.get("range")
        elif isinstance(tolerance, (int, float)) and not isinstance(tolerance, bool):
            raise fail(path, tolerance, "a bare number asks for exact equality (and "
                       "chaostoolkit-lib ignores fractions); give a range [low, high]")
        if not isinstance(tolerance, list) or len(tolerance) != 2:
            raise fail(path, tolerance, "expected a range [low, high] of two numbers")
        low, high = tolerance
        for name, bound in (("[0]", low), ("[1]", high)):
            check_number(path + name, bound, low=domain[0], high=domain[1],
                         allowed=f"expected a bound from {domain[0]:g} to {domain[1]:g} ({what})")
        if low > high:
            raise fail(path, tolerance, "expected low <= high: no value could be in this range")

    def _controls(self, controls: Any) -> list:
        if controls is None:
            return []
        if not isinstance(controls, list) or len(controls) > 1:
            raise fail("controls", controls, f"expected a list holding the one labkit control "
                       f"({CONTROLS_MODULE}), whose 'probes' are the stop conditions")
        conditions = []
        for i, control in enumerate(controls):
            path = f"controls[{i}]"
            if not isinstance(control, dict) or not set(control) <= {"name", "provider"}:
                raise fail(path, control, "expected a mapping with name and provider")
            self._text(f"{path}.name", control.get("name"), MAX_NAME, required=True)
            provider = control.get("provider")
            if not isinstance(provider, dict) or not set(provider) <= {"type", "module", "arguments"}:
                raise fail(f"{path}.provider", provider, "expected a mapping with type, module "
                           "and arguments")
            if provider.get("type") != "python":
                raise fail(f"{path}.provider.type", provider.get("type"), "expected 'python'")
            if provider.get("module") != CONTROLS_MODULE:
                raise fail(f"{path}.provider.module", provider.get("module"),
                           f"expected {CONTROLS_MODULE!r} (other controls could reach real "
                           "systems or the network)")
            arguments = provider.get("arguments", {}) or {}
            if not isinstance(arguments, dict) or not set(arguments) <= {"probes"}:
                raise fail(f"{path}.provider.arguments", arguments, "expected only 'probes': "
                           "the stop conditions")
            probes = arguments.get("probes", [])
            if not isinstance(probes, list) or len(probes) > 20:
                raise fail(f"{path}.provider.arguments.probes", probes,
                           "expected a list of at most 20 stop conditions (probes with tolerances)")
            for j, probe in enumerate(probes):
                where = f"{path}.provider.arguments.probes[{j}]"
                self._activity(where, probe, "stop condition", {})
                provider = probe["provider"]
                conditions.append({
                    "name": probe["name"], "func": provider["func"], "path": where,
                    "arguments": self._substituted(dict(provider.get("arguments") or {})),
                    "tolerance": probe["tolerance"],
                    "frequency": self._seconds(f"{where}.frequency",
                                               probe.get("frequency", self.system.step),
                                               low=self.system.step)})
        return conditions

    # -- rehearsal -------------------------------------------------------------------

    def _rehearse(self, hypothesis: list, method: list, rollbacks: list, conditions: list,
                  names: dict) -> tuple[float, list]:
        """Try every activity in order on a scratch system that keeps time but does not
        simulate; return the simulated time the experiment reaches, and the times its
        actions change the fault schedule."""
        scratch = self.system.copy()
        scratch.dry = True
        config = {**self.config, CONFIG_KEY: scratch}
        for condition in conditions:
            self._call(condition["path"], "probe", condition["func"], condition["arguments"], config)
        steps = ([(f"steady-state-hypothesis.probes[{i}]", p) for i, p in enumerate(hypothesis)]
                 + [(f"method[{i}]", a) for i, a in enumerate(method)]
                 + [(f"steady-state-hypothesis.probes[{i}]", p) for i, p in enumerate(hypothesis)]
                 + [(f"rollbacks[{i}]", a) for i, a in enumerate(rollbacks)])
        changes = []
        for path, activity in steps:
            if "ref" in activity:
                path, activity = f"{path} (ref {activity['ref']!r})", names[activity["ref"]]
            pauses = self._substituted(activity.get("pauses") or {})
            if pauses.get("before"):
                scratch.advance(pauses["before"], argument=f"{path}.pauses.before")
            provider = activity["provider"]
            if activity["type"] == "action" and provider["func"] != "wait":
                changes.append(scratch.now)
            self._call(f"{path}.provider.arguments", activity["type"], provider["func"],
                       self._substituted(dict(provider.get("arguments") or {})), config)
            if pauses.get("after"):
                scratch.advance(pauses["after"], argument=f"{path}.pauses.after")
        return scratch.now, changes

    def _call(self, path: str, kind: str, func: str, arguments: dict, config: dict) -> None:
        target = getattr(_actions if kind == "action" else _probes, func)
        try:
            target(**arguments, configuration=config)
        except LabkitError as exc:
            message = str(exc)
            prefix = path if path.endswith(".arguments") else f"{path}.provider.arguments"
            raise LabkitError(f"{prefix}.{message}") from None
