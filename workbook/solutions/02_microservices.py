"""Instructor's key for workbook 02 (microservices): each answer computed with labkit.

The workbook runs this file when executed with ``-p solutions <path to this file>``.
"""

import labkit
from labkit.catalog import detail_page
from labkit.retries import retry_amplification

page = detail_page()                    # widgets 99.9 %, backends 99.95 %, page 99.99 %
all_hard = detail_page(graceful=False)  # every widget a hard dependency

# (a) "can buy" needs the page, the three core widgets (title, price, buy box) and the
# backend each calls (catalog, pricing, inventory): seven distinct components, all hard, so
# the closed series formula applies: 0.9999 * 0.999^3 * 0.9995^3.
can_buy = labkit.series(0.9999, 0.999, 0.999, 0.999, 0.9995, 0.9995, 0.9995)

# (b) On the all-hard page "can buy" needs all 15 components; on the graceful page only 7.
# Downtime per 365-day year is (1 - A) * 31,536,000 s; the difference, in hours.
extra_hours = (labkit.downtime_per_year(labkit.availability(all_hard, "can buy"))
               - labkit.downtime_per_year(labkit.availability(page, "can buy"))) / 3600

# (c) "see reviews" needs the page, star rating and reviews. The page hard-depends on the
# core widgets, so title, price, buy box and their backends are single points of failure
# too; star rating and reviews share the reviews db. Images, recommendations, delivery
# estimate and questions are soft, and personalization only feeds recommendations.
spofs_reviews = labkit.single_points_of_failure(page, "see reviews")

# (d) Four layers, three attempts each, the database always failing: every attempt at one
# layer makes three attempts at the next, so 3 * 3 * 3 * 3 = 3^4 calls reach the database.
calls = retry_amplification(3, 4)

# (e) The reviews db takes star rating, reviews and questions down together (a shared
# backend is a shared failure domain). They are soft for the page, so only the features that
# need none of them survive: "can buy".
still_working = [f for f, ok in labkit.features_working(page, ["reviews db"]).items() if ok]

ANSWERS = {
    "can buy availability": can_buy,
    "extra downtime when every widget is hard": extra_hours,
    "single points of failure for see reviews": spofs_reviews,
    "calls reaching the database": calls,
    "features left when reviews db fails": still_working,
}
