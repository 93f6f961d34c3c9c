"""Instructor's key for workbook/01_monolith.ipynb: every artefact built with labkit.

The workbook runs this file when executed with ``-p solutions <path to this file>``; each
check then grades the artefact below instead of the cell's.
"""

import labkit
from labkit import catalog

# 1. A chain of hard dependencies: load balancer 99.99 %, app 99.9 %, database 99.95 %.
#    Every request needs all three, so the availabilities multiply (series). About 99.84 %:
#    worse than the weakest link.
chain = labkit.series(0.9999, 0.999, 0.9995)

# 2. Replicas on cheap machines (97 % each) behind one load balancer (99.99 %), all using one
#    database (99.95 %); "buy" must reach 99.9 %. The trap: the tier alone reaches 99.91 %
#    with 2 replicas (1 - 0.03^2), but "buy" also needs the load balancer and the database in
#    series: 0.9999 x 0.9995 x 0.9991 = 99.85 %, short. With 3 the tier is 99.9973 % and
#    "buy" 99.937 %. The check also confirms that one replica fewer would miss.
fewest = catalog.replicated_monolith(3, app=0.97)
assert labkit.availability(fewest, "buy") >= 0.999 > labkit.availability(
    catalog.replicated_monolith(2, app=0.97), "buy")

# 3. Target 99.98 %. Replicas cannot get there: lb x db = 99.94 % is the ceiling, and the
#    database (99.95 %) is the lower of the two. Make the database redundant: two copies, a
#    primary and a standby that takes over (our model: either copy will do, they fail
#    independently and the switch is instant). Then lb x (1 - 0.0005^2) = 99.98997 %, and
#    3 app replicas (99.9973 %) bring "buy" to 99.989 %; 2 replicas (99.91 %) would not.
#    Doubling the load balancer instead would leave the database capping "buy" at 99.95 %.
ceiling = labkit.Architecture("shop with a standby database")
ceiling.add_component("lb", 0.9999, kind="load balancer")
ceiling.add_component("db-primary", 0.9995, kind="database")
ceiling.add_component("db-standby", 0.9995, kind="database")
ceiling.add_group("db pair", ["db-primary", "db-standby"], k=1)
replicas = ["app-1", "app-2", "app-3"]
for name in replicas:
    ceiling.add_component(name, 0.97)
    ceiling.add_dependency(name, "db pair")
ceiling.add_group("app tier", replicas, k=1)
ceiling.add_dependency("lb", "app tier")
ceiling.add_feature("buy", ["lb"])

# 4. Four replicas (99.9 %), two of which must be up (each carries half the peak), on at
#    most three servers (99.95 %, each a failure domain of the replicas on it). No server
#    may hold more than 2 replicas: losing it must leave 2. Here 2 + 1 + 1; 2 + 2 on two
#    servers also works (the question allows it). 3 + 1 fails: losing the first server
#    leaves one replica. The third server earns its place: with 2 + 1 + 1 the two small
#    servers can fail together and still leave 2 replicas, so the tier alone is down about
#    47 s a year instead of 1.2 min with 2 + 2 (the check reports the tier's downtime).
spread = labkit.Architecture("spread shop")
spread.add_component("lb", 0.9999, kind="load balancer")
spread.add_component("db", 0.9995, kind="database")
apps = ["app-1", "app-2", "app-3", "app-4"]
for name in apps:
    spread.add_component(name, 0.999)
    spread.add_dependency(name, "db")
spread.add_group("app tier", apps, k=2)
spread.add_dependency("lb", "app tier")
spread.add_feature("buy", ["lb"])
spread.add_failure_domain("server-a", ["app-1", "app-2"], 0.9995)
spread.add_failure_domain("server-b", ["app-3"], 0.9995)
spread.add_failure_domain("server-c", ["app-4"], 0.9995)

# 5. Every replica runs the build it was deployed with; a build is bad one deploy in a
#    thousand (99.9 %). If all four run one build, it is a failure domain of all of them:
#    "buy" = 99.99 % x 99.95 % x 99.9 % = 99.84 %, whatever the replica count. Deploy in
#    two waves, each build a failure domain of its own two replicas (a bad build is stopped
#    after the first wave, so the waves' builds fail independently: our model). A bad wave
#    then leaves the other two replicas, and "buy" reaches 99.94 %.
waves = catalog.replicated_monolith(4)
waves.add_failure_domain("wave-1", ["app-1", "app-2"], 0.999)
waves.add_failure_domain("wave-2", ["app-3", "app-4"], 0.999)

ANSWERS = {
    "chain availability": chain,
    "fewest replicas for three nines": fewest,
    "lift the ceiling": ceiling,
    "single points of failure": spread,
    "deploy in waves": waves,
}
