"""Instructor's key for workbook/01_monolith.ipynb: every answer computed with labkit."""

import labkit
from labkit import catalog

# 1. A chain of hard dependencies: load balancer 99.99 %, app 99.9 %, database 99.95 %.
#    Every request needs all three, so the availabilities multiply (series). About 99.84 %:
#    worse than the weakest link.
chain = labkit.series(0.9999, 0.999, 0.9995)

# 2. The monolith (app 99.9 %, server 99.95 %, database 99.95 %) is a series of three:
#    99.8 %. Downtime per 365-day year is (1 - A) x 8760 h, about 17.5 h;
#    labkit.downtime_per_year returns seconds.
downtime_hours = labkit.downtime_per_year(labkit.availability(catalog.monolith())) / 3600

# 3. Replicas at 98 %, target 99.99 % for the tier: the tier is down only when all n are down,
#    (0.02)^n. n = 2 leaves 4e-4 (99.96 %, short); n = 3 leaves 8e-6. So 3.
#    The check below confirms the tier reaches the target with 3 and not with 2.
replicas = 3
assert labkit.parallel(*[0.98] * replicas) >= 0.9999 > labkit.parallel(*[0.98] * (replicas - 1))

# 4. In replicated_monolith(3) the replicas cover for each other; the load balancer and the
#    database are shared by all of them, so each alone stops every feature.
spofs = labkit.single_points_of_failure(catalog.replicated_monolith(3))  # ["lb", "db"]

# 5. With 12 replicas the app tier's unavailability is 0.001^12, effectively zero; what is
#    left is the shared part in series: lb x db = 0.9999 x 0.9995, about 99.94 %.
ceiling = labkit.availability(catalog.replicated_monolith(12))

ANSWERS = {
    "chain availability": chain,
    "monolith downtime per year": downtime_hours,
    "replicas for four nines": replicas,
    "single points of failure": spofs,
    "ceiling with many replicas": ceiling,
}
