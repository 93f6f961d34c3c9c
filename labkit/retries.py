"""Retries multiply: what every layer retrying does to the layer at the bottom.

Builders' Library, "Timeouts, retries and backoff with jitter" (``lessons/sources.md``).

>>> retry_amplification(3, 5)
243
"""

from __future__ import annotations

from .errors import check_count, fail


MAX_ATTEMPTS = 1_000
MAX_WALKED_CALLS = 1_000_000  # the long way counts one call at a time: keep it under a second


def retry_amplification(attempts: int, layers: int) -> int:
    """Calls reaching the bottom of a stack when every layer tries ``attempts`` times: a^L.

    Builders' Library, "Timeouts, retries and backoff with jitter": 3 attempts through 5
    layers puts 3^5 = 243x load on the bottom.

    >>> retry_amplification(3, 1) * retry_amplification(1, 4)  # retry at one layer only
    3
    """
    attempts = check_count("attempts", attempts, low=1, high=MAX_ATTEMPTS)
    layers = check_count("layers", layers, low=0, high=64)
    return attempts**layers


def count_calls_to_bottom(attempts: int, layers: int) -> int:
    """The same number counted the long way: walk the call tree when the bottom always fails.

    Every call is visited, so this refuses trees of more than a million calls.

    >>> count_calls_to_bottom(3, 5)
    243
    """
    attempts = check_count("attempts", attempts, low=1, high=MAX_ATTEMPTS)
    layers = check_count("layers", layers, low=0, high=64)
    if attempts**layers > MAX_WALKED_CALLS:
        raise fail("layers", layers, f"walking the call tree visits every call; expected "
                   f"attempts**layers <= {MAX_WALKED_CALLS:,} (use retry_amplification for more)")
    bottom = 0
    pending = [0]  # depths of calls still to follow
    while pending:
        depth = pending.pop()
        if depth == layers:
            bottom += 1
        else:  # a failing call at this depth is tried `attempts` times by its caller
            pending.extend([depth + 1] * attempts)
    return bottom
