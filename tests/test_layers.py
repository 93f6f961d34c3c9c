"""Retries multiplying through a call stack, in time (labkit.simulation.layers).

Independent truths: the Builders' Library's a^L (and retries.count_calls_to_bottom's walk of
the call tree), a closed-form recursion for partial failure written here from first
principles, and a per-request SimPy model of the same stack.
"""

from __future__ import annotations

import math
import random
import re

import numpy as np
import pytest
import simpy
from hypothesis import given, settings, strategies as st

from labkit import LabkitError, retries
from labkit.simulation import Retry, constant, crash, error_rate, spike
from labkit.simulation.layers import layer_names, simulate_stack


def outage(layer: str, duration: float, rate: float = 1.0):
    return [error_rate(layer, rate, at=0, duration=duration)]


@pytest.mark.parametrize("attempts, layers", [(3, 5), (2, 4), (3, 1), (1, 5), (4, 3), (2, 7)])
def test_bottom_down_every_caller_multiplies(attempts, layers):
    # The slowest request needs attempts**layers steps to fail; measure after that.
    settle = attempts**layers * 0.1
    duration = settle + 30
    run = simulate_stack(constant(10), layers=layers, retry=Retry(attempts=attempts),
                         duration=duration, step=0.1, faults=outage(f"layer{layers}", duration))
    for m in range(1, layers + 1):
        assert run.amplification(f"layer{m}", start=settle) == pytest.approx(attempts**m, rel=1e-9)
    assert round(run.amplification(start=settle)) == retries.retry_amplification(attempts, layers)
    assert round(run.amplification(start=settle)) == retries.count_calls_to_bottom(attempts, layers)
    assert run.success_ratio(start=settle) == 0.0


def test_five_layers_three_attempts_is_243_and_one_retrying_layer_is_3():
    every = simulate_stack(constant(100), layers=5, retry=Retry(attempts=3), duration=90,
                           step=0.1, faults=outage("layer5", 90))
    client = simulate_stack(constant(100), layers=5, retry=Retry(attempts=3), duration=90,
                            step=0.1, faults=outage("layer5", 90), retrying="client only")
    assert every.amplification(start=30) == pytest.approx(243)
    assert every.calls[-1, 4] / every.step == pytest.approx(24_300)  # calls per second
    assert client.amplification(start=30) == pytest.approx(3)
    assert [r["calls per request"] for r in client.summary()][1:] == pytest.approx([
        client.summary()[0]["calls per request"]] * 4)


def expected_calls(p: list[float], attempts: list[int]) -> tuple[list[float], float]:
    """Calls reaching each layer per request, and the request's success chance, when layer m
    fails a share p[m] of its calls at once and caller m tries up to attempts[m] times.

    q[m]: the chance a call into layer m fails in the end. The bottom fails its share; a
    layer above fails its own share, or else fails when all of its attempts on the layer
    below fail: q[m] = p[m] + (1 - p[m]) q[m+1]^a[m+1]. A call that fails with chance q is
    tried 1 + q + ... + q^(a-1) times on average when a tries are allowed.
    """
    L = len(p)
    q = [0.0] * L
    q[L - 1] = p[L - 1]
    for m in range(L - 2, -1, -1):
        q[m] = p[m] + (1 - p[m]) * q[m + 1] ** attempts[m + 1]
    tries = lambda qq, a: sum(qq**i for i in range(a))  # noqa: E731
    calls = [tries(q[0], attempts[0])]
    for m in range(1, L):
        calls.append(calls[m - 1] * (1 - p[m - 1]) * tries(q[m], attempts[m]))
    return calls, 1 - q[0] ** attempts[0]


@settings(max_examples=40, deadline=None)
@given(layers=st.integers(1, 4), attempts=st.integers(1, 3),
       shares=st.lists(st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.8, 1.0]), min_size=4, max_size=4),
       retrying=st.lists(st.booleans(), min_size=4, max_size=4))
def test_partial_failures_match_the_closed_form(layers, attempts, shares, retrying):
    faults = [error_rate(f"layer{m + 1}", s, at=0, duration=200)
              for m, s in enumerate(shares[:layers]) if s > 0]
    run = simulate_stack(constant(10), layers=layers, retry=Retry(attempts=attempts),
                         retrying=retrying[:layers], duration=200, step=0.1, faults=faults)
    per_caller = [attempts if r else 1 for r in retrying[:layers]]
    calls, success = expected_calls(shares[:layers], per_caller)
    settle = 0.1 * math.prod(per_caller) + 1
    for m in range(layers):
        assert run.amplification(f"layer{m + 1}", start=settle) == pytest.approx(calls[m], rel=1e-9, abs=1e-12)
    # Requests finishing in a window arrived up to `settle` earlier; arrivals are constant.
    assert run.success_ratio(start=settle) == pytest.approx(success, abs=1e-9)


def test_every_request_ends_once_and_only_once():
    faults = [error_rate("layer3", 0.6, at=10, duration=30), crash("layer2", at=20, duration=5)]
    run = simulate_stack(constant(50) * spike(2, at=15, duration=10), layers=3,
                         retry=Retry(attempts=3, backoff="full", base=0.2, cap=2.0),
                         duration=120, step=0.1, faults=faults, arrivals="poisson", seed=3)
    assert run.new.sum() == pytest.approx(run.good.sum() + run.failed.sum())
    assert (run.retries <= run.calls + 1e-9).all()
    assert run.calls[:, 0].sum() == pytest.approx(run.new.sum() + run.retries[:, 0].sum())


def test_capacity_sheds_and_retries_add_to_the_load():
    once = simulate_stack(constant(100), layers=2, retry=Retry(attempts=1), capacity=[1e9, 80],
                          duration=60)
    assert once.success_ratio(start=10) == pytest.approx(0.8)
    thrice = simulate_stack(constant(100), layers=2, retry=Retry(attempts=3), retrying="client only",
                            capacity=[1e9, 80], duration=60)
    # Retries raise the load at the bottom above the offered 100/s; it still serves only 80/s.
    assert thrice.calls[-10:, 1].mean() > 150
    assert thrice.good[-10:].mean() == pytest.approx(80)


@pytest.mark.parametrize("backoff", ["exponential", "full", "equal", "decorrelated"])
def test_backoff_spreads_retries_in_time_but_not_their_number(backoff):
    run = simulate_stack(constant(10), layers=3, retry=Retry(attempts=3, backoff=backoff, base=0.2, cap=1.0),
                         duration=300, step=0.1, faults=outage("layer3", 300))
    assert run.amplification(start=100) == pytest.approx(27, rel=1e-6)


@pytest.mark.parametrize("step", [1.0, 0.5, 0.1])
def test_a_fault_covers_its_window_whatever_the_step(step):
    run = simulate_stack(constant(10), layers=3, retry=Retry(attempts=1), duration=60, step=step,
                         faults=[crash("layer3", at=10, duration=20), error_rate("layer1", 0.5, at=40, duration=10)])
    assert run.failed.sum() == pytest.approx(20 * 10 + 0.5 * 10 * 10)
    assert run.calls[:, 2].sum() == pytest.approx(60 * 10 - 0.5 * 10 * 10)
    assert run.failed[run.times < 10].sum() == 0 and run.failed[run.times >= 50].sum() == 0


# -- SimPy: one process per request ----------------------------------------------------------


def simpy_stack(rate, layers, attempts, fail_share, duration, step, seed):
    """Per-request truth: a call into layer m fails with chance fail_share[m]; otherwise it
    calls layer m+1 (the bottom succeeds). A caller retries a failed call one `step` later,
    up to its attempts. Returns calls per layer, successes and failures."""
    rnd = random.Random(seed)
    env = simpy.Environment()
    calls = [0] * layers
    outcome = {"good": 0, "failed": 0}

    def call(m):
        calls[m] += 1
        if rnd.random() < fail_share[m]:
            return False
        if m == layers - 1:
            return True
        for i in range(attempts[m + 1]):
            if i:
                yield env.timeout(step)
            ok = yield env.process(call(m + 1))
            if ok:
                return True
        return False

    def client():
        for i in range(attempts[0]):
            if i:
                yield env.timeout(step)
            ok = yield env.process(call(0))
            if ok:
                outcome["good"] += 1
                return
        outcome["failed"] += 1

    def arrivals():
        while True:
            yield env.timeout(rnd.expovariate(rate))
            if env.now >= duration:
                return
            env.process(client())

    env.process(arrivals())
    env.run()
    return calls, outcome


def test_simpy_per_request_model_agrees():
    layers, flags, shares = 3, [True, False, True], [0.1, 0.2, 0.5]
    attempts = [3 if f else 1 for f in flags]
    sim_calls, good, failed, seeds = np.zeros(layers), 0, 0, 5
    for seed in range(seeds):
        c, o = simpy_stack(200, layers, attempts, shares, duration=60, step=0.1, seed=seed)
        sim_calls += c
        good += o["good"]
        failed += o["failed"]
    run = simulate_stack(constant(200), layers=layers, retry=Retry(attempts=3), retrying=flags,
                         duration=60, step=0.1,
                         faults=[error_rate(f"layer{m + 1}", s, at=0, duration=60)
                                 for m, s in enumerate(shares)])
    # Five Poisson runs of about 12,000 requests each: relative sd of the totals below 1 %.
    for m in range(layers):
        assert sim_calls[m] == pytest.approx(run.calls[:, m].sum() * seeds, rel=0.03)
    engine_success = run.good.sum() / (run.good.sum() + run.failed.sum())
    assert good / (good + failed) == pytest.approx(engine_success, abs=0.01)
    assert run.success_ratio(start=1.0) == pytest.approx(expected_calls(shares, attempts)[1], abs=1e-9)


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, argument", [
    ({"layers": 0}, "layers"), ({"layers": 13}, "layers"), ({"layers": None}, "layers"),
    ({"layers": 2.5}, "layers"), ({"duration": -1}, "duration"), ({"duration": math.nan}, "duration"),
    ({"duration": 10**9}, "duration"), ({"step": 0}, "step"), ({"retry": 3}, "retry"),
    ({"retrying": "some"}, "retrying"), ({"retrying": [True]}, "retrying"),
    ({"retrying": [1, 0, 1, 0, 1]}, "retrying"), ({"capacity": -5}, "capacity"),
    ({"capacity": [1, 2]}, "capacity"), ({"capacity": [1, 2, 3, 4, math.nan]}, "capacity[4]"),
    ({"faults": [crash("db", at=0, duration=5)]}, "faults[0].target"),
    ({"faults": [error_rate("layer1", 0.5, at=100, duration=5)]}, "faults[0].at"),
    ({"faults": "layer1"}, "faults"), ({"arrivals": "steady"}, "arrivals"), ({"seed": -1}, "seed"),
    ({"retry": Retry(attempts=10), "layers": 7}, "layers"),
    ({"retry": Retry(attempts=10, backoff="full", cap=3600), "layers": 5, "step": 0.001}, "retry"),
])
def test_bad_input_names_the_argument(kwargs, argument):
    args = {"duration": 60, "layers": 5} | kwargs
    with pytest.raises(LabkitError, match=rf"^{re.escape(argument)}=.* is not allowed: "):
        simulate_stack(constant(10), **args)


def test_bad_windows_and_layers():
    run = simulate_stack(constant(10), layers=2, duration=10)
    for call, argument in ((lambda: run.amplification("layer3"), "layer"),
                           (lambda: run.amplification(start=-1), "start"),
                           (lambda: run.success_ratio(start=5, end=2), "end"),
                           (lambda: run.table(every=0), "every")):
        with pytest.raises(LabkitError, match=rf"^{argument}="):
            call()
    assert layer_names(2) == ["layer1", "layer2"]
    assert {r["layer"] for r in run.table()} == {"client (new requests)", "layer1", "layer2"}


def test_windows_tables_and_summaries_hold_the_run_s_numbers():
    run = simulate_stack(constant(10), layers=2, retry=Retry(attempts=2), duration=20, step=0.5,
                         faults=[crash("layer2", at=5, duration=5)])
    # Steps are [0, 0.5), [0.5, 1), ...: a window [start, end) takes the steps starting in it.
    assert run.amplification("layer1", start=0, end=5) == pytest.approx(1.0)
    assert run.amplification("layer1", start=6, end=10) == pytest.approx(2.0)   # every call retried
    # A request's four tries at layer2 take four steps (2 s): steady from 7 s.
    assert run.amplification("layer2", start=7, end=10) == pytest.approx(4.0)
    assert run.amplification("layer2", start=12) == pytest.approx(1.0)
    assert run.success_ratio(start=0, end=5) == 1.0
    assert run.success_ratio(start=6.5, end=10) == 0.0
    rows = run.table()
    assert len(rows) == 3 * 40
    assert rows[0] == {"time": 0.0, "layer": "client (new requests)", "calls per s": 10.0}
    layer2 = [r for r in rows if r["layer"] == "layer2"]
    assert [r["time"] for r in layer2[:3]] == [0.0, 0.5, 1.0]
    assert layer2[15]["calls per s"] == pytest.approx(run.calls[15, 1] / 0.5)
    assert len(run.table(every=4)) == 3 * 10
    summary = run.summary()
    assert [r["layer"] for r in summary] == ["layer1", "layer2"]
    assert summary[1]["calls"] == pytest.approx(run.calls[:, 1].sum())
    assert summary[1]["of which retries"] == pytest.approx(run.retries[:, 1].sum())
    assert summary[1]["calls per request"] == pytest.approx(run.calls[:, 1].sum() / 200)
    assert summary[0]["attempts of its caller"] == 2


def test_poisson_arrivals_are_seeded_and_average_the_fluid_run():
    kwargs = dict(layers=3, retry=Retry(attempts=3), duration=200, step=0.1,
                  faults=[error_rate("layer3", 0.5, at=0, duration=200)])
    a = simulate_stack(constant(100), arrivals="poisson", seed=1, **kwargs)
    b = simulate_stack(constant(100), arrivals="poisson", seed=1, **kwargs)
    c = simulate_stack(constant(100), arrivals="poisson", seed=2, **kwargs)
    fluid = simulate_stack(constant(100), **kwargs)
    np.testing.assert_array_equal(a.calls, b.calls)
    assert not np.array_equal(a.calls, c.calls)
    assert not np.allclose(a.new, fluid.new)             # really random counts
    assert a.new.sum() == pytest.approx(20_000, rel=0.03)  # sd of the total: 141
    assert a.amplification(start=5) == pytest.approx(fluid.amplification(start=5), rel=0.01)


@pytest.mark.parametrize("kwargs, message", [
    ({"capacity": 0}, "capacity=0 is not allowed: expected calls per second above 0"),
    ({"seed": 2**64}, "seed="),
    ({"faults": [None]}, "faults[0]=None is not allowed: expected labkit.simulation.crash"),
])
def test_messages_say_what_is_allowed(kwargs, message):
    with pytest.raises(LabkitError) as info:
        simulate_stack(constant(10), duration=10, layers=2, **kwargs)
    assert str(info.value).startswith(message)


def test_faults_a_stack_cannot_take_are_refused_by_kind_and_number():
    from labkit.simulation import added_latency
    with pytest.raises(LabkitError, match=r"^faults\[0\]\.kind='latency' is not allowed: a stack "
                                          r"takes crashes and error rates"):
        simulate_stack(constant(10), duration=10, layers=2,
                       faults=[added_latency("layer1", 100, at=0, duration=5)])
    many = [crash("layer1", at=i * 0.001, duration=0.001) for i in range(1_001)]
    with pytest.raises(LabkitError, match=r"^faults="):
        simulate_stack(constant(10), duration=10, layers=2, faults=many)
    one = simulate_stack(constant(10), duration=10, layers=2, retry=Retry(attempts=1),
                         faults=crash("layer1", at=2, duration=2))
    assert one.failed.sum() == pytest.approx(20)
