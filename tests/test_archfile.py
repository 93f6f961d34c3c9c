"""A learner's architecture as YAML/JSON: the schema, round trips, and hostile files.

Every catalog architecture survives ``load(dump(arch))`` unchanged in components,
dependencies, features, partitions, scenarios and exact availability; every mistake in a
file is a prompt, small LabkitError naming where it is (``components[2].availability``).
"""

from __future__ import annotations

import json
import math
import re
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from labkit import LabkitError, analysis, catalog
from labkit.archfile import (EXAMPLES_DIR, MAX_TEXT_CHARS, dump_architecture, example_path,
                             load_architecture, save_architecture)
from labkit.failures import single_points_of_failure
from labkit.model import Architecture

from strategies import architectures

PROMPT_SECONDS = 5.0
SMALL_MEMORY = 64 * 2**20


# Built lazily, one per test, so a catalog change breaks only the tests of what it changed.
CATALOG = {
    "monolith": lambda: catalog.monolith(),
    "monolith, own numbers": lambda: catalog.monolith(0.9, 0.99, 0.5),
    "replicated monolith 1": lambda: catalog.replicated_monolith(1),
    "replicated monolith 3": lambda: catalog.replicated_monolith(3),
    "replicated monolith 10": lambda: catalog.replicated_monolith(10),
    "detail page": lambda: catalog.detail_page(True),
    "detail page, all hard": lambda: catalog.detail_page(False),
    "4 cells": lambda: catalog.cells(),
    "1 cell": lambda: catalog.cells(1),
    "6 cells in 3 regions": lambda: catalog.cells(6, ("web", "db"), regions=3),
    "8 cells, regions, waves, shared db": lambda: catalog.cells(8, regions=2, deploy_waves=2,
                                                                shared_database=True),
    "5 cells by customer": lambda: catalog.cells(5, customers=[f"c{i}" for i in range(50)], seed=3),
    "ring sized": lambda: catalog.ring_sized(),
    "ring, event-driven": lambda: catalog.ring(2, 2),
    "plain sharding": lambda: catalog.sharded_workers(8, 2, "plain"),
    "shuffle sharding": lambda: catalog.sharded_workers(6, 2, "shuffle"),
    "monolith in cells": lambda: catalog.in_cells(catalog.monolith()),
    "replicated monolith in cells": lambda: catalog.in_cells(catalog.replicated_monolith(2), 2),
    "detail page cells": lambda: catalog.detail_page_cells(),
    "detail page cells, all hard": lambda: catalog.detail_page_cells(2, graceful=False),
    "my shop": lambda: load_architecture("my_shop.yaml"),
}


def assert_same(a: Architecture, b: Architecture) -> None:
    assert b.name == a.name and b.description == a.description
    assert sorted(b.components) == sorted(a.components)
    for name in a.components:
        assert b.component(name) == a.component(name), name
    assert sorted(b.edges()) == sorted(a.edges())
    assert sorted(b.queues()) == sorted(a.queues())
    assert b.features == a.features and list(b.features) == list(a.features)
    assert b.partitions == a.partitions and b.scenarios == a.scenarios
    before, after = analysis.feature_availability(a), analysis.feature_availability(b)
    assert before.keys() == after.keys()
    for feature, value in before.items():
        # The same structure; only the BDD's variable order may change with the order the
        # components were added, which can move the last bit of a float.
        assert math.isclose(after[feature], value, rel_tol=1e-13, abs_tol=1e-15), feature


# ------------------------------------------------------------------ the shipped example


def test_my_shop_is_the_documented_example():
    shop = load_architecture("my_shop.yaml")
    assert shop.name == "my shop"
    assert shop.components == ["web", "api", "db", "cache", "payments", "zone-a"]
    assert shop.feature_names == ["browse", "checkout"]
    assert shop.dependencies("api", "soft") == ["cache"]
    assert shop.dependents("zone-a") == ["web", "api", "cache", "payments"]
    assert shop.component("db").availability == 4380 / 4382
    # Hand-worked: zone x web x api x db x payments (api -> payments is hard; the cache is soft).
    by_hand = 0.9999 * 0.9995 * 0.999 * (4380 / 4382) * (1440 / 1441)
    for feature in shop.feature_names:
        assert math.isclose(analysis.availability(shop, feature), by_hand, rel_tol=1e-14)
        assert math.isclose(analysis.brute_force_availability(shop, feature), by_hand, rel_tol=1e-12)
    assert single_points_of_failure(shop, "checkout") == ["web", "api", "db", "payments", "zone-a"]


def test_example_ships_inside_the_package():
    assert example_path() == EXAMPLES_DIR / "my_shop.yaml"
    assert (EXAMPLES_DIR / "my_shop.yaml").is_file()
    with pytest.raises(LabkitError, match=r"^name='nope.yaml' is not allowed"):
        example_path("nope.yaml")


def test_a_file_in_the_working_directory_wins_over_the_example(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_shop.yaml").write_text("name: mine\ncomponents: [{name: solo}]\n")
    assert load_architecture("my_shop.yaml").name == "mine"
    assert load_architecture(tmp_path / "my_shop.yaml").components == ["solo"]


def test_default_name_comes_from_the_file(tmp_path):
    path = tmp_path / "corner_shop.json"
    path.write_text(json.dumps({"components": [{"name": "app"}]}))
    arch = load_architecture(path)
    assert arch.name == "corner shop" and arch.availability_of("app") == 1.0
    assert load_architecture({"components": [{"name": "app"}]}).name == "architecture"


def test_every_schema_field_reaches_the_model():
    arch = load_architecture("""
name: full
description: every field
components:
  - {name: a, availability: 0.99, kind: load balancer, capacity: 100, latency_ms: 2.5,
     description: the front, pos: [0, 0]}
  - {name: b1, mtbf: 99, mttr: 1, kind: worker}
  - {name: b2, mtbf: 99, mttr: 1, kind: worker, capacity: .inf}
  - {name: c, kind: cache}
groups:
  - {name: b, members: [b1, b2], k: 1, description: either worker, pos: [0, 1]}
failure_domains:
  - {name: zone, members: [b1], availability: 0.999, description: one zone}
  - {name: db, members: [b2], mtbf: 999, mttr: 1, kind: database}
dependencies:
  - {from: a, to: b}
  - {from: a, to: c, kind: soft}
features:
  - {name: f1, requires: [a], description: all of it}
  - {name: f2, requires: [b]}
partitions: {f1: 0.25, f2: 0.75}
scenarios:
  - {name: zone out, crashes: [zone], description: bye}
""")
    a = arch.component("a")
    assert (a.availability, a.kind, a.capacity, a.latency_ms, a.description, a.pos) == \
        (0.99, "load balancer", 100, 2.5, "the front", (0, 0))
    assert arch.component("b1").availability == 0.99 and arch.component("b2").capacity == math.inf
    assert arch.component("c").availability == 1.0
    assert arch.component("b").k == 1 and arch.dependencies("b", "member") == ["b1", "b2"]
    assert arch.component("zone").kind == "domain" and arch.dependencies("b1") == ["zone"]
    assert arch.component("db").kind == "database" and arch.availability_of("db") == 0.999
    assert arch.dependencies("a", "soft") == ["c"] and arch.dependencies("a", "hard") == ["b"]
    assert arch.partitions == {"f1": 0.25, "f2": 0.75}
    assert arch.scenarios["zone out"].crashes == ("zone",)
    # b works when (b1 and zone) or (b2 and db): parallel of two series.
    up1, up2 = 0.99 * 0.999, 0.99 * 0.999
    assert math.isclose(analysis.availability(arch, "f2"), 1 - (1 - up1) * (1 - up2), rel_tol=1e-14)


def test_nested_groups_and_domains_load_in_any_order():
    arch = load_architecture({
        "components": [{"name": "x"}, {"name": "y"}],
        "groups": [{"name": "outer", "members": ["inner", "y"], "k": 2},
                   {"name": "inner", "members": ["zone"], "k": 1}],
        "failure_domains": [{"name": "zone", "members": ["x"], "availability": 0.5}],
    })
    assert arch.dependencies("outer", "member") == ["inner", "y"]
    assert analysis.availability(arch, None) == 0.5


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", CATALOG)
def test_round_trip_through_a_dict(name):
    arch = CATALOG[name]()
    data = dump_architecture(arch)
    again = load_architecture(data)
    assert_same(arch, again)
    assert dump_architecture(again) == data  # a fixed point


@pytest.mark.parametrize("name", CATALOG)
def test_round_trip_through_yaml_and_json_text(name):
    arch = CATALOG[name]()
    data = dump_architecture(arch)
    assert_same(arch, load_architecture(yaml.safe_dump(data, sort_keys=False)))
    assert_same(arch, load_architecture(json.dumps(data, allow_nan=False)))


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_round_trip_through_files(tmp_path, suffix):
    for arch in (catalog.cells(4, regions=2, deploy_waves=2, shared_database=True),
                 load_architecture("my_shop.yaml")):
        path = save_architecture(arch, tmp_path / f"arch{suffix}")
        assert_same(arch, load_architecture(path))
        assert_same(arch, load_architecture(str(path)))


def test_exact_availability_is_bit_for_bit_where_the_order_survives():
    archs = [build() for build in CATALOG.values()]
    exact = [a.name for a in archs if analysis.feature_availability(a)
             == analysis.feature_availability(load_architecture(dump_architecture(a)))]
    assert len(exact) >= len(archs) - 3, exact


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(architectures())
def test_round_trip_random_architectures(arch):
    assert_same(arch, load_architecture(dump_architecture(arch)))


def test_mtbf_is_kept_rather_than_its_availability():
    arch = Architecture("m").add_component("db", mtbf=4380, mttr=2)
    entry = dump_architecture(arch)["components"][0]
    assert entry["mtbf"] == 4380 and entry["mttr"] == 2 and "availability" not in entry


def test_dump_leaves_defaults_out():
    entry = dump_architecture(Architecture("d").add_component("app"))["components"][0]
    assert entry == {"name": "app", "availability": 1.0, "kind": "service"}


# ------------------------------------------------------------------ mistakes, by hand


def shop(**changes):
    """A valid file as a dict, with some parts replaced."""
    data = {"name": "shop",
            "components": [{"name": "web", "availability": 0.999},
                           {"name": "api", "availability": 0.999},
                           {"name": "db", "availability": 0.9995, "kind": "database"}],
            "dependencies": [{"from": "web", "to": "api"}, {"from": "api", "to": "db"}],
            "features": [{"name": "browse", "requires": ["web"]}]}
    data.update(changes)
    return data


def refused(source) -> str:
    with pytest.raises(LabkitError) as excinfo:
        load_architecture(source)
    message = str(excinfo.value)
    assert "is not allowed:" in message and len(message) < 1200, message
    return message


def component(**fields):
    return shop(components=[{"name": "web", **fields}], dependencies=[],
                features=[{"name": "browse", "requires": ["web"]}])


@pytest.mark.parametrize("value", [1.5, -0.1, float("nan"), float("inf"), "0.9", None, True,
                                   10**400, [0.9], {"a": 1}])
def test_availability_outside_zero_one_names_the_field(value):
    message = refused(component(availability=value))
    assert message.startswith("components[0].availability="), message
    assert "between 0 and 1" in message


@pytest.mark.parametrize("data, path, words", [
    (shop(compnents=[]), "compnents", "did you mean 'components'"),
    ({"name": "x"}, "architecture", "missing the field 'components'"),
    (shop(components=[]), "components", "at least one"),
    (shop(components="web, api"), "components", "list of components"),
    (shop(components=[{"availability": 0.9}]), "components[0]", "missing the field 'name'"),
    (shop(components=[{"name": "web", "availabilty": 0.9}]), "components[0].availabilty",
     "did you mean 'availability'"),
    (component(mtbf=100), "components[0]", "mtbf and mttr go together"),
    (component(availability=0.9, mtbf=10, mttr=1), "components[0].mtbf", "not both"),
    (component(mtbf=-5, mttr=1), "components[0].mtbf", "above 0"),
    (component(mtbf=5, mttr=float("nan")), "components[0].mttr", "at least 0"),
    (component(kind="mainframe"), "components[0].kind", "'service'"),
    (component(kind="group"), "components[0].kind", "'service'"),
    (component(capacity=0), "components[0].capacity", "above 0"),
    (component(capacity="fast"), "components[0].capacity", "requests per second"),
    (component(capacity=float("-inf")), "components[0].capacity", "above 0"),
    (component(latency_ms=-1), "components[0].latency_ms", "milliseconds"),
    (component(pos=[1]), "components[0].pos", "two numbers"),
    (component(pos=[1, "a"]), "components[0].pos[1]", "finite number"),
    (component(description=5), "components[0].description", "text"),
    (component(name="x" * 300), "components[0].name", "1 to 200"),
    (component(name="   "), "components[0].name", "not only spaces"),
    (component(name=False), "components[0].name", "quotes"),
    (component(mtbf="1e6", mttr=1), "components[0].mtbf", "YAML reads 1e6 as text"),
    (shop(components=[{"name": "web"}, {"name": "web"}]), "components[1].name",
     "components[0] has it"),
    (shop(failure_domains=[{"name": "web", "members": ["api"]}]), "failure_domains[0].name",
     "components[0] has it"),
    (shop(dependencies=[{"from": "web", "to": "dbb"}]), "dependencies[0].to", "did you mean 'db'"),
    (shop(dependencies=[{"from": "web"}]), "dependencies[0]", "missing the field 'to'"),
    (shop(dependencies=[{"from": "web", "to": "db", "kind": "medium"}]), "dependencies[0].kind",
     "'soft'"),
    (shop(dependencies=[{"from": "web", "to": "api"}, {"from": "api", "to": "web"}]),
     "dependencies[1]", "cycle"),
    (shop(dependencies=[{"from": "web", "to": "web"}]), "dependencies[0]", "cycle"),
    (shop(dependencies=[{"from": "web", "to": "api"}, {"from": "web", "to": "api"}]),
     "dependencies[1]", "already exists"),
    (shop(dependencies={"from": "web", "to": "api"}), "dependencies", "list of dependencies"),
    (shop(groups=[{"name": "g", "members": ["web", "api"], "k": 3}]), "groups[0].k", "1 to 2"),
    (shop(groups=[{"name": "g", "members": ["web", "nope"]}]), "groups[0].members[1]",
     "expected a component"),
    (shop(groups=[{"name": "g", "members": "web"}]), "groups[0].members", "list of component"),
    (shop(groups=[{"name": "g1", "members": ["g2"]}, {"name": "g2", "members": ["g1"]}]),
     "groups[0].members[0]", "cycle"),
    (shop(groups=[{"name": "g", "members": ["web", "web"]}]), "groups[0].members",
     "only once"),
    (shop(groups=[{"name": "g", "members": ["web"]}],
          dependencies=[{"from": "g", "to": "db"}]), "dependencies[0].from", "replica group"),
    (shop(features=[{"name": "f", "requires": ["ghost"]}]), "features[0].requires[0]",
     "expected a component"),
    (shop(features=[{"name": "f", "requires": []}]), "features[0].requires", "at least one"),
    (shop(features=[{"name": "f", "requires": ["web"]}, {"name": "f", "requires": ["db"]}]),
     "features[1].name", "used once"),
    (shop(partitions={"browse": 0.5}), "partitions", "add up to 1"),
    (shop(partitions={"checkout": 1.0}), "partitions.checkout", "expected a feature"),
    (shop(partitions={"browse": "all"}), "partitions.browse", "share between 0 and 1"),
    (shop(partitions=[0.5]), "partitions", "mapping of feature name"),
    (shop(scenarios=[{"name": "s", "crashes": ["nope"]}]), "scenarios[0].crashes[0]",
     "expected a component"),
    (shop(groups=[{"name": "g", "members": ["web"]}], scenarios=[{"name": "s", "crashes": ["g"]}]),
     "scenarios[0].crashes", "replica group cannot crash"),
    (shop(scenarios=[{"name": "s", "crashes": ["db"]}, {"name": "s", "crashes": ["db"]}]),
     "scenarios[1].name", "already exists"),
    (shop(name=42), "name", "quotes"),
    (shop(queues=[{"from": "web", "to": "db", "deadline": 0}]), "queues[0].deadline", "above 0"),
    (shop(queues=[{"from": "web", "to": "db", "deadline": 5, "per_request": -1}]),
     "queues[0].per_request", "above 0"),
    (shop(queues=[{"from": "web", "to": "ghost", "deadline": 5}]), "queues[0].to",
     "expected a component"),
    (shop(queues=[{"from": "web", "to": "db"}]), "queues[0]", "missing the field 'deadline'"),
    (shop(queues=[{"from": "db", "to": "web", "deadline": 5}]), "queues[0]", "cycle"),
    (shop(groups=[{"name": "g", "members": ["db"]}],
          queues=[{"from": "g", "to": "web", "deadline": 5}]), "queues[0].from", "replica group"),
    ({1: "x", "components": []}, "architecture", "field names that are text"),
])
def test_each_mistake_names_its_place(data, path, words):
    message = refused(data)
    assert message.startswith(f"{path}="), message
    assert words in message, message


def test_refusals_leave_no_half_built_state_behind():
    # A refused load returns nothing; loading the valid file afterwards is unaffected.
    refused(shop(dependencies=[{"from": "web", "to": "api"}, {"from": "api", "to": "web"}]))
    assert load_architecture(shop()).edges() == [("web", "api", "hard"), ("api", "db", "hard")]


@pytest.mark.parametrize("text, words", [
    ("components: [", "expected valid YAML"),
    ("components:\n  - name: web\n\tavailability: 0.9", "expected valid YAML"),
    ('{"components": [}', "expected valid JSON"),
    ("--- {}\n--- {}\n", "expected valid YAML"),
    ("!!python/object:os.system {}", "expected valid YAML"),
    ("[" * 100_000 + "]" * 100_000, "nested less deeply"),
    ("{" * 100_000, "nested less deeply"),
    ("components: [{name: a, availability: 1" + "0" * 5000 + "}]", "expected valid YAML"),
    ("? [a, b]\n: c\n", "expected valid YAML"),
    ("", "expected a mapping"),
    ("just words", "expected a mapping"),
    ("- a\n- b\n", "expected a mapping"),
    ("components: [{name: a, availability: 1e-3}]", "YAML reads 1e6 as text"),
    ("components: [{name: no}]", "quotes"),
    ("components: [{name: 2024-01-01}]", "quotes"),
])
def test_malformed_text_is_a_labkit_error(text, words):
    message = refused(text)
    assert words in message, message


def test_yaml_errors_say_where():
    message = refused("name: x\ncomponents:\n  - {name: a\n")
    assert message.startswith("source='name: x\\ncomponents:")
    assert message.endswith("expected valid YAML (expected ',' or '}', but got '<stream end>' at "
                            "line 4, column 1)"), message
    message = refused('{"components": [}')
    assert message == ("""source='{"components": [}' is not allowed: expected valid JSON """
                       "(Expecting value at line 1, column 17)"), message
    assert refused("[" * 100_000).startswith("source='[[[[[[[[")


def test_json_file_errors_say_where(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.json").write_text('{"components": [{"name": "a",}]}')
    message = refused("bad.json")
    assert message.startswith("source='bad.json' is not allowed")
    assert message.endswith("expected valid JSON (Expecting property name enclosed in double "
                            "quotes at line 1, column 30)"), message


@pytest.mark.parametrize("source, words", [
    (None, "expected a path"), (42, "expected a path"), (["components"], "expected a path"),
    ("missing_file.yaml", "expected an existing file"),
    (b"\xff\xfe", "UTF-8"), ("bad\0name.yaml", "existing file"),
])
def test_sources_that_are_not_architectures(source, words):
    message = refused(source)
    assert message.startswith("source=") and words in message, message


def test_text_that_is_not_a_mapping_names_the_architecture():
    assert refused("shop.txt").startswith("architecture='shop.txt' is not allowed: expected a "
                                          "mapping with the fields name, description, components")


def test_a_missing_file_lists_the_examples():
    message = refused("missing_file.yaml")
    assert message == ("source='missing_file.yaml' is not allowed: expected an existing file "
                       "(not found here nor among labkit's examples: my_shop.yaml, photo_site.yaml)")


def test_files_that_are_not_architectures(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, content, words in (
            ("folder.yaml", None, "expected an existing file"),
            ("binary.yaml", b"\xff\xfe\x00bad", "expected UTF-8 text (invalid start byte at byte 0)"),
            ("notes.txt", b"components: []", "expected a file ending in .yaml, .yml or .json"),
            ("big.yaml", b"#" * (MAX_TEXT_CHARS + 1), f"expected a file of at most {MAX_TEXT_CHARS:,} characters")):
        path = tmp_path / name
        if content is None:
            path.mkdir()
        else:
            path.write_bytes(content)
        message = refused(Path(name))
        assert message.startswith(f"source={name!r} is not allowed: {words}"), message
    # one character under the limit is fine, in a file as in text
    (tmp_path / "fits.yaml").write_text("components: [{name: a}]\n#" + "x" * (MAX_TEXT_CHARS - 26))
    assert load_architecture(tmp_path / "fits.yaml").components == ["a"]


# --------------------------------------------------------- huge and hostile, measured


def measured(run):
    tracemalloc.start()
    start = time.perf_counter()
    try:
        return run()
    finally:
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert seconds < PROMPT_SECONDS, f"took {seconds:.1f} s"
        assert peak < SMALL_MEMORY, f"allocated {peak / 2**20:.0f} MiB"


def refused_promptly(source, path_prefix: str = "") -> str:
    def run():
        with pytest.raises(LabkitError) as excinfo:
            load_architecture(source)
        return str(excinfo.value)
    message = measured(run)
    assert message.startswith(path_prefix) and "is not allowed:" in message, message[:300]
    assert len(message) < 1200
    return message


def test_ten_megabyte_text_is_refused_before_parsing():
    refused_promptly("components: [" + "x" * 10_000_000 + "]", "source=")
    refused_promptly("x" * (MAX_TEXT_CHARS + 1), "source=")


def test_ten_megabyte_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("# " + "x" * 10_000_000)
    message = refused_promptly(path, "source=")
    assert "at most" in message


def test_ten_megabyte_strings_inside_a_dict():
    huge = "x" * 10_000_000
    refused_promptly(component(name=huge), "components[0].name=")
    refused_promptly(component(description=huge), "components[0].description=")
    refused_promptly(shop(dependencies=[{"from": "web", "to": huge}]), "dependencies[0].to=")
    refused_promptly({huge: 1, "components": []}, "architecture=")
    refused_promptly(shop(components=[{"name": "web", huge: 1}]), "components[0]=")


def test_huge_counts_are_refused_without_building():
    refused_promptly(shop(components=[{"name": "a"}] * 10_001), "components=")
    refused_promptly(shop(dependencies=[{"from": "web", "to": "api"}] * 100_001), "dependencies=")
    refused_promptly(shop(features=[{"name": "f", "requires": ["web"]}] * 10_001), "features=")


def test_alias_bomb_stays_small():
    # "Billion laughs": aliases share one object, so parsing is cheap; the names repeat, so
    # the model refuses the second copy at once.
    refused_promptly("components: [&a {name: x, availability: 0.5}, " + ", ".join(["*a"] * 9000)
                     + "]", "components[1].name=")
    # 10^10 leaves if expanded; the message shows a bounded picture of it.
    bomb = ["description:", "  - &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        bomb.append(f"  - &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    bomb.append("components: [{name: a}]")
    message = refused_promptly("\n".join(bomb), "description=")
    assert len(message) < 400


def test_recursive_yaml_is_refused():
    refused_promptly("components: &c [*c]", "components[0]=")
    refused_promptly("components: [{name: a, pos: &p [1, *p]}]", "components[0].pos[1]=")


def test_deep_nesting_in_a_dict_is_not_walked():
    deep = []
    for _ in range(100_000):
        deep = [deep]
    refused_promptly(shop(features=deep), "features[0]=")
    refused_promptly(component(pos=deep), "components[0].pos=")


# A recursive strategy for JSON-like junk: what a parser (or a learner) could produce.
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.sampled_from([10**400, -10**400, 2**64, -1, 0]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["", "   ", "web", "db", "hard", "soft", "x" * 300, "1e6", "yes"]))
junk = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8) | st.sampled_from(
        ["name", "availability", "members", "from", "to", "requires"]), inner, max_size=4)),
    max_leaves=12)

FIELD_SLOTS = [("components", 0, "availability"), ("components", 1, "capacity"),
               ("components", 2, "latency_ms"), ("components", 0, "mtbf"),
               ("components", 1, "name"), ("components", 2, "kind"), ("components", 0, "pos"),
               ("dependencies", 0, "from"), ("dependencies", 1, "to"), ("dependencies", 0, "kind"),
               ("features", 0, "name"), ("features", 0, "requires")]
SCHEMA_PATH = re.compile(r"^(source|architecture|name|description|components|groups|"
                         r"failure_domains|dependencies|queues|features|partitions|scenarios)"
                         r"(\[\d+\]|\.[^=]+)*[=:]")


class _Path:
    """Matches a message that starts with a place in the schema, or names an unknown
    top-level field (``dependancies=...: unknown field (did you mean 'dependencies'?)``)."""

    @staticmethod
    def match(message: str) -> bool:
        return bool(SCHEMA_PATH.match(message)) or (
            re.match(r"^[^=\[]+=", message) is not None and "is not allowed: unknown field" in message)


PATH = _Path()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(junk)
def test_junk_anywhere_is_a_labkit_error(value):
    for source in (value, {"components": value}, shop(dependencies=value), shop(features=value)):
        try:
            measured(lambda: load_architecture(source))
        except LabkitError as exc:
            assert PATH.match(str(exc)), str(exc)[:300]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FIELD_SLOTS), junk)
def test_junk_in_a_field_names_that_field(slot, value):
    section, index, key = slot
    data = shop()
    data[section] = [dict(entry) for entry in data[section]]
    data[section][index][key] = value
    try:
        measured(lambda: load_architecture(data))
    except LabkitError as exc:
        message = str(exc)
        assert PATH.match(message), message[:300]
        numeric = key in ("availability", "capacity", "latency_ms", "mtbf")
        if numeric and not isinstance(value, (int, float)):  # a wrong type: this field, no other
            assert message.startswith(f"{section}[{index}].{key}="), message[:300]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200) | st.binary(max_size=200))
def test_random_text_is_a_labkit_error_or_an_architecture(text):
    try:
        result = measured(lambda: load_architecture(text))
    except LabkitError as exc:
        assert PATH.match(str(exc)), str(exc)[:300]
    else:
        assert isinstance(result, Architecture)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(architectures(), st.data())
def test_a_dump_with_one_field_spoiled_names_a_path(arch, data):
    dumped = dump_architecture(arch)
    sections = [s for s in ("components", "groups", "dependencies", "features") if dumped.get(s)]
    section = data.draw(st.sampled_from(sections))
    index = data.draw(st.integers(0, len(dumped[section]) - 1))
    key = data.draw(st.sampled_from(sorted(dumped[section][index])))
    dumped[section][index][key] = data.draw(junk)
    try:
        load_architecture(dumped)
    except LabkitError as exc:
        assert PATH.match(str(exc)), str(exc)[:300]


# -------------------------------------------------------------------------- saving


def test_save_refuses_bad_paths(tmp_path):
    with pytest.raises(LabkitError, match=r"^path="):
        save_architecture(catalog.monolith(), tmp_path / "arch.txt")
    with pytest.raises(LabkitError, match=r"^path="):
        save_architecture(catalog.monolith(), None)
    with pytest.raises(LabkitError, match=r"^path=.*writable"):
        save_architecture(catalog.monolith(), tmp_path / "no" / "such" / "dir.yaml")
    with pytest.raises(LabkitError, match=r"^arch="):
        save_architecture("monolith", tmp_path / "a.yaml")
    with pytest.raises(LabkitError, match=r"^arch="):
        dump_architecture(None)


def test_a_domain_kind_nobody_depends_on_stays_a_component():
    arch = Architecture("d").add_component("zone", 0.9, kind="domain").add_component("app")
    data = dump_architecture(arch)
    assert [c["name"] for c in data["components"]] == ["zone", "app"]
    assert "failure_domains" not in data
    assert_same(arch, load_architecture(data))
    arch.add_dependency("app", "zone", "soft")  # a soft caller is no member either
    assert "failure_domains" not in dump_architecture(arch)
    assert_same(arch, load_architecture(dump_architecture(arch)))


def test_saved_json_is_indented_for_people(tmp_path):
    text = save_architecture(catalog.monolith(), tmp_path / "m.json").read_text()
    assert text.startswith('{\n  "name": "monolith"') and text.endswith("}\n")


def test_saved_yaml_is_readable(tmp_path):
    text = save_architecture(load_architecture("my_shop.yaml"), tmp_path / "s.yaml").read_text()
    assert "failure_domains:" in text and "zone-a" in text and "!!" not in text


def test_the_densest_file_under_the_limit_loads_promptly():
    # Every pair of 134 components depends one on the other: 8,911 dependencies, each checked
    # for cycles by the model, in just under MAX_TEXT_CHARS of flow-style YAML (the slowest
    # style to parse).
    n = 134
    text = ("components: [" + ",".join(f"{{name: c{i}}}" for i in range(n)) + "]\n"
            "dependencies: [" + ",".join(f"{{from: c{i}, to: c{j}}}" for i in range(n)
                                         for j in range(i + 1, n)) + "]\n")
    assert len(text) <= MAX_TEXT_CHARS
    start = time.perf_counter()  # timed alone: tracemalloc slows the parser tenfold
    arch = load_architecture(text)
    # About a second on an idle 2-core machine; twice the fuzzer's bound leaves room for a
    # machine busy with other work.
    assert time.perf_counter() - start < 2 * PROMPT_SECONDS
    assert len(arch.edges()) == n * (n - 1) // 2


def test_the_schema_in_the_module_docstring_is_a_file_that_loads():
    import textwrap

    import labkit.archfile

    doc = labkit.archfile.__doc__
    block = doc.split("checks that)::\n\n", 1)[1].split("\n\n", 1)[0]
    arch = load_architecture(textwrap.dedent(block))
    assert arch.name == "my shop" and arch.feature_names == ["browse", "mail"]
    assert arch.dependencies("api tier", "member") == ["api-1", "api-2"]
    assert arch.queues() == [("api-1", "mailer", 300.0, 0.1)]
    assert_same(arch, load_architecture(dump_architecture(arch)))
