"""Workbook 04: cells, N+1 headroom, shuffle sharding and the detail page in cells."""

from __future__ import annotations

from ..failures import blast_radius, features_working
from ..catalog import cells, detail_page
from ..check import Exercise
from ..sharding import all_shards, overlap_distribution

# The numbers the workbook's questions state.
CELLS = 8                 # "blast radius of one cell": 8 equal cells, one crashes
PEAK = 45_000             # "cells for the peak with N+1": peak requests per second ...
CELL_CAPACITY = 6_000     # ... that one cell can serve
WORKERS, SHARD_SIZE = 10, 3   # shuffle sharding: 10 workers, shards of 3
ZONES = 4                 # static stability: 4 zones, survive the loss of one
SHARED_CELLS = 4          # cells(4, shared_database=True), tiers web / app / db
PAGE_CELLS = 3            # detail_page_cells(3): the graceful detail page, three copies


def _one_cell_of_eight() -> float:
    # Measured on the model, not by the 1/N formula: crash one cell's app tier and count
    # the share of customers whose cell stops working.
    return blast_radius(cells(CELLS), ["cell1-app"])


def _cells_for_peak() -> int:
    # Count up until the cells left after losing one still carry the peak, rather than the
    # ceil(peak / capacity) + 1 shortcut.
    n = 1
    while (n - 1) * CELL_CAPACITY < PEAK:
        n += 1
    return n


def _shuffle_shards() -> int:
    # Enumerate every shard instead of math.comb.
    return len(all_shards(WORKERS, SHARD_SIZE, "shuffle"))


def _fully_affected_share() -> float:
    # The hypergeometric chance that another customer's shard holds all of the poison
    # customer's workers: a second route to 1 / C(n, k).
    return overlap_distribution(WORKERS, SHARD_SIZE)[SHARD_SIZE]


def _static_stability() -> float:
    # Closed form: the other Z - 1 zones must carry the whole peak, so each provisions
    # peak / (Z - 1) and in total Z / (Z - 1) of peak.
    return ZONES / (ZONES - 1)


def _shared_by_every_cell() -> list[str]:
    # Components whose crash alone affects every customer (blast radius 1), found by
    # crashing each one in turn, not by intersecting single-point-of-failure lists.
    arch = cells(SHARED_CELLS, shared_database=True)
    return [c for c in arch.components if blast_radius(arch, [c]) == 1.0]


def _cannot_buy_in_cells(component: str) -> float:
    # Not by crashing it in the cell-based page (what the learner does): ask the single page
    # of lesson 02 whether "can buy" survives the crash, then scale by the one cell of
    # PAGE_CELLS equal cells whose copy of the component is down.
    return (0.0 if features_working(detail_page(), [component])["can buy"] else 1.0) / PAGE_CELLS


def exercises() -> list[Exercise]:
    return [
        Exercise("blast radius of one cell", "number", _one_cell_of_eight,
                 ("the router spreads customers evenly; a dead cell affects only its own "
                  "customers. Give a fraction between 0 and 1, not a percentage.",
                  "with N equal cells one cell holds 1/N of the customers; "
                  "labkit.sharding.cell_blast_radius computes it.")),
        Exercise("cells for the peak with N+1", "count", _cells_for_peak,
                 ("first count the cells that carry the peak (round up: a part of a cell is a "
                  "whole cell), then add headroom for one lost cell.",
                  "compute it with labkit.sharding.cells_needed(peak_load, cell_capacity, "
                  "spare=1).")),
        Exercise("shuffle shards of 3 from 10", "count", _shuffle_shards,
                 ("a shard is a set of workers: order does not matter, so do not count "
                  "10 x 9 x 8.",
                  "the number of ways to choose k of n is C(n, k); "
                  "labkit.sharding.shard_count(n, k, \"shuffle\").")),
        Exercise("share fully affected by a poison customer", "number", _fully_affected_share,
                 ("only a customer on exactly the same shard loses every worker; the others "
                  "keep at least one and retry on it. Give a fraction, not a percentage.",
                  "it is one over the number of shuffle shards; "
                  "labkit.sharding.poison_blast_radius(n, k, \"shuffle\").")),
        Exercise("static stability capacity for 4 zones", "number", _static_stability,
                 ("after losing one zone the others must carry the whole peak without "
                  "scaling up. Answer as a multiple of peak, e.g. 2.0 for twice the peak.",
                  "each of the Z - 1 survivors needs peak / (Z - 1); you provision Z of them. "
                  "labkit.sharding.static_stability_capacity(zones).")),
        Exercise("shared by every cell", "names", _shared_by_every_cell,
                 ("which components do the customers of every cell need? A cell's own tiers "
                  "only matter to that cell.",
                  "compare labkit.single_points_of_failure(arch, feature) for each feature in "
                  "arch.feature_names; keep the names in every list.")),
        Exercise("cannot buy: price down in cell 2", "number",
                 lambda: _cannot_buy_in_cells("price"),
                 ("the router gives each of the 3 cells an equal share of the customers, and a "
                  "crash in cell 2 reaches only cell 2's customers. Does \"can buy\" need the "
                  "price widget? Give a fraction, not a percentage.",
                  "measure it: labkit.blast_radius(page_cells, [\"cell2-price\"]) is the share "
                  "of customers whose \"can buy\" stops working.")),
        Exercise("cannot buy: reviews db down in cell 2", "number",
                 lambda: _cannot_buy_in_cells("reviews db"),
                 ("which widgets read the reviews db, and does the page need any of them to "
                  "sell? \"can buy\" needs only the page, title, price and buy box, and what "
                  "those call.",
                  "check it: labkit.features_working(page_cells, [\"cell2-reviews db\"]) "
                  "shows which features still work in each cell; count the customers whose "
                  "\"can buy\" failed.")),
    ]
