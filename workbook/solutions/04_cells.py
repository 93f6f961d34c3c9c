"""Instructor's key for workbook/04_cells.ipynb: every answer computed with labkit."""

import labkit
from labkit import catalog, sharding

# 8 equal cells, one fails: the router gave it 1/8 of the customers, and only they lose service.
blast_radius_of_one_cell = sharding.cell_blast_radius(8, 1)

# 45,000 req/s at peak, 6,000 req/s per cell: ceil(7.5) = 8 cells carry the peak, and one spare
# (N+1) so the peak still fits when a cell is lost.
cells_for_the_peak = sharding.cells_needed(45_000, 6_000, spare=1)

# Shuffle sharding chooses any 3 of 10 workers: C(10, 3) unordered sets.
shuffle_shards = sharding.shard_count(10, 3, "shuffle")

# A poison customer kills its 3 workers; only customers on the very same combination lose all of
# theirs (everyone else retries on a worker outside it): 1 / C(10, 3).
fully_affected = sharding.poison_blast_radius(10, 3, "shuffle")

# With 4 zones and capacity for the loss of one, the 3 survivors carry the peak: 4/3 of peak.
static_stability = sharding.static_stability_capacity(4)

# With a shared database every cell's customers need the router and the shared database: they
# appear in the single-point-of-failure list of every cell's feature.
shared = catalog.cells(4, shared_database=True)
spof_lists = [set(labkit.single_points_of_failure(shared, f)) for f in shared.feature_names]
shared_by_every_cell = sorted(set.intersection(*spof_lists))

# Lesson 02's graceful page in 3 cells, each serving a third of the customers. (a) price is a
# core widget, a hard dependency of the page, so cell 2's customers cannot buy, and only they:
# one third. (b) the reviews db feeds only soft widgets (star rating, reviews, questions), so
# cell 2's pages lose them and still sell: nobody is stopped from buying.
page_cells = catalog.detail_page_cells(3)
cannot_buy_price_down = labkit.blast_radius(page_cells, ["cell2-price"])
cannot_buy_reviews_db_down = labkit.blast_radius(page_cells, ["cell2-reviews db"])

ANSWERS = {
    "blast radius of one cell": blast_radius_of_one_cell,
    "cells for the peak with N+1": cells_for_the_peak,
    "shuffle shards of 3 from 10": shuffle_shards,
    "share fully affected by a poison customer": fully_affected,
    "static stability capacity for 4 zones": static_stability,
    "shared by every cell": shared_by_every_cell,
    "cannot buy: price down in cell 2": cannot_buy_price_down,
    "cannot buy: reviews db down in cell 2": cannot_buy_reviews_db_down,
}
