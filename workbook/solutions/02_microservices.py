"""Instructor's key for workbook 02 (microservices): every artefact built with labkit.

The workbook runs this file when executed with ``-p solutions <path to this file>``; each
check then grades the artefact below instead of the cell's.
"""

import labkit
from labkit.exercises.microservices import page_parts
from labkit.simulation import Retry

# 1. "can buy" on the graceful page, with every widget at 0.998 (cheaper machines), needs
#    the page, the three core widgets (title, price, buy box) and the backend each calls
#    (catalog, pricing, inventory): seven distinct components, all hard, so the series
#    formula applies: 0.9999 * 0.998^3 * 0.9995^3, about 99.24 %. The extras are soft, so
#    their availability does not count.
can_buy = labkit.series(0.9999, 0.998, 0.998, 0.998, 0.9995, 0.9995, 0.9995)

# 2. Hard where a customer cannot buy without the widget: title, price, buy box, and the
#    delivery estimate (the law of this market). Everything else is soft: customers buy
#    without images, ratings, reviews, recommendations or questions. The delivery estimate
#    costs only its own 99.9 %: it reads inventory, which the buy box already needs, so
#    "can buy" = 0.9999 * 0.999^4 * 0.9995^3, about 99.44 %, above the 99.4 % target. One
#    more hard widget (any extra) would multiply in another 0.999 and miss it.
classified = page_parts()
for widget in ["title", "price", "buy box", "delivery estimate"]:
    classified.add_dependency("page", widget, "hard")
for widget in ["images", "star rating", "reviews", "recommendations", "questions"]:
    classified.add_dependency("page", widget, "soft")

# 3. The checkout: the page service, five widgets, four backends, with the availabilities
#    the question gives. cart and gift wrap both read cart db (one shared failure domain);
#    address and payment read accounts softly (customers can type an address and a card by
#    hand); payment needs payments to charge the card. The checkout needs cart, address and
#    payment (hard); gift wrap and suggestions are nice to have (soft). "can order" is the
#    checkout being served; "whole checkout" needs every component. Exact analysis:
#    0.9999 * 0.999^3 * 0.9995^2 (cart db, payments), about 99.59 %; with accounts hard it
#    would be 99.54 %, short of 99.55 %.
checkout = labkit.Architecture("checkout")
checkout.add_component("checkout", 0.9999)
for widget in ["cart", "address", "payment", "gift wrap", "suggestions"]:
    checkout.add_component(widget, 0.999)
for backend in ["cart db", "accounts", "payments", "personalization"]:
    checkout.add_component(backend, 0.9995, kind="database")
checkout.add_dependency("cart", "cart db")
checkout.add_dependency("gift wrap", "cart db")
checkout.add_dependency("address", "accounts", "soft")
checkout.add_dependency("payment", "accounts", "soft")
checkout.add_dependency("payment", "payments")
checkout.add_dependency("suggestions", "personalization")
checkout.add_dependencies("checkout", ["cart", "address", "payment"], "hard")
checkout.add_dependencies("checkout", ["gift wrap", "suggestions"], "soft")
checkout.add_feature("can order", ["checkout"])
checkout.add_feature("whole checkout", checkout.components)

# 4. Retry at one layer only, above the flaky layer3: the client, with 3 attempts. With the
#    database down, 3 calls reach it per request (every layer retrying would send 3^5 = 243);
#    with layer3 failing 20 % of its calls, a request fails only if all 3 attempts do:
#    1 - 0.2^3 = 99.2 % succeed. Retrying at layer3 or layer4 instead would not help: they
#    sit below layer3, whose errors go up past them.
policy = {"retry": Retry(attempts=3), "retrying": "client only"}

ANSWERS = {
    "can buy availability": can_buy,
    "classify the dependencies": classified,
    "model the checkout": checkout,
    "retry at one layer": policy,
}
