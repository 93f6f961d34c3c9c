"""Instructor's key for workbook/04_cells.ipynb: every artefact built with labkit.

The checks grade what each artefact does (where the poison lands, what a lost cell costs,
which shards a list holds, what it all costs), so a file holding only numbers scores none of
the five.
"""

import itertools
import math

from labkit import catalog, sharding

# 1. Route by the customer id. It is the same for all of a customer's requests, so the poison
# customer's retries all land in its one cell, and it has thousands of values, so the stable
# hash spreads customers evenly (about 1/8 each, under the 15 % target). The request id
# changes with every request (the poison would reach every cell); country and device have few
# values (a few cells would hold almost everyone, and a customer's devices differ). Python's
# hash() would pass here and fail after a restart: cells_for's hash is the same everywhere.
log = sharding.request_log()
routed = sharding.cells_for([request["customer"] for request in log], 8)

# 2. Blast radius 1/N at most 10 % needs N >= 10 cells. With one lost, the other N - 1 carry
# the 30,000 req/s peak: 30,000 / 9 = 3,333.3 each on average. Arrivals are Poisson, so a
# cell's count per second varies around that by about sqrt(3,333) = 58 (its standard
# deviation): cells of exactly 3,334 shed the busier seconds and serve only about 99.3 %.
# About three standard deviations of spare, 3,333 + 3 x 58 = 3,508, rounded to 3,500 (under
# the 6,000 maximum), serves more than 99.99 %. Ten such cells cost 35,000 req/s, inside the
# 36,000 budget. Six full-size cells would also survive a loss but reach 1/6 of customers
# each; ten full-size cells cost 60,000.
n_cells = 10
average = 30_000 / (n_cells - 1)
cell_layout = catalog.cells(n_cells, tier_capacity=round(average + 3 * math.sqrt(average), -2))

# 3. Shuffle sharding chooses any 3 of 10 workers, order free: combinations, C(10, 3) = 120
# of them (labkit's sharding.all_shards(10, 3) lists the same, as worker indexes from 0).
# permutations would list every set 6 times (10 x 9 x 8 = 720); product would also give
# shards that name one worker twice.
workers = [f"w{i}" for i in range(1, 11)]
shuffle_shards = list(itertools.combinations(workers, 3))

# 4. A poison customer fully takes down only the customers on exactly its shard: 1 / C(n, k)
# with shuffle sharding (plain sharding: k / n, far more). Within 10 workers and shards of at
# most 3 (the poison may crash 30 % of the fleet), C(10, 3) = 120 shards gives 0.83 %, under
# 1 %; C(10, 2) = 45 gives 2.2 % and C(9, 2) = 36 gives 2.8 %.
shard_layout = catalog.sharded_workers(10, 3, "shuffle")

# 5. Lesson 02's graceful page soft-depends on the widgets that read the reviews db, so a dead
# reviews db costs its cell the extras, never the sale. The price widget is core: its crash
# stops its cell's customers from buying, 1/N of them; 1/5 = 20 % meets the target.
page_cells = catalog.in_cells(catalog.detail_page(graceful=True), 5)

ANSWERS = {
    "route by a stable key": routed,
    "cells for a target and a budget": cell_layout,
    "shuffle shards of 3 from 10": shuffle_shards,
    "shuffle shards for a target": shard_layout,
    "the detail page in cells": page_cells,
}
