"""The model layer, piece by piece: what each builder stores, what it refuses and how it says so.

Messages are checked to name the right argument (a learner reads them), and bounds are
checked on both sides (the largest accepted value passes, one more is refused).
"""

from __future__ import annotations

import math

import pytest

from labkit import LabkitError, catalog
from labkit.model import (COMPONENT_KINDS, MAX_COMPONENTS, MAX_DEPENDENCIES, UNSET, Architecture,
                          Component, as_architecture)


def refused(argument: str, call, *args, **kwargs) -> str:
    with pytest.raises(LabkitError) as excinfo:
        call(*args, **kwargs)
    message = str(excinfo.value)
    assert message.startswith(f"{argument}="), message
    assert " is not allowed: " in message, message
    return message


def shop() -> Architecture:
    arch = Architecture("shop", "a small shop")
    arch.add_component("web", 0.99).add_component("db", 0.999).add_component("cache", 0.9)
    return arch.add_dependency("web", "db").add_dependency("web", "cache", "soft")


# ------------------------------------------------------------------------ Component


def test_component_defaults_and_fields():
    c = Component("x")
    assert (c.availability, c.mtbf, c.mttr, c.kind, c.capacity, c.latency_ms, c.k,
            c.description, c.pos) == (1.0, None, None, "service", math.inf, 0.0, None, "", None)
    assert repr(UNSET).startswith("<perfect")


def test_component_from_mtbf_and_mttr():
    assert Component("x", mtbf=99.0, mttr=1.0).availability == 0.99
    assert Component("x", mtbf=5.0, mttr=0.0).availability == 1.0
    # a copy carries its derived availability along without complaint
    from dataclasses import replace
    c = Component("x", mtbf=3.0, mttr=1.0)
    assert replace(c, name="y").availability == 0.75
    assert "not both" in refused("availability", Component, "x", 0.5, mtbf=3.0, mttr=1.0)
    refused("mtbf", Component, "x", mtbf=0.0, mttr=1.0)
    refused("mttr", Component, "x", mtbf=1.0, mttr=-1.0)
    refused("mtbf", Component, "x", mttr=1.0)


@pytest.mark.parametrize("value", [0.0, 1.0, 0.5, 1, 0])
def test_component_availability_bounds_accepted(value):
    assert Component("x", value).availability == value


@pytest.mark.parametrize("value", [-1e-12, 1.0000001, None, "1", float("nan"), True])
def test_component_availability_bounds_refused(value):
    refused("availability", Component, "x", value)


def test_component_other_fields_are_checked():
    refused("name", Component, "")
    refused("name", Component, 5)
    refused("name", Component, "x" * 201)
    assert Component("x" * 200).name == "x" * 200
    assert "expected one of" in refused("kind", Component, "x", kind="server")
    for kind in COMPONENT_KINDS:
        if kind != "group":
            assert Component("x", kind=kind).kind == kind
    refused("description", Component, "x", description=None)
    refused("description", Component, "x", description="d" * 2001)
    assert Component("x", description="d" * 2000).description == "d" * 2000
    refused("capacity", Component, "x", capacity=0)
    refused("capacity", Component, "x", capacity=None)
    assert Component("x", capacity=5).capacity == 5
    refused("latency_ms", Component, "x", latency_ms=-1)
    assert Component("x", latency_ms=0).latency_ms == 0
    refused("k", Component, "x", k=2)
    refused("k", Component, "g", kind="group")
    refused("k", Component, "g", kind="group", k=0)
    assert Component("g", kind="group", k=1).k == 1
    refused("pos", Component, "x", pos=[1, 2])
    refused("pos", Component, "x", pos=(1, 2, 3))
    refused("pos", Component, "x", pos=(1, float("inf")))
    assert Component("x", pos=(1, 2)).pos == (1, 2)


# ---------------------------------------------------------------------- Architecture


def test_architecture_reads_back_what_was_built():
    arch = shop()
    assert repr(arch) == "Architecture('shop', 3 components)"
    assert arch.description == "a small shop"
    assert arch.components == ["web", "db", "cache"] == arch.breakable
    assert arch.edges() == [("web", "db", "hard"), ("web", "cache", "soft")]
    assert arch.dependencies("web") == ["db", "cache"]
    assert arch.dependencies("web", "hard") == ["db"]
    assert arch.dependencies("web", "soft") == ["cache"]
    assert arch.dependents("db") == ["web"]
    assert arch.entry_points == ["web"]
    assert arch.feature_names == ["serve"]
    assert arch.feature().requires == ("web",)
    assert arch.feature("serve").description == "every entry point works"
    assert arch.customer_shares == {"serve": 1.0}
    assert arch.availability_of("cache") == 0.9
    refused("kind", arch.dependencies, "web", "weak")
    refused("name", arch.dependencies, "nope")
    refused("name", arch.dependents, "nope")
    refused("feature", arch.feature, "buy")


def test_every_edit_moves_the_version():
    arch = Architecture("v")
    versions = [arch.version]
    arch.add_component("a"); versions.append(arch.version)
    arch.add_component("b"); versions.append(arch.version)
    arch.add_dependency("a", "b"); versions.append(arch.version)
    arch.add_feature("f", ["a"]); versions.append(arch.version)
    arch.set_partitions({"f": 1.0}); versions.append(arch.version)
    arch.add_scenario("s", ["b"]); versions.append(arch.version)
    arch.add_component("c").add_component("d")
    arch.add_group("g", ["c", "d"]); versions.append(arch.version)
    arch.add_failure_domain("z", ["c"]); versions.append(arch.version)
    arch.add_dependencies("a", ["g"]); versions.append(arch.version)
    assert versions == sorted(set(versions)) and versions[0] == 0


def test_add_refuses_what_is_not_a_component_or_a_group():
    arch = Architecture("a")
    refused("component", arch.add, "web")
    refused("kind", arch.add, Component("g", kind="group", k=1))
    message = refused("details", arch.add_component, "x", colour="red")
    assert "mtbf" in message
    arch.add_component("x")
    assert "already exists" in refused("name", arch.add_component, "x")


def test_dependencies_are_checked():
    arch = shop()
    assert "'db'" in refused("callee", arch.add_dependency, "web", "nope")
    refused("caller", arch.add_dependency, "nope", "web")
    refused("kind", arch.add_dependency, "db", "cache", "member")
    assert "already exists" in refused("dependency", arch.add_dependency, "web", "db")
    assert "cycle" in refused("dependency", arch.add_dependency, "db", "web")
    assert "cycle" in refused("dependency", arch.add_dependency, "db", "db")
    arch.add_group("pair", ["db", "cache"])
    assert "replica group" in refused("caller", arch.add_dependency, "pair", "web")


def test_add_dependencies_is_all_or_nothing():
    arch = shop().add_component("queue")
    before = arch.edges()
    refused("callees", arch.add_dependencies, "queue", ["db", "nope"])
    refused("callees", arch.add_dependencies, "queue", ["db", "db"])
    refused("dependency", arch.add_dependencies, "db", ["queue", "web"])  # db -> web: a cycle
    refused("kind", arch.add_dependencies, "queue", ["db"], "weak")
    assert arch.edges() == before
    arch.add_dependencies("queue", "db")  # one name alone is one callee, not its letters
    assert arch.dependencies("queue") == ["db"]


def test_groups():
    arch = shop()
    arch.add_group("pair", ["db", "cache"], k=2, description="both", pos=(0, 1))
    group = arch.component("pair")
    assert (group.kind, group.k, group.availability, group.description, group.pos) == \
        ("group", 2, 1.0, "both", (0, 1))
    assert arch.dependencies("pair", "member") == ["db", "cache"]
    assert arch.breakable == ["web", "db", "cache"]
    refused("k", arch.add_group, "g2", ["db", "cache"], k=3)
    refused("k", arch.add_group, "g2", ["db", "cache"], k=0)
    refused("members", arch.add_group, "g2", [])
    refused("members", arch.add_group, "g2", ["db", "db"])
    refused("members", arch.add_group, "g2", ["nope"])
    refused("name", arch.add_group, "pair", ["db"])
    refused("name", arch.add_group, " ", ["db"])


def test_failure_domains():
    arch = shop()
    arch.add_failure_domain("zone", ["web", "db"], 0.9999, description="zone a")
    zone = arch.component("zone")
    assert (zone.kind, zone.availability, zone.description) == ("domain", 0.9999, "zone a")
    assert arch.dependencies("web", "hard") == ["db", "zone"]
    arch.add_failure_domain("wave", ["db"], mtbf=9.0, mttr=1.0, kind="service")
    assert arch.availability_of("wave") == 0.9 and arch.component("wave").kind == "service"
    assert arch.component("zone").kind == "domain"
    before = arch.components
    refused("kind", arch.add_failure_domain, "g", ["db"], kind="group")
    refused("availability", arch.add_failure_domain, "d", ["db"], None)
    refused("details", arch.add_failure_domain, "d", ["db"], colour="red")
    assert arch.components == before


def test_features():
    arch = shop()
    arch.add_feature("buy", ["web", "db"], "customers can buy")
    assert arch.feature_names == ["buy"]
    assert arch.feature().name == "buy"
    assert arch.feature("buy").requires == ("web", "db")
    assert arch.feature("buy").description == "customers can buy"
    assert arch.customer_shares == {"buy": 1.0}
    refused("requires", arch.add_feature, "b", [])
    refused("requires", arch.add_feature, "b", ["nope"])
    refused("name", arch.add_feature, "buy", ["web"])
    refused("name", arch.add_feature, "", ["web"])
    refused("description", arch.add_feature, "b", ["web"], 5)
    assert "serve" not in arch.feature_names


def test_partitions():
    arch = shop().add_feature("a", ["web"]).add_feature("b", ["db"])
    arch.set_partitions({"a": 0.25, "b": 0.75})
    assert arch.customer_shares == {"a": 0.25, "b": 0.75}
    arch.set_partitions({"a": 0.1, "b": 0.9 + 5e-10})  # within rounding of 1
    assert "add up to 1" in refused("shares", arch.set_partitions, {"a": 0.5, "b": 0.6})
    refused("shares", arch.set_partitions, {})
    refused("shares", arch.set_partitions, [("a", 1.0)])
    refused("shares", arch.set_partitions, {"c": 1.0})
    refused("shares['a']", arch.set_partitions, {"a": 1.5, "b": -0.5})


def test_scenarios():
    arch = shop()
    arch.add_scenario("outage", ["db", "cache", "db"], "the data tier")
    assert arch.scenarios["outage"].crashes == ("db", "cache")
    assert arch.scenarios["outage"].description == "the data tier"
    refused("name", arch.add_scenario, "outage", ["db"])
    refused("crashes", arch.add_scenario, "none", [])
    refused("crashes", arch.add_scenario, "x", ["nope"])
    arch.add_group("pair", ["db", "cache"])
    assert "cannot crash" in refused("crashes", arch.add_scenario, "y", ["pair"])


def test_with_availability():
    arch = catalog.replicated_monolith(2)
    changed = arch.with_availability({"db": 0.5}, lb=0.25)
    assert (changed.availability_of("db"), changed.availability_of("lb")) == (0.5, 0.25)
    assert (arch.availability_of("db"), arch.availability_of("lb")) == (0.9995, 0.9999)
    assert changed.version > 0 and changed.components == arch.components
    refused("overrides", arch.with_availability, [("db", 0.5)])
    refused("overrides", arch.with_availability, {"nope": 0.5})
    refused("overrides", arch.with_availability, {"app tier": 0.5})
    refused("availability of 'db'", arch.with_availability, {"db": 2})
    mtbf = Architecture("m").add_component("x", mtbf=1.0, mttr=1.0).with_availability(x=0.9)
    assert mtbf.component("x").mtbf is None and mtbf.availability_of("x") == 0.9


def test_copy_is_independent():
    arch = shop().add_feature("f", ["web"]).add_scenario("s", ["db"])
    clone = arch.copy("clone")
    clone.add_component("extra").add_feature("g", ["extra"]).add_scenario("t", ["extra"])
    assert arch.components == ["web", "db", "cache"] and arch.feature_names == ["f"]
    assert list(arch.scenarios) == ["s"] and clone.name == "clone" and arch.copy().name == "shop"
    import copy
    assert copy.deepcopy(arch).components == arch.components


def test_validation_and_as_architecture():
    refused("architecture", as_architecture, "shop")
    refused("arch", as_architecture, None, "arch")
    refused("architecture", Architecture("empty").validate)
    refused("name", Architecture, "")
    refused("description", Architecture, "a", None)
    assert as_architecture(shop()).name == "shop"


def test_unknown_names_list_what_exists():
    arch = Architecture("big")
    assert "has no components yet" in refused("caller", arch.add_dependency, "a", "b")
    for i in range(14):
        arch.add_component(f"c{i}")
    message = refused("callee", arch.add_dependency, "c0", "nope")
    assert "'c11'" in message and "'c12'" not in message and ", ..." in message
    small = shop()
    assert ", ..." not in refused("callee", small.add_dependency, "web", "nope")


def test_sizes_are_bounded_exactly():
    arch = Architecture("big")
    for i in range(MAX_COMPONENTS - 1):
        arch.graph.add_node(f"c{i}", component=Component(f"c{i}"))
    arch.add_component("last")              # the largest accepted size
    assert len(arch.components) == MAX_COMPONENTS
    assert f"at most {MAX_COMPONENTS:,}" in refused("component", arch.add_component, "one more")
    assert "at most" in refused("component", arch.add_group, "g", ["c1"])

    edges = Architecture("edges").add_component("hub").add_component("leaf")
    edges.graph.number_of_edges = lambda: MAX_DEPENDENCIES  # as if full, without 100k edges
    refused("dependency", edges.add_dependency, "leaf", "hub")
    refused("members", edges.add_failure_domain, "zone", ["leaf"])


# Every refusal in the model, with its exact message: the argument it names, the value it
# shows and what it allows (a learner reads these; a mutation that blurs one fails here).
MESSAGES = [
    ('Component("x", kind="server")',
     "kind='server' is not allowed: expected one of 'client', 'service', 'load balancer', 'router', 'database', 'cache', 'queue', 'worker', 'domain', 'group', 'cell'"),
    ('Component("")',
     "name='' is not allowed: expected a non-empty string of at most 200 characters, not only spaces"),
    ('Component("x", description=1)',
     'description=1 is not allowed: expected a string of at most 2000 characters'),
    ('Component("x", 0.6, mtbf=1.0, mttr=1.0)',
     'availability=0.6 is not allowed: give either availability or mtbf and mttr, not both'),
    ('Component("x", capacity=-1)',
     'capacity=-1 is not allowed: expected a finite number above 0'),
    ('Component("x", latency_ms=-1)',
     'latency_ms=-1 is not allowed: expected a finite number of milliseconds, at least 0'),
    ('Component("x", k=2)',
     'k=2 is not allowed: only a replica group has k (use Architecture.add_group)'),
    ('Component("g", kind="group")',
     'k=None is not allowed: expected a whole number of at least 1'),
    ('Component("x", pos=[0, 0])',
     'pos=[0, 0] is not allowed: expected an (x, y) pair of numbers'),
    ('Component("x", pos=(0, "a"))',
     "pos='a' is not allowed: expected a number from -inf to inf"),
    ('Architecture("a").add("x")',
     "component='x' is not allowed: expected a labkit Component"),
    ('Architecture("a").add(Component("g", kind="group", k=1))',
     "kind='group' is not allowed: a replica group needs members: use add_group"),
    ('Architecture("a").add_component("x", colour=1)',
     "details=['colour'] is not allowed: expected Component fields: mtbf, mttr, kind, capacity, latency_ms, description, pos"),
    ('shop().add_component("web")',
     "name='web' is not allowed: a component with this name already exists in 'shop'; names must be unique"),
    ('shop().add_dependency("nope", "db")',
     "caller='nope' is not allowed: expected a component of 'shop': 'web', 'db', 'cache'"),
    ('shop().add_dependency("web", "nope")',
     "callee='nope' is not allowed: expected a component of 'shop': 'web', 'db', 'cache'"),
    ('shop().add_dependency("db", "cache", "weak")',
     "kind='weak' is not allowed: expected one of 'hard', 'soft'"),
    ('shop().add_dependency("web", "db")',
     "dependency='web -> db' is not allowed: this dependency already exists"),
    ('shop().add_dependency("db", "web")',
     "dependency='db -> web' is not allowed: dependencies must not form a cycle (a component cannot depend on itself, directly or through others)"),
    ('grouped().add_dependency("pair", "web")',
     "caller='pair' is not allowed: a replica group only has members; add dependencies to its members instead"),
    ('shop().add_dependencies("web", ["db", "db"])',
     "callees=['db', 'db'] is not allowed: each callee may appear only once"),
    ('shop().add_dependencies("nope", ["db"])',
     "caller='nope' is not allowed: expected a component of 'shop': 'web', 'db', 'cache'"),
    ('shop().add_dependencies("db", ["nope"])',
     "callees='nope' is not allowed: expected a component of 'shop': 'web', 'db', 'cache'"),
    ('shop().add_dependencies("db", ["cache"], "weak")',
     "kind='weak' is not allowed: expected one of 'hard', 'soft'"),
    ('grouped().add_dependencies("pair", ["web"])',
     "caller='pair' is not allowed: a replica group only has members; add dependencies to its members instead"),
    ('shop().add_dependencies("db", 5)',
     'callees=5 is not allowed: expected a name or a list of names (strings)'),
    ('shop().add_group("g", [])',
     'members=[] is not allowed: expected at least one member component'),
    ('shop().add_group("g", ["db", "db"])',
     "members=['db', 'db'] is not allowed: each member may appear only once"),
    ('shop().add_group("g", ["db"], k=2)',
     'k=2 is not allowed: expected a whole number of at least 1 and at most 1'),
    ('shop().add_group("web", ["db"])',
     "name='web' is not allowed: a component with this name already exists in 'shop'; names must be unique"),
    ('shop().add_group(" ", ["db"])',
     "name=' ' is not allowed: expected a non-empty string of at most 200 characters, not only spaces"),
    ('shop().add_group("g", ["nope"])',
     "members='nope' is not allowed: expected a component of 'shop': 'web', 'db', 'cache'"),
    ('shop().add_failure_domain("z", ["db"], kind="group")',
     "kind='group' is not allowed: a failure domain is a component that can fail, not a group"),
    ('shop().add_failure_domain("z", ["db"], colour=1)',
     "details=['colour'] is not allowed: expected Component fields"),
    ('shop().add_failure_domain("z", ["db"], 2.0)',
     'availability=2.0 is not allowed: expected a number between 0 and 1'),
    ('shop().add_feature("", ["web"])',
     "name='' is not allowed: expected a non-empty string of at most 200 characters, not only spaces"),
    ('shop().add_feature("f", [])',
     'requires=[] is not allowed: expected at least one component name'),
    ('shop().add_feature("f", ["nope"])',
     "requires='nope' is not allowed: expected a component of 'shop': 'web', 'db', 'cache'"),
    ('featured().add_feature("buy", ["web"])',
     "name='buy' is not allowed: a feature with this name already exists"),
    ('shop().add_feature("f", ["web"], None)',
     'description=None is not allowed: expected a string of at most 2000 characters'),
    ('featured().set_partitions([])',
     'shares=[] is not allowed: expected a non-empty mapping of feature name to share'),
    ('featured().set_partitions({"x": 1.0})',
     "shares='x' is not allowed: expected feature names from 'buy'"),
    ('featured().set_partitions({"buy": 2.0})',
     "shares['buy']=2.0 is not allowed: expected a number between 0 and 1"),
    ('featured().set_partitions({"buy": 0.5})',
     "shares={'buy': 0.5} is not allowed: shares must add up to 1 (they add up to 0.5)"),
    ('shop().add_scenario("", ["db"])',
     "name='' is not allowed: expected a non-empty string of at most 200 characters, not only spaces"),
    ('shop().add_scenario("s", [])',
     'crashes=[] is not allowed: expected at least one component to crash'),
    ('shop().add_scenario("s", ["nope"])',
     "crashes='nope' is not allowed: expected a component of 'shop': 'web', 'db', 'cache'"),
    ('shop().add_scenario("s", ["db"], 5)',
     'description=5 is not allowed: expected a string of at most 2000 characters'),
    ('shop().add_scenario("s", ["db"]).add_scenario("s", ["db"])',
     "name='s' is not allowed: a scenario with this name already exists"),
    ('grouped().add_scenario("s", ["pair"])',
     "crashes='pair' is not allowed: a replica group cannot crash; crash its members"),
    ('shop().component("nope")',
     "name='nope' is not allowed: expected a component of 'shop': 'web', 'db', 'cache'"),
    ('shop().dependencies("web", "weak")',
     "kind='weak' is not allowed: expected one of 'hard', 'soft', 'member'"),
    ('shop().feature("buy")',
     "feature='buy' is not allowed: expected 'serve' (no features declared)"),
    ('featured().feature("sell")',
     "feature='sell' is not allowed: expected one of 'buy'"),
    ('grouped().with_availability({"pair": 0.5})',
     "overrides='pair' is not allowed: a replica group has no availability of its own; change its members' availability instead"),
    ('shop().with_availability([1])',
     'overrides=[1] is not allowed: expected a mapping of component name to availability'),
    ('shop().with_availability({"db": 2})',
     "availability of 'db'=2 is not allowed: expected a number between 0 and 1"),
    ('shop().with_availability({"nope": 1})',
     "overrides='nope' is not allowed: expected a component of 'shop': 'web', 'db', 'cache'"),
    ('Architecture("empty").validate()',
     "architecture='empty' is not allowed: expected at least one component"),
    ('as_architecture(5)',
     'architecture=5 is not allowed: expected a labkit Architecture (see labkit.catalog)'),
    ('as_architecture(5, "arch")',
     'arch=5 is not allowed: expected a labkit Architecture (see labkit.catalog)'),
    ('Architecture("")',
     "name='' is not allowed: expected a non-empty string of at most 200 characters, not only spaces"),
    ('Architecture("a", 5)',
     'description=5 is not allowed: expected a string of at most 2000 characters'),
]


def _fixtures():
    def grouped():
        return shop().add_group("pair", ["db", "cache"])

    def featured():
        return shop().add_feature("buy", ["web"])

    return {"shop": shop, "grouped": grouped, "featured": featured, "Component": Component,
            "Architecture": Architecture, "as_architecture": as_architecture}


@pytest.mark.parametrize("call, message", MESSAGES, ids=[c for c, _ in MESSAGES])
def test_exact_refusal_messages(call, message):
    with pytest.raises(LabkitError) as excinfo:
        eval(call, _fixtures())
    assert str(excinfo.value) == message


def test_copy_keeps_everything_but_the_cache():
    arch = shop().add_feature("a", ["web"]).add_feature("b", ["db"])
    arch.set_partitions({"a": 0.5, "b": 0.5}).add_scenario("s", ["db"])
    clone = arch.copy()
    assert clone.partitions == {"a": 0.5, "b": 0.5} and list(clone.scenarios) == ["s"]
    assert list(clone.features) == ["a", "b"] and clone.description == "a small shop"
    assert clone.edges() == arch.edges()


def test_long_lists_of_names_are_cut_at_twelve():
    arch = shop()
    for i in range(13):
        arch.add_feature(f"f{i:02d}", ["web"])
    message = refused("feature", arch.feature, "nope")
    assert "'f11'" in message and "'f12'" not in message and message.endswith(", ...")
    message = refused("shares", arch.set_partitions, {"nope": 1.0})
    assert "'f11'" in message and "'f12'" not in message


def test_partition_tolerance_is_one_in_a_billion():
    arch = shop().add_feature("a", ["web"]).add_feature("b", ["db"])
    arch.set_partitions({"a": 0.5, "b": 0.5 + 9e-10})
    refused("shares", arch.set_partitions, {"a": 0.5, "b": 0.5 + 2e-9})


def test_float_capacities_are_checked_too():
    refused("capacity", Component, "x", capacity=-1.0)
    refused("capacity", Component, "x", capacity=0.0)
    refused("capacity", Component, "x", capacity=float("nan"))
    assert Component("x", capacity=math.inf).capacity == math.inf
    assert Component("x", capacity=2.5).capacity == 2.5


def test_dependency_bound_is_exact_for_new_members():
    arch = Architecture("edges").add_component("a").add_component("b")
    arch.graph.number_of_edges = lambda: MAX_DEPENDENCIES - 2
    arch.add_failure_domain("zone", ["a", "b"])   # exactly reaches the bound: accepted
    arch.graph.number_of_edges = lambda: MAX_DEPENDENCIES - 1
    refused("members", arch.add_group, "g", ["a", "b"])
    arch.graph.number_of_edges = lambda: MAX_DEPENDENCIES - 1
    arch.add_dependency("a", "b")                  # the last one that fits


def test_more_refusals_name_their_argument():
    arch = shop()
    assert str(pytest.raises(LabkitError, arch.add_feature, "f", 5).value).startswith("requires=5 ")
    assert str(pytest.raises(LabkitError, arch.add_scenario, "s", 5).value).startswith("crashes=5 ")
    assert str(pytest.raises(LabkitError, arch.add_group, "g", 5).value).startswith("members=5 ")
    arch.add_scenario("outage", ["db"])
    assert arch.scenarios["outage"].name == "outage"
    assert type(Component("x", 1).availability) is float


def test_size_refusals_say_the_limit():
    arch = Architecture("edges").add_component("a").add_component("b")
    arch.graph.number_of_edges = lambda: MAX_DEPENDENCIES
    assert str(pytest.raises(LabkitError, arch.add_group, "g", ["a"]).value) == (
        "members=['a'] is not allowed: an architecture holds at most 100,000 dependencies")
    assert str(pytest.raises(LabkitError, arch.add_dependency, "a", "b").value) == (
        "dependency='a -> b' is not allowed: an architecture holds at most 100,000 dependencies")
    full = Architecture("full")
    for i in range(MAX_COMPONENTS):
        full.graph.add_node(f"c{i}", component=Component(f"c{i}"))
    assert str(pytest.raises(LabkitError, full.add_component, "x").value) == (
        "component='x' is not allowed: an architecture holds at most 10,000 components")


def test_twelve_names_are_listed_without_an_ellipsis():
    arch = Architecture("twelve")
    for i in range(12):
        arch.add_component(f"c{i}").add_feature(f"f{i}", [f"c{i}"])
    assert not refused("callee", arch.add_dependency, "c0", "nope").endswith("...")
    assert not refused("feature", arch.feature, "nope").endswith("...")
