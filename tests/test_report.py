"""The resilience report: numbers by hand and by independent methods, recommendations that
come true when applied, exports, views, and refusals of bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from labkit import LabkitError, analysis, catalog, failures, sharding
from labkit.archfile import dump_architecture, load_architecture
from labkit.formulas import SECONDS_PER_YEAR, downtime_per_year, nines
from labkit.model import Architecture
from labkit.report import (ACTIONS, Recommendation, ResilienceReport, apply, capacity_rows,
                           feature_rows, resilience_report)
from labkit.views.report import report_chart, report_table

from strategies import architectures

MONOLITH = 0.999 * 0.9995 * 0.9995
SHOP_BY_HAND = 0.9999 * 0.9995 * 0.999 * (4380 / 4382) * (1440 / 1441)


def shop():
    return load_architecture("my_shop.yaml")


def find(report, action, target=None):
    for rec in report.recommendations:
        if rec.action == action and (target is None or rec.target == target):
            return rec
    raise AssertionError(f"no {action} {target}: " + "; ".join(
        f"{r.action} {r.target}" for r in report.recommendations))


# ------------------------------------------------------------- numbers checked by hand


def test_monolith_against_the_hand_worked_product():
    report = resilience_report(catalog.monolith(), 0.999)
    assert report.architecture == "monolith" and report.targets == dict.fromkeys(
        ["browse", "buy", "review"], 0.999)
    for row in report.features:
        assert math.isclose(row["availability"], MONOLITH, rel_tol=1e-15)
        assert math.isclose(row["nines"], -math.log10(1 - MONOLITH), rel_tol=1e-9)
        assert math.isclose(row["downtime_per_year_s"], (1 - MONOLITH) * SECONDS_PER_YEAR,
                            rel_tol=1e-9)
        assert row["downtime_per_year"] == "17.51 h"
        assert row["target_nines"] == 3.0 and row["allowed_downtime_per_year_s"] == 31536.0
        assert row["met"] is False
        assert row["single_points_of_failure"] == ["app", "server", "db"]
    assert report.single_points_of_failure["buy"] == ["app", "server", "db"]
    assert math.isclose(report.request_success_ratio, MONOLITH, rel_tol=1e-15)
    met = resilience_report(catalog.monolith(), 0.998)
    assert all(row["met"] for row in met.features)


def test_a_dict_of_targets_sets_only_those_features():
    report = resilience_report(catalog.detail_page(), {"can buy": 0.99, "whole page": 0.999})
    assert report.feature("can buy")["met"] is True
    assert report.feature("whole page")["met"] is False
    assert report.feature("see reviews")["target"] is None
    assert report.feature("see reviews")["met"] is None


def test_my_shop_end_to_end():
    report = resilience_report(load_architecture("my_shop.yaml"), 0.9999)
    for row in report.features:
        assert math.isclose(row["availability"], SHOP_BY_HAND, rel_tol=1e-14)
        assert row["met"] is False
    assert report.single_points_of_failure["browse"] == ["web", "api", "db", "payments", "zone-a"]
    zone = next(r for r in report.blast_radius if r["domain"] == "zone-a")
    assert zone["kind"] == "failure domain" and zone["customers_affected"] == 1.0
    assert zone["features_lost"] == ["browse", "checkout"]
    assert report.recommendations and report.recommendations[0].computed
    assert "# Resilience report: my shop" in report.to_markdown()


def test_recovery_time_against_the_rto():
    report = resilience_report(shop(), 0.999, rto=1)
    # db's mttr (2 h) is the longest among browse's single points of failure.
    assert report.feature("browse")["recovery_time"] == 2
    assert report.feature("browse")["rto_met"] is False
    assert resilience_report(shop(), 0.999, rto=2).feature("browse")["rto_met"] is True
    assert resilience_report(catalog.monolith(), 0.999, rto=1).features[0]["rto_met"] is None


# ------------------------------------------------- the same numbers, independently


INDEPENDENT = {
    "monolith": catalog.monolith, "replicated monolith": lambda: catalog.replicated_monolith(3),
    "detail page": catalog.detail_page, "detail page, all hard": lambda: catalog.detail_page(False),
    "cells": lambda: catalog.cells(4), "cells with regions": lambda: catalog.cells(
        4, ("web", "db"), regions=2, deploy_waves=2, shared_database=True),
    "plain shards": lambda: catalog.sharded_workers(8, 2, "plain"),
    "monolith in cells": lambda: catalog.in_cells(catalog.monolith(), 2), "my shop": shop,
}


@pytest.mark.parametrize("name", INDEPENDENT)
def test_report_agrees_with_brute_force_and_right_now(name):
    arch = INDEPENDENT[name]()
    report = resilience_report(arch, 0.999)
    for row in report.features:
        feature = row["feature"]
        assert math.isclose(row["availability"], analysis.brute_force_availability(arch, feature),
                            rel_tol=1e-12, abs_tol=1e-15)
        assert row["availability"] == analysis.availability(arch, feature)
        assert row["single_points_of_failure"] == failures.single_points_of_failure(arch, feature)
    assert report.blast_radius
    for row in report.blast_radius:
        snapshot = failures.right_now(arch, row["crashed"])
        assert math.isclose(row["customers_affected"], snapshot.blast_radius, abs_tol=1e-12)
        assert row["features_lost"] == [f for f, ok in snapshot.features.items() if not ok]
    assert math.isclose(report.request_success_ratio, analysis.request_success_ratio(arch),
                        rel_tol=1e-14)


def test_blast_radius_of_each_failure_domain():
    arch = catalog.cells(8, regions=2, deploy_waves=4, shared_database=True)
    rows = {r["domain"]: r for r in resilience_report(arch, 0.999).blast_radius}
    assert rows["region1"]["kind"] == "failure domain" and rows["region1"]["customers_affected"] == 0.5
    assert rows["wave1"]["customers_affected"] == 0.25
    assert rows["shared-db"]["kind"] == "shared component"
    assert rows["shared-db"]["customers_affected"] == 1.0 and rows["router"]["customers_affected"] == 1.0
    cells = [r for r in rows.values() if r["kind"] == "cell"]
    assert len(cells) == 8
    # a cell fails as a whole: every component only it uses, its own deploy wave too
    assert rows["cell 1 customers"]["crashed"] == ["cell1-web", "cell1-app", "cell1-db"]
    assert [r["crashed"] for r in resilience_report(catalog.cells(2, deploy_waves=2), 0.9)
            .blast_radius if r["kind"] == "cell"][0] == ["cell1-web", "cell1-app", "cell1-db", "wave1"]
    assert all(r["customers_affected"] == sharding.cell_blast_radius(8) for r in cells)
    assert resilience_report(arch, 0.999).cell_blast_radius == 0.125


# -------------------------------------- recommendations: effects worked out by hand


def test_replica_of_the_monolith_app_goes_on_a_second_server():
    report = resilience_report(catalog.monolith(), 0.999)
    best = report.recommendations[0]
    assert (best.action, best.target, best.params["new_domains"]) == \
        ("add replica", "app", {"server": "server-2"})
    by_hand = (1 - (1 - 0.999 * 0.9995) ** 2) * 0.9995
    assert math.isclose(best.after["availability"]["buy"], by_hand, rel_tol=1e-14)
    db = find(report, "add replica", "db")
    assert math.isclose(db.after["availability"]["buy"], 0.999 * 0.9995 * (1 - 0.0005 ** 2),
                        rel_tol=1e-14)
    assert best.title == "add a replica of app in server-2"
    assert best.why == "app is a single point of failure of browse, buy, review"
    assert best.effect == "; ".join(
        f"{f} 99.8 % -> 99.95 % (saves 13.11 h of downtime a year, meets its target)"
        for f in ("browse", "buy", "review"))
    # ranked by the share of unavailability removed
    assert math.isclose(best.score, 1 - (1 - by_hand) / (1 - MONOLITH), rel_tol=1e-9)
    assert best.score > db.score


def test_replicas_multiply_away_downtime_behind_a_shared_database():
    report = resilience_report(catalog.replicated_monolith(3), 0.9999)
    before = 0.9999 * (1 - 0.001 ** 3) * 0.9995
    assert math.isclose(report.features[0]["availability"], before, rel_tol=1e-14)
    db = find(report, "add replica", "db")
    assert math.isclose(db.after["availability"]["browse"],
                        0.9999 * (1 - 0.001 ** 3) * (1 - 0.0005 ** 2), rel_tol=1e-14)
    assert report.recommendations[0] is db  # the ceiling is the database, not the replicas


def test_make_soft_lets_buying_survive_a_dead_reviews_widget():
    arch = catalog.detail_page(graceful=False)
    report = resilience_report(arch, 0.999)
    rec = find(report, "make soft", "page -> reviews")
    assert rec.params == {"caller": "page", "callee": "reviews"}
    before = report.feature("can buy")["availability"]
    # can buy no longer needs the reviews widget: one factor of 0.999 fewer
    assert math.isclose(rec.after["availability"]["can buy"], before / 0.999, rel_tol=1e-12)
    assert math.isclose(rec.after["availability"]["whole page"],
                        report.feature("whole page")["availability"], rel_tol=1e-12)
    assert apply(arch, rec).dependencies("page", "soft") == ["reviews"]


def test_make_soft_in_my_shop_lets_customers_browse_without_payments():
    report = resilience_report(shop(), 0.9999)
    rec = find(report, "make soft", "api -> payments")
    assert math.isclose(rec.after["availability"]["browse"], SHOP_BY_HAND / (1440 / 1441),
                        rel_tol=1e-13)
    assert math.isclose(rec.after["availability"]["checkout"], SHOP_BY_HAND, rel_tol=1e-13)


def test_recover_faster_uses_mtbf_over_mtbf_plus_rto():
    rec = find(resilience_report(shop(), 0.9999, rto=1), "recover faster", "db")
    assert rec.params == {"component": "db", "mttr": 1}
    assert math.isclose(rec.after["availability"]["browse"],
                        SHOP_BY_HAND / (4380 / 4382) * (4380 / 4381), rel_tol=1e-13)
    assert apply(shop(), rec).component("db").mttr == 1


def test_replicating_the_zone_checked_by_brute_force():
    report = resilience_report(shop(), 0.9999)
    rec = find(report, "add replica", "zone-a")
    assert rec.params["components"] == ["web", "api", "cache", "payments"]
    assert rec.params["new_domains"] == {"zone-a": "zone-b"}
    changed = apply(shop(), rec)
    assert changed.dependents("zone-b") == ["web-2", "api-2", "cache-2", "payments-2"]
    for feature in ("browse", "checkout"):
        assert math.isclose(rec.after["availability"][feature],
                            analysis.brute_force_availability(changed, feature), rel_tol=1e-12)
    assert "zone-a" not in resilience_report(changed, 0.9999).single_points_of_failure["browse"]


def test_add_a_cell_takes_the_blast_radius_from_1_over_n_to_1_over_n_plus_1():
    arch = catalog.cells(4)
    report = resilience_report(arch, 0.999)
    rec = find(report, "add cell")
    assert rec.before["cell_blast_radius"] == sharding.cell_blast_radius(4)
    assert rec.after["cell_blast_radius"] == sharding.cell_blast_radius(5)
    assert math.isclose(rec.score, 1 - 0.2 / 0.25)
    bigger = apply(arch, rec)
    assert len(bigger.customer_shares) == 5 and "cell5-app" in bigger.components
    assert bigger.dependencies("router", "soft")[-1] == "cell5-web"
    assert resilience_report(bigger, 0.999).cell_blast_radius == 0.2


def test_a_new_cell_joins_its_template_s_region():
    arch = catalog.cells(4, ("web", "db"), regions=2)
    rec = find(resilience_report(arch, 0.999), "add cell")
    assert "region1 50 % -> 60 %" in rec.effect
    bigger = apply(arch, rec)
    assert failures.blast_radius(bigger, ["region1"]) == pytest.approx(0.6)


def test_a_monolith_split_into_two_cells():
    rec = find(resilience_report(catalog.monolith(), 0.999), "add cell")
    assert rec.params == {"split": True, "customer_feature": "browse"}
    split = apply(catalog.monolith(), rec)
    assert resilience_report(split, 0.999).cell_blast_radius == 0.5 == rec.after["cell_blast_radius"]
    assert math.isclose(analysis.availability(split, "cell 1: browse"), 0.99999 * MONOLITH,
                        rel_tol=1e-14)


def test_failover_to_the_next_cell():
    arch = catalog.cells(4)
    rec = find(resilience_report(arch, 0.999), "failover")
    cell = 0.999 ** 3
    by_hand = 0.99999 * (1 - (1 - cell) ** 2)
    assert math.isclose(rec.after["availability"]["cell 1 customers"], by_hand, rel_tol=1e-13)
    assert rec.before["cell_blast_radius"] == 0.25 and rec.after["cell_blast_radius"] == 0.0
    assert "poison request" in rec.effect and "headroom" in rec.effect
    changed = apply(arch, rec)
    for plan in rec.params["cells"]:
        assert failures.blast_radius(changed, plan["crash"]) == 0.0
    assert failures.blast_radius(changed, ["cell1-app", "cell2-app"]) == 0.25  # neighbours


def test_n_plus_one_headroom_for_cells():
    arch = catalog.cells(4, tier_capacity=300.0)
    report = resilience_report(arch, 0.999, load=1000)
    pool = next(r for r in report.capacity if r["pool"] == "cells")
    assert pool["count"] == 4 and pool["unit_capacity"] == 300.0
    assert pool["capacity_after_losing_one"] == 900.0 and pool["ok"] is False
    assert math.isclose(pool["needed_per_unit"],
                        sharding.static_stability_capacity(4) * 1000 / 4)
    assert pool["units_needed"] == sharding.cells_needed(1000, 300, spare=1) == 5
    rec = find(report, "add headroom", "cells")
    assert report.recommendations[0] is rec
    assert "or run 5 cells of today's size" in rec.title
    after = resilience_report(apply(arch, rec), 0.999, load=1000)
    pool = next(r for r in after.capacity if r["pool"] == "cells")
    assert math.isclose(pool["capacity_after_losing_one"], 1000.0) and pool["ok"]
    # enough headroom already: nothing to recommend
    assert not any(r.action == "add headroom"
                   for r in resilience_report(arch, 0.999, load=900).recommendations)


def test_a_component_that_cannot_carry_the_peak():
    report = resilience_report(shop(), 0.9999, load=1000)
    api = next(r for r in report.capacity if r["pool"] == "api")
    assert api["ok"] is False and math.isclose(api["shed_at_peak"], 0.1)
    rec = find(report, "add headroom", "api")
    assert apply(shop(), rec).component("api").capacity == 1000


def test_circuit_breakers_are_qualitative_and_say_so():
    report = resilience_report(catalog.cells(4), 0.999)
    rec = find(report, "circuit breaker", "cells")
    assert not rec.computed and rec.score == 0 and rec.effect.startswith("qualitative")
    assert report.recommendations[-1].action == "circuit breaker"
    soft = find(resilience_report(shop(), 0.999), "circuit breaker", "soft dependencies")
    assert "api -> cache" in soft.title
    copy = apply(shop(), soft)
    assert dump_architecture(copy) == dump_architecture(shop())


def test_ranked_by_effect():
    for arch in (catalog.monolith(), catalog.detail_page(False), catalog.cells(4), shop()):
        recs = resilience_report(arch, 0.9999, load=1000).recommendations
        computed = [round(r.score, 9) for r in recs if r.computed]  # ties: by kind of action
        assert computed == sorted(computed, reverse=True)
        assert all(r.computed for r in recs[:len(computed)])
        assert all(0 <= r.score <= 1 for r in recs)
        assert {r.action for r in recs} <= set(ACTIONS)


# ---------------------------------------- every recommendation, applied, comes true


EFFECTS = {
    "monolith": (catalog.monolith, {}),
    "replicated monolith": (lambda: catalog.replicated_monolith(3), {}),
    "detail page, all hard": (lambda: catalog.detail_page(False), {}),
    "cells with capacity": (lambda: catalog.cells(4, tier_capacity=300.0), {"load": 1000}),
    "cells, regions, waves, shared db": (lambda: catalog.cells(
        8, regions=2, deploy_waves=2, shared_database=True), {}),
    "monolith in cells": (lambda: catalog.in_cells(catalog.monolith()), {}),
    "ring": (lambda: catalog.ring(2, 2), {"load": 60_000}),
    "my shop": (shop, {"rto": 1, "load": 1000}),
}


@pytest.mark.parametrize("name", EFFECTS)
def test_every_recommendation_comes_true_when_applied(name):
    build, options = EFFECTS[name]
    arch = build()
    untouched = dump_architecture(arch)
    report = resilience_report(arch, 0.9999, **options)
    assert report.recommendations
    for rec in report.recommendations:
        changed = apply(arch, rec)
        assert dump_architecture(arch) == untouched, f"{rec.title} changed the original"
        if not rec.computed:
            continue
        again = resilience_report(changed, 0.9999, **options)
        for feature, value in rec.after["availability"].items():
            if feature in changed.feature_names:
                assert again.feature(feature)["availability"] == value, (rec.title, feature)
        assert again.request_success_ratio == rec.after["request_success_ratio"], rec.title
        if rec.action == "add cell":
            assert again.cell_blast_radius == rec.after["cell_blast_radius"]
        if rec.action == "failover":
            assert max(failures.blast_radius(changed, p["crash"]) for p in rec.params["cells"]) \
                == rec.after["cell_blast_radius"]
        if rec.action == "add headroom":
            row = next(r for r in again.capacity if r["pool"] == rec.target)
            key = ("unit_capacity" if row["kind"] in ("component", "queue consumer")
                   else "capacity_after_losing_one")
            assert row[key] == rec.after[key] and row["ok"]
        if rec.action in ("add replica", "make soft", "recover faster", "failover"):
            improved = [f for f in report.targets if f in rec.after["availability"]
                        and rec.after["availability"][f] > rec.before["availability"][f]]
            assert improved, rec.title


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(architectures(), st.floats(0.5, 0.999999))
def test_recommendations_on_random_architectures_come_true(arch, target):
    report = resilience_report(arch, target)
    for rec in report.recommendations:
        if not rec.computed:
            continue
        changed = apply(arch, rec)
        again = resilience_report(changed, target)
        for feature, value in rec.after["availability"].items():
            if feature in changed.feature_names:
                assert again.feature(feature)["availability"] == value
                # and the exact value agrees with enumeration, independently of the BDD
                if len(changed.breakable) <= 14:
                    assert math.isclose(value, analysis.brute_force_availability(changed, feature),
                                        rel_tol=1e-9, abs_tol=1e-12)


# ------------------------------------------------------------------------- exports


def test_markdown_json_and_html(tmp_path):
    report = resilience_report(shop(), 0.9999, rto=1, load=1000)
    text = report.to_markdown()
    for heading in ("# Resilience report: my shop", "## Availability against target",
                    "## Blast radius", "## Capacity and N+1 headroom", "## Recommendations"):
        assert heading in text
    for rec in report.recommendations:
        assert rec.title in text
    data = json.loads(report.to_json())
    assert data["features"][0]["feature"] == "browse"
    assert data["recommendations"][0]["title"] == report.recommendations[0].title
    for suffix in (".md", ".json", ".html"):
        path = report.save(tmp_path / f"report{suffix}")
        assert path.read_text().strip()
    assert json.loads((tmp_path / "report.json").read_text()) == data
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_a_perfect_feature_exports_without_infinity():
    arch = Architecture("perfect").add_component("app")
    report = resilience_report(arch, 0.999)
    assert report.features[0]["nines"] == math.inf and report.features[0]["met"] is True
    data = json.loads(report.to_json())
    assert data["features"][0]["nines"] is None
    assert "∞" in report.to_markdown()


def test_html_escapes_names():
    arch = Architecture("<script>x</script>").add_component("<b>app</b>", 0.99)
    page = resilience_report(arch, 0.999).to_html()
    assert "<script>x" not in page and "&lt;script&gt;" in page and "&lt;b&gt;app" in page


@pytest.mark.parametrize("path", ["report.pdf", None, 42, "no/such/folder/report.md"])
def test_save_refuses_bad_paths(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LabkitError) as excinfo:
        resilience_report(catalog.monolith(), 0.999).save(path)
    assert str(excinfo.value).startswith("path=")


# --------------------------------------------------------------------------- views


def test_report_table_and_chart():
    report = resilience_report(shop(), 0.9999, load=1000)
    table = report_table(report)
    assert [row["feature"] for row in table.rows] == ["browse", "checkout"]
    assert table.rows[0]["met"] == "NO" and "<table>" in table._repr_html_()
    for part in ("recommendations", "blast radius", "capacity"):
        assert report_table(report, part).rows
    assert report_table(resilience_report(shop(), 0.9999), "capacity").rows == [{"capacity": "none"}]
    spec = report_chart(report).to_dict()
    assert len(spec["hconcat"]) == 2
    text = json.dumps(spec)
    assert "browse" in text and "zone-a" in text


def test_views_refuse_what_is_not_a_report():
    report = resilience_report(catalog.monolith(), 0.999)
    for call, argument in ((lambda: report_table(None), "report"),
                           (lambda: report_table(report, "everything"), "part"),
                           (lambda: report_chart("report"), "report"),
                           (lambda: report_chart(report, width=5), "width")):
        with pytest.raises(LabkitError) as excinfo:
            call()
        assert str(excinfo.value).startswith(f"{argument}=")


# ---------------------------------------------------------------------- refusals


@pytest.mark.parametrize("targets, argument", [
    (0, "targets"), (1, "targets"), (1.0, "targets"), (1.5, "targets"), (-0.1, "targets"),
    (float("nan"), "targets"), (float("inf"), "targets"), (True, "targets"), ("0.99", "targets"),
    (None, "targets"), (10**400, "targets"), ([0.99], "targets"), ({}, "targets"),
    ({"checkout": 0.99}, "targets"), ({"buy": 1.0}, "targets['buy']"),
    ({"buy": None}, "targets['buy']"), ({"buy": float("nan")}, "targets['buy']"),
])
def test_targets_outside_zero_one_are_refused(targets, argument):
    with pytest.raises(LabkitError) as excinfo:
        resilience_report(catalog.monolith(), targets)
    message = str(excinfo.value)
    assert message.startswith(f"{argument}=") and "is not allowed" in message, message


@pytest.mark.parametrize("option", ["rto", "load"])
@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), "1", True, 10**400])
def test_rto_and_load_are_checked(option, value):
    with pytest.raises(LabkitError) as excinfo:
        resilience_report(catalog.monolith(), 0.999, **{option: value})
    assert str(excinfo.value).startswith(f"{option}=")


def test_apply_refuses_what_does_not_fit():
    report = resilience_report(catalog.monolith(), 0.999)
    with pytest.raises(LabkitError, match=r"^recommendation="):
        apply(catalog.monolith(), "add a replica")
    with pytest.raises(LabkitError, match=r"^arch="):
        apply(None, report.recommendations[0])
    with pytest.raises(LabkitError, match=r"^arch="):
        resilience_report("monolith", 0.999)
    with pytest.raises(LabkitError, match=r"^recommendation=.*another architecture"):
        apply(catalog.cells(2), report.recommendations[0])
    forged = Recommendation("make soft", "a -> b", "t", "w", "e", 0.1, True,
                            params={"caller": "app", "callee": "nope"})
    with pytest.raises(LabkitError, match=r"^recommendation="):
        apply(catalog.monolith(), forged)
    odd = Recommendation("paint it blue", "x", "t", "w", "e", 0.1, True)
    with pytest.raises(LabkitError, match=r"^recommendation="):
        apply(catalog.monolith(), odd)


def test_report_is_plain_data():
    report = resilience_report(catalog.cells(2), 0.999)
    assert isinstance(report, ResilienceReport)
    data = report.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert report.recommendations[0].to_dict()["action"] in ACTIONS
    assert downtime_per_year(report.features[0]["availability"]) == \
        report.features[0]["downtime_per_year_s"]
    assert nines(report.features[0]["availability"]) == report.features[0]["nines"]


def test_headroom_raises_what_serves_requests_not_queue_consumers():
    arch = catalog.ring(2, 2)  # 4 cells of 12,000 req/s; transcode and notify behind queues
    rec = find(resilience_report(arch, 0.9999, load=60_000), "add headroom", "cells")
    assert rec.params["capacity"] == pytest.approx(60_000 / 3)
    changed = apply(arch, rec)
    assert changed.component("cell1-api").capacity == pytest.approx(20_000)
    assert changed.component("cell1-transcode").capacity == arch.component("cell1-transcode").capacity
    assert changed.queues() == arch.queues()


# ------------------------------------------- the changed architectures, in detail


def test_a_new_cell_is_a_faithful_copy_of_its_template():
    arch = catalog.cells(4, deploy_waves=4)
    bigger = apply(arch, find(resilience_report(arch, 0.999), "add cell"))
    rename = lambda name: name.replace("cell1", "cell5").replace("wave1", "wave1 (cell 5)")  # noqa: E731
    template = [e for e in arch.edges() if "cell1" in e[0] + e[1] or e[1] == "wave1"]
    assert sorted(e for e in bigger.edges() if "cell5" in e[0] + e[1]) == \
        sorted((rename(a), rename(b), k) for a, b, k in template)
    assert [f for f in bigger.feature_names if f not in arch.feature_names] == ["cell 5 customers"]
    assert bigger.feature("cell 5 customers").requires == ("router", "cell5-web")
    assert bigger.customer_shares == {f"cell {i} customers": 0.2 for i in range(1, 6)}
    assert analysis.availability(bigger, "cell 5 customers") == \
        analysis.availability(arch, "cell 1 customers")
    assert bigger.component("cell5-app").pos == (4, 2)        # where a fifth cell goes
    assert bigger.component("wave1 (cell 5)").kind == "domain"


def test_a_new_cell_copies_groups_domains_and_queues_of_its_own():
    arch = catalog.in_cells(catalog.replicated_monolith(2), 2)
    bigger = apply(arch, find(resilience_report(arch, 0.999), "add cell"))
    assert bigger.dependencies("cell3-app tier", "member") == ["cell3-app-1", "cell3-app-2"]
    assert bigger.dependencies("cell3-lb") == ["cell3-app tier"]
    split = catalog.in_cells(catalog.monolith(), 2)
    bigger = apply(split, find(resilience_report(split, 0.999), "add cell"))
    assert bigger.dependents("cell3-server") == ["cell3-app"]          # its own machine
    assert bigger.dependents("cell1-server") == ["cell1-app"]
    regions = catalog.cells(4, ("web", "db"), regions=2)
    bigger = apply(regions, find(resilience_report(regions, 0.999), "add cell"))
    assert bigger.dependents("region1")[-2:] == ["cell5-web", "cell5-db"]
    assert bigger.dependents("region2") == regions.dependents("region2")
    ring = catalog.ring(2, 2)
    bigger = apply(ring, find(resilience_report(ring, 0.999), "add cell"))
    assert ("cell5-api", "cell5-transcode", 300.0, 0.05) in bigger.queues()


def test_a_replicated_architecture_is_laid_out_anew_without_overlaps():
    from labkit.views import diagram_data
    arch = catalog.monolith()
    changed = apply(arch, find(resilience_report(arch, 0.999), "add replica", "app"))
    # Copies placed beside their originals sat on the originals' labels (seen in lesson 07):
    # positions are dropped, and the automatic layout puts every node in a place of its own.
    assert all(changed.component(c).pos is None for c in changed.components)
    nodes, _ = diagram_data(changed)
    places = [(n["x"], n["y"]) for n in nodes]
    assert len(set(places)) == len(places) == len(changed.components)
    row = {n["name"]: n["y"] for n in nodes}
    assert row["app"] == row["app-2"] and row["server"] == row["server-2"]
    assert changed.feature("buy").requires == ("app replicas",)
    assert sorted(changed.dependencies("app-2")) == ["db", "server-2"]


def test_a_replica_inside_a_group_and_in_the_second_of_two_zones():
    arch = load_architecture({
        "components": [{"name": "a", "availability": 0.9}, {"name": "b", "availability": 0.9},
                       {"name": "db", "availability": 0.99}],
        "groups": [{"name": "both", "members": ["a", "b"], "k": 2}],
        "failure_domains": [{"name": "zone-a", "members": ["a", "b"], "availability": 0.999},
                            {"name": "zone-x", "members": ["db"], "availability": 0.999}],
        "features": [{"name": "f", "requires": ["both", "db"]}]})
    report = resilience_report(arch, 0.99)
    changed = apply(arch, find(report, "add replica", "a"))
    assert changed.dependencies("both", "member") == ["a replicas", "b"]
    changed = apply(arch, find(report, "add replica", "db"))
    assert changed.dependencies("db-2") == ["zone-y"]
    assert changed.component("zone-y").availability == 0.999
    # f needs a, b and zone-a, and then either (db and zone-x) or (db-2 and zone-y)
    by_hand = 0.9 * 0.9 * 0.999 * (1 - (1 - 0.99 * 0.999) ** 2)
    assert math.isclose(analysis.availability(changed, "f"), by_hand, rel_tol=1e-13)


def test_failover_keeps_groups_inside_cells():
    arch = catalog.in_cells(catalog.replicated_monolith(2), 2)
    rec = find(resilience_report(arch, 0.999), "failover")
    changed = apply(arch, rec)
    assert changed.dependencies("cell1-app tier", "member") == ["cell1-app-1", "cell1-app-2"]
    assert changed.feature("cell 1: browse").requires == ("router", "cell1-lb or cell2-lb")
    assert changed.component("cell1-lb or cell2-lb").pos is not None
    for plan in rec.params["cells"]:
        assert failures.blast_radius(changed, plan["crash"]) == 0.0


def test_group_capacity_is_what_its_members_add_up_to():
    arch = load_architecture({
        "components": [{"name": "lb"}] + [{"name": f"app-{i}", "availability": 0.99,
                                            "capacity": 100} for i in (1, 2, 3)],
        "groups": [{"name": "apps", "members": ["app-1", "app-2", "app-3"]}],
        "dependencies": [{"from": "lb", "to": "apps"}]})
    report = resilience_report(arch, 0.999, load=250)
    pool = next(r for r in report.capacity if r["pool"] == "apps")
    assert (pool["kind"], pool["count"], pool["unit_capacity"]) == ("replica group", 3, 100.0)
    assert pool["capacity_after_losing_one"] == 200.0 and not pool["ok"]
    assert pool["units_needed"] == sharding.cells_needed(250, 100, spare=1) == 4
    assert pool["shed_at_peak"] == 0.0                      # all three carry 300 >= 250
    rec = find(report, "add headroom", "apps")
    assert rec.params == {"components": ["app-1", "app-2", "app-3"], "capacity": 125.0}
    again = resilience_report(apply(arch, rec), 0.999, load=250)
    assert next(r for r in again.capacity if r["pool"] == "apps")["ok"]
    short = next(r for r in resilience_report(arch, 0.999, load=400).capacity if r["pool"] == "apps")
    assert short["shed_at_peak"] == pytest.approx(0.25)    # 300 of 400 even with all up


def test_two_cells_each_need_the_whole_load_and_the_router_is_its_own_row():
    data = dump_architecture(catalog.cells(2, tier_capacity=600.0))
    data["components"][0]["capacity"] = 500       # the router: shared, not part of a cell
    arch = load_architecture(data)
    report = resilience_report(arch, 0.999, load=1000)
    pool = next(r for r in report.capacity if r["pool"] == "cells")
    assert pool["unit_capacity"] == 600.0 and pool["needed_per_unit"] == 1000.0
    router = next(r for r in report.capacity if r["pool"] == "router")
    assert router["kind"] == "component" and not router["ok"]
    assert router["shed_at_peak"] == 0.5


def test_met_means_at_least_the_target():
    a = resilience_report(catalog.monolith(), 0.999).features[0]["availability"]
    assert all(row["met"] for row in resilience_report(catalog.monolith(), a).features)


def test_a_perfect_feature_does_not_dilute_or_stop_the_score():
    arch = load_architecture({
        "components": [{"name": "ok"}, {"name": "app", "availability": 0.99}],
        "features": [{"name": "perfect", "requires": ["ok"]}, {"name": "f", "requires": ["app"]}]})
    rec = find(resilience_report(arch, 0.999), "add replica", "app")
    assert math.isclose(rec.score, 1 - 0.01 ** 2 / 0.01)


def test_the_blast_radius_rows_of_plain_cells():
    rows = resilience_report(catalog.cells(4), 0.999).blast_radius
    assert [(r["domain"], r["kind"]) for r in rows] == [("router", "shared component")] + [
        (f"cell {i} customers", "cell") for i in range(1, 5)]
    assert rows[0]["features_lost"] == [f"cell {i} customers" for i in range(1, 5)]


def test_refusals_show_the_value_given():
    for targets, message in (
            (1.5, "targets=1.5 is not allowed: expected an availability target strictly between "
                  "0 and 1, e.g. 0.9999"),
            ({"nope": 0.9}, "targets='nope' is not allowed: expected feature names of 'monolith': "
                            "'browse', 'buy', 'review'"),
            ({}, "targets={} is not allowed: expected a non-empty mapping of feature name to "
                 "availability target")):
        with pytest.raises(LabkitError) as excinfo:
            resilience_report(catalog.monolith(), targets)
        assert str(excinfo.value) == message
    with pytest.raises(LabkitError) as excinfo:
        apply(catalog.monolith(), "add a replica")
    assert str(excinfo.value) == ("recommendation='add a replica' is not allowed: expected a "
                                  "Recommendation from resilience_report(...).recommendations")
    forged = Recommendation("make soft", "a -> b", "t", "w", "e", 0.1, True,
                            params={"caller": "app", "callee": "nope"})
    with pytest.raises(LabkitError) as excinfo:
        apply(catalog.monolith(), forged)
    assert str(excinfo.value) == ("recommendation='app -> nope' is not allowed: was made for "
                                  "another architecture: it has no such hard dependency")


def test_a_new_cell_keeps_calling_what_all_cells_share():
    arch = catalog.cells(2, shared_database=True)
    rows = resilience_report(arch, 0.999).blast_radius
    assert ("shared-db", "shared component", 1.0) in [
        (r["domain"], r["kind"], r["customers_affected"]) for r in rows]
    bigger = apply(arch, find(resilience_report(arch, 0.999), "add cell"))
    assert bigger.dependencies("cell3-db") == ["shared-db"]


def test_cell_capacity_adds_up_replicas_and_a_lone_replica_is_no_pool():
    app = load_architecture({
        "components": [{"name": "lb"}, {"name": "a1", "capacity": 100},
                       {"name": "a2", "capacity": 100}, {"name": "solo", "capacity": 50}],
        "groups": [{"name": "apps", "members": ["a1", "a2"]}, {"name": "one", "members": ["solo"]}],
        "dependencies": [{"from": "lb", "to": "apps"}, {"from": "lb", "to": "one", "kind": "soft"}]})
    report = resilience_report(app, 0.999, load=150)
    one = next(r for r in report.capacity if r["pool"] == "one")
    assert one["count"] == 1 and one["needed_per_unit"] == math.inf and not one["ok"]
    assert not any(r.action == "add headroom" and r.target == "one" for r in report.recommendations)
    cells = resilience_report(catalog.in_cells(app, 3), 0.999, load=300)
    pool = next(r for r in cells.capacity if r["pool"] == "cells")
    assert pool["unit_capacity"] == 200.0       # a1 + a2 in each cell; solo is soft
    assert pool["capacity_after_losing_one"] == 400.0 and pool["ok"]


# ------------------------------------- a learner's own system: the photo site (issue 12)
# A load balancer, two app servers in two zones, a database, a soft search service and a
# thumbnail worker behind a queue, at 0.05 items per request.


def photos(thumbnailer_capacity=45):
    data = load_architecture("photo_site.yaml")
    text = dump_architecture(data)
    for entry in text["components"]:
        if entry["name"] == "thumbnailer":
            entry["capacity"] = thumbnailer_capacity
    return load_architecture(text)


def consumer_row(report, name="thumbnailer"):
    return next(r for r in report.capacity if r["pool"] == name)


def test_a_consumer_behind_a_queue_is_sized_against_the_work_its_queues_bring():
    from labkit.report import queue_work
    # By hand: each request passes one of the two app replicas, and each replica queues
    # 0.05 items per request it serves: 0.05 x 600 = 30 items/s, not the 600 req/s peak.
    assert queue_work(photos(), 600) == {"thumbnailer": pytest.approx(0.05 * 600)}
    report = resilience_report(photos(45), 0.9999, rto=1, load=600)
    row = consumer_row(report)
    assert (row["kind"], row["load"], row["ok"]) == ("queue consumer", pytest.approx(30.0), True)
    assert not [r for r in report.recommendations if "thumbnailer" in r.title]
    short = resilience_report(photos(25), 0.9999, rto=1, load=600)
    assert not consumer_row(short)["ok"]
    rec = find(short, "add headroom", "thumbnailer")
    assert "30 items/s" in rec.title and "600" not in rec.title
    fixed = apply(photos(25), rec)
    assert fixed.component("thumbnailer").capacity == pytest.approx(30.0)
    assert consumer_row(resilience_report(fixed, 0.9999, load=600))["ok"]
    shown = next(r for r in capacity_rows(short) if r["pool"] == "thumbnailer")
    assert shown["capacity each"] == "25 items/s" and shown["needed at the peak"] == "30 items/s"
    assert shown["check"] == "keeps up with its queues" and shown["ok"] == "NO"


@pytest.mark.parametrize("capacity, keeps_up", [(45, True), (31, True), (25, False)])
def test_the_report_and_the_simulation_agree_on_a_consumer(capacity, keeps_up):
    from labkit import simulation
    arch = photos(capacity)
    report = resilience_report(arch, 0.9999, load=600)
    run = simulation.simulate(arch, simulation.constant(600), duration=300, seed=3,
                              arrivals="fluid")
    # A second method: the work the simulation queued, per second, is what the report counts.
    assert run.work_added.sum() / 300 == pytest.approx(consumer_row(report)["work_per_s"], rel=1e-6)
    assert consumer_row(report)["ok"] == keeps_up
    assert (run.backlog.max() < 1e-6) == keeps_up


def test_work_follows_the_replica_that_serves_it():
    from labkit import simulation
    from labkit.simulation import crash
    arch = photos(45)
    run = simulation.simulate(arch, simulation.constant(300), duration=200, seed=3,
                              arrivals="fluid", faults=[crash("zone-a", at=50, duration=100)])
    per_second = run.work_added.sum(axis=1) / run.step
    # app-a's zone is down from 50 s to 150 s: app-b (400 req/s) serves all 300 req/s, and
    # queues all the work, 0.05 x 300 = 15 items/s; before, each replica queued half of it.
    assert per_second[10] == pytest.approx(15.0) and per_second[100] == pytest.approx(15.0)
    assert run.work_added[10, 0] == pytest.approx(7.5 * run.step)
    assert run.work_added[100, 0] == 0.0 and run.work_added[100, 1] == pytest.approx(15.0 * run.step)


def test_queues_into_one_consumer_share_its_capacity():
    from labkit import simulation
    arch = (Architecture("two producers").add_component("a").add_component("b")
            .add_component("worker", capacity=45)
            .add_queue("a", "worker", deadline=600, per_request=0.05)
            .add_queue("b", "worker", deadline=600, per_request=0.05)
            .add_feature("a", ["a"]).add_feature("b", ["b"])
            .set_partitions({"a": 0.5, "b": 0.5}))
    run = simulation.simulate(arch, simulation.constant(2_000), duration=100, seed=1,
                              arrivals="fluid")
    # 0.05 x 2,000 = 100 items/s into one worker of 45 items/s: it does 45, not 45 per queue.
    done = run.work_done.sum(axis=1) / run.step
    assert done[50] == pytest.approx(45.0)
    assert run.backlog.sum(axis=1)[-1] == pytest.approx((100 - 45) * 100, rel=0.02)


@given(st.floats(0.5, 1.0, exclude_max=True), st.floats(0.5, 1.0, exclude_max=True))
def test_a_missed_target_never_reads_as_met(value, target):
    from labkit.formulas import format_percent, format_percent_against
    shown = format_percent_against(value, target)
    if value < target:
        assert float(shown.split()[0]) < target * 100
        assert shown != format_percent(target) or format_percent(target) != format_percent(value)
    else:
        assert shown == format_percent(value)


def test_a_near_miss_shows_enough_digits_and_recovery_time_its_unit():
    arch = apply(photos(), find(resilience_report(photos(), 0.9999, rto=1, load=600),
                                "add replica", "db"))
    report = resilience_report(arch, 0.9999, rto=1, load=600)
    row = next(r for r in feature_rows(report) if r["feature"] == "view")
    assert report.feature("view")["availability"] < 0.9999 and row["met"] == "NO"
    assert row["availability"] == "99.989 %"          # not "99.99 %" beside "NO"
    first = next(r for r in feature_rows(resilience_report(photos(), 0.9999, rto=1)) if r["feature"] == "view")
    assert first["recovery time"] == "2 h"
    minutes = resilience_report(photos(), 0.9999, rto=90, time_unit="min")
    assert next(r for r in feature_rows(minutes))["recovery time"] == "2 min"
    assert "RTO: 90 min" in minutes.to_markdown()
    with pytest.raises(LabkitError, match="^time_unit='hours' is not allowed"):
        resilience_report(photos(), 0.9999, rto=1, time_unit="hours")


# ------------------------- a learner's blog: a mail worker that a feature lists (issue 12)
BLOG = Path(__file__).parent / "data" / "blog.yaml"


def test_a_consumer_a_feature_lists_still_carries_only_its_queues_work():
    # notify requires [mailer]: a statement of what must work, not a route for requests. The
    # mailer carries 0.05 x 300 = 15 items/s, not the 300 req/s peak (once it was 315).
    from labkit.report import demand
    arch = load_architecture(BLOG)
    assert demand(arch, 300)["mailer"] == (0.0, pytest.approx(15.0))
    report = resilience_report(arch, 0.999, rto=1, load=300)
    row = next(r for r in report.capacity if r["pool"] == "mailer")
    assert (row["kind"], row["load"], row["ok"]) == ("queue consumer", pytest.approx(15.0), True)
    assert not [r for r in report.recommendations if "mailer" in r.title and r.action == "add headroom"]
    shown = next(r for r in capacity_rows(report) if r["pool"] == "mailer")
    assert shown["capacity each"] == "20 items/s" and shown["needed at the peak"] == "15 items/s"


def test_demand_follows_soft_calls_but_not_a_routers_routes():
    from labkit.report import demand
    photos = load_architecture("photo_site.yaml")
    assert demand(photos, 600)["search"] == (600.0, 0.0)        # both apps call it softly
    assert demand(photos, 600)["app-a"] == (300.0, 0.0)         # a replica takes its half
    ring = catalog.ring(2, 2)
    needed = demand(ring, 60_000)
    # Four equal cells: each cell's tiers carry a quarter, not the whole peak.
    assert needed["cell1-api"][0] == pytest.approx(15_000.0)
    assert needed["cell1-transcode"] == (0.0, pytest.approx(0.05 * 15_000))


def test_a_replicated_zone_copies_its_queues_and_the_work_still_adds_up():
    from labkit import simulation
    from labkit.report import demand
    arch = load_architecture(BLOG)
    zone = find(resilience_report(arch, 0.999, rto=1, load=300), "add replica", "zone-a")
    changed = apply(arch, zone)
    # Both copies of the queue feed the pool of both mailers.
    assert sorted(changed.queues()) == [("mailq", "mailer replicas", 600.0, 0.05),
                                        ("mailq-2", "mailer replicas", 600.0, 0.05)]
    pool = next(r for r in resilience_report(changed, 0.999, load=300).capacity
                if r["pool"] == "mailer replicas")
    assert pool["work_per_s"] == pytest.approx(15.0) and pool["ok"]
    run = simulation.simulate(changed, simulation.constant(300), duration=60, seed=1,
                              arrivals="fluid")
    # A second method: the simulation queues the same 15 items/s, half through each copy.
    assert run.work_added.sum() / 60 == pytest.approx(15.0)
    assert sum(demand(changed, 300)[c][1] for c in ("mailer", "mailer-2")) == pytest.approx(15.0)


def test_a_replicated_consumer_is_a_pool_that_keeps_draining_when_one_dies():
    # Once the replica of a consumer got no queue: crashing the original stalled all work
    # while the report promised redundancy.
    from labkit import simulation
    photos = load_architecture("photo_site.yaml")
    arch = photos.copy()
    arch.add_feature("thumbnails", ["thumbnailer"])
    rec = find(resilience_report(arch, 0.9999, load=600), "add replica", "thumbnailer")
    pooled = apply(arch, rec)
    assert {c for _, c, _, _ in pooled.queues()} == {"thumbnailer replicas"}
    run = simulation.simulate(pooled, simulation.constant(600), duration=300, seed=1,
                              arrivals="fluid", faults=[simulation.crash("thumbnailer", 50, 200)])
    assert run.backlog.max() < 1e-6 and run.on_time_share() == 1.0      # 45 items/s left for 30
    alone = simulation.simulate(arch, simulation.constant(600), duration=300, seed=1,
                                arrivals="fluid", faults=[simulation.crash("thumbnailer", 50, 200)])
    assert alone.backlog.sum(axis=1).max() == pytest.approx(200 * 30)    # 200 s x 30 items/s
    row = next(r for r in resilience_report(pooled, 0.9999, load=600).capacity
               if r["pool"] == "thumbnailer replicas")
    assert row["work_per_s"] == pytest.approx(30.0) and row["capacity_after_losing_one"] == 45.0


def test_a_producer_called_softly_queues_work_only_while_it_works():
    from labkit import simulation
    arch = (Architecture("s").add_component("api").add_component("notifier")
            .add_component("mailer", capacity=100)
            .add_dependency("api", "notifier", "soft")
            .add_queue("notifier", "mailer", deadline=60, per_request=0.1)
            .add_feature("use", ["api"]))
    run = simulation.simulate(arch, simulation.constant(200), duration=60, seed=1, arrivals="fluid",
                              faults=[simulation.crash("notifier", at=20, duration=20)])
    per_second = run.work_added.sum(axis=1) / run.step
    assert per_second[10] == pytest.approx(20.0) and per_second[30] == 0.0
    assert run.success_ratio == pytest.approx(1.0)          # soft: requests never fail


# ---------------- a worker's repair against its queue's deadline (a learner's invoicing file)
INVOICING = Path(__file__).parent / "data" / "invoicing.yaml"


def invoicing(mttr=0.5, capacity=8):
    data = dump_architecture(load_architecture(INVOICING))
    for entry in data["components"]:
        if entry["name"] == "pdf-worker":
            entry.update(mttr=mttr, capacity=capacity)
    return load_architecture(data)


def test_a_worker_repaired_slower_than_its_deadline_is_told_to_recover_faster():
    # mttr 0.5 h = 1,800 s against a 900 s deadline: work goes late in every outage.
    report = resilience_report(invoicing(0.5, 20), 0.999, load=500)
    rec = find(report, "recover faster", "pdf-worker")
    assert "(0.5 h -> 0.25 h)" in rec.title and rec.params == {"component": "pdf-worker", "mttr": 0.25}
    assert apply(invoicing(0.5, 20), rec).component("pdf-worker").mttr == 0.25
    again = resilience_report(apply(invoicing(0.5, 20), rec), 0.999, load=500)
    assert not [r for r in again.recommendations if r.action == "recover faster" and r.target == "pdf-worker"]
    # The same outage in the simulation: a 1,800 s repair makes work late, a 900 s one does not.
    from labkit import simulation
    for repair, late in ((1_800, True), (800, False)):
        run = simulation.simulate(invoicing(0.5, 20), simulation.constant(500), duration=3_000,
                                  seed=1, arrivals="fluid",
                                  faults=[simulation.crash("pdf-worker", at=10, duration=repair)])
        assert (run.work_late.sum() > 0) == late


@pytest.mark.parametrize("capacity, drains", [(14, True), (11, False)])
def test_a_worker_needs_room_to_catch_up_after_a_repair(capacity, drains):
    # 0.02 x 500 = 10 items/s; a 360 s repair leaves 3,600 items, which must drain within
    # the 900 s deadline: 10 x (1 + 360/900) = 14 items/s. By hand, then by simulation.
    report = resilience_report(invoicing(0.1, capacity), 0.999, load=500)
    row = next(r for r in report.capacity if r["pool"] == "pdf-worker")
    assert row["load"] == pytest.approx(14.0) and row["work_per_s"] == pytest.approx(10.0)
    assert row["ok"] == drains
    shown = next(r for r in capacity_rows(report) if r["pool"] == "pdf-worker")
    assert shown["needed at the peak"] == "14 items/s (10 + catch-up)"
    from labkit import simulation
    run = simulation.simulate(invoicing(0.1, capacity), simulation.constant(500), duration=1_400,
                              seed=1, arrivals="fluid",
                              faults=[simulation.crash("pdf-worker", at=10, duration=360)])
    end_of_drain = int((10 + 360 + 900) / run.step)
    assert (run.backlog.sum(axis=1)[end_of_drain] < 1e-6) == drains
