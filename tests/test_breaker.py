"""labkit.breaker: resilience4j's state machine call by call, presets with the libraries' documented numbers,
and the vectorised bank agreeing with it.

Every scenario is a sequence of call outcomes at given times. Three references check the two
implementations: pybreaker's own consecutive-failure counter (for the pybreaker preset), the
per-call CircuitBreaker (for a bank fed one call per step), and a slow, plain-Python bank that
keeps every step in a list (for a bank fed many calls per step).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from labkit import LabkitError
from labkit.breaker import (MAX_BANK_SLOTS, MAX_LINKS, PRESETS, STATES, BreakerBank,
                            BreakerConfig, CircuitBreaker, hystrix, polly, pybreaker,
                            resilience4j)

F, S = False, True  # a failed and a successful call

# The breaker computes on floats and arrays; it must never warn (inf - inf, 0 / 0, ...).
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def message(call, *args, **kwargs):
    with pytest.raises(LabkitError) as excinfo:
        call(*args, **kwargs)
    return str(excinfo.value)


def config(**changes):
    """Small windows for hand-made sequences."""
    base = dict(failure_rate_threshold=0.5, sliding_window_type="count", sliding_window_size=4,
                minimum_number_of_calls=4, wait_duration_in_open_state=10,
                permitted_number_of_calls_in_half_open_state=2)
    return BreakerConfig(**{**base, **changes})


def drive(breaker, outcomes, start=0.0, dt=1.0):
    """One call every ``dt`` seconds; a call the breaker rejects is skipped. Returns the
    states after each call."""
    states = []
    for i, ok in enumerate(outcomes):
        now = start + i * dt
        if breaker.allow(now):
            breaker.record(ok, now)
        states.append(breaker.state)
    return states


# --------------------------------------------------------------------------- configuration


def test_defaults_are_resilience4j():
    c = BreakerConfig()
    assert dataclasses.astuple(c) == (0.5, "count", 100, 100, 60.0, 10)
    assert resilience4j() == c
    assert type(c.failure_rate_threshold) is float and type(c.wait_duration_in_open_state) is float


@pytest.mark.parametrize("name, expected", [
    ("resilience4j", (0.5, "count", 100, 100, 60.0, 10)),
    ("hystrix", (0.5, "time", 10, 20, 5.0, 1)),
    ("polly", (0.1, "time", 30, 100, 5.0, 1)),
    ("pybreaker", (1.0, "count", 5, 5, 60.0, 1)),
])
def test_presets_carry_facts_md_numbers(name, expected):
    preset = PRESETS[name]
    assert dataclasses.astuple(preset()) == expected
    assert preset.__name__ == name
    assert "lessons/sources.md" in preset.__doc__


def test_presets_dictionary():
    assert PRESETS == {"resilience4j": resilience4j, "hystrix": hystrix, "polly": polly,
                       "pybreaker": pybreaker}
    assert STATES == ("closed", "open", "half_open")


def test_config_is_frozen_and_normalised():
    c = BreakerConfig(failure_rate_threshold=1, wait_duration_in_open_state=5,
                      sliding_window_size=np.int64(7), minimum_number_of_calls=np.int32(7),
                      permitted_number_of_calls_in_half_open_state=np.uint8(3))
    assert dataclasses.astuple(c) == (1.0, "count", 7, 7, 5.0, 3)
    assert [type(v) for v in dataclasses.astuple(c)] == [float, str, int, int, float, int]
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.sliding_window_size = 8


THRESHOLD = "expected a number above 0 and at most 1 (a fraction: resilience4j's 50 % is 0.5)"


@pytest.mark.parametrize("changes, text", [
    ({"failure_rate_threshold": 0}, f"failure_rate_threshold=0 is not allowed: {THRESHOLD}"),
    ({"failure_rate_threshold": 1.5}, f"failure_rate_threshold=1.5 is not allowed: {THRESHOLD}"),
    ({"failure_rate_threshold": math.nan},
     f"failure_rate_threshold=nan is not allowed: {THRESHOLD}"),
    ({"failure_rate_threshold": -0.5},
     f"failure_rate_threshold=-0.5 is not allowed: {THRESHOLD}"),
    ({"failure_rate_threshold": 50}, f"failure_rate_threshold=50 is not allowed: {THRESHOLD}"),
    ({"failure_rate_threshold": "0.5"},
     f"failure_rate_threshold='0.5' is not allowed: {THRESHOLD}"),
    ({"failure_rate_threshold": True},
     f"failure_rate_threshold=True is not allowed: {THRESHOLD}"),
    ({"sliding_window_type": "sliding"}, "sliding_window_type='sliding' is not allowed: "
     "expected one of 'count', 'time'"),
    ({"sliding_window_type": "COUNT_BASED"}, "sliding_window_type='COUNT_BASED' is not "
     "allowed: expected one of 'count', 'time'"),
    ({"sliding_window_size": 0}, "sliding_window_size=0 is not allowed: expected a whole "
     "number of at least 1 and at most 100000"),
    ({"sliding_window_size": -5}, "sliding_window_size=-5 is not allowed: expected a whole "
     "number of at least 1 and at most 100000"),
    ({"sliding_window_size": 2.0}, "sliding_window_size=2.0 is not allowed: expected a whole "
     "number of at least 1 and at most 100000"),
    ({"sliding_window_size": 100_001}, "sliding_window_size=100001 is not allowed: expected a "
     "whole number of at least 1 and at most 100000"),
    ({"sliding_window_type": "time", "sliding_window_size": 86_401},
     "sliding_window_size=86401 is not allowed: expected a whole number of at least 1 and at "
     "most 86400"),
    ({"minimum_number_of_calls": 0}, "minimum_number_of_calls=0 is not allowed: expected a "
     "whole number of at least 1 and at most 1000000000"),
    ({"minimum_number_of_calls": -1}, "minimum_number_of_calls=-1 is not allowed: expected a "
     "whole number of at least 1 and at most 1000000000"),
    ({"minimum_number_of_calls": 5}, "minimum_number_of_calls=5 is not allowed: expected at "
     "most sliding_window_size=4 with a count-based window, which never holds more calls "
     "(resilience4j silently lowers it to the window size)"),
    ({"sliding_window_type": "time", "minimum_number_of_calls": 10**9 + 1},
     "minimum_number_of_calls=1000000001 is not allowed: expected a whole number of at least 1 "
     "and at most 1000000000"),
    ({"wait_duration_in_open_state": 0}, "wait_duration_in_open_state=0 is not allowed: "
     "expected a finite number above 0"),
    ({"wait_duration_in_open_state": -60}, "wait_duration_in_open_state=-60 is not allowed: "
     "expected a finite number above 0"),
    ({"wait_duration_in_open_state": math.inf}, "wait_duration_in_open_state=inf is not "
     "allowed: expected a finite number above 0"),
    ({"permitted_number_of_calls_in_half_open_state": 0},
     "permitted_number_of_calls_in_half_open_state=0 is not allowed: expected a whole number "
     "of at least 1 and at most 100000"),
    ({"permitted_number_of_calls_in_half_open_state": -3},
     "permitted_number_of_calls_in_half_open_state=-3 is not allowed: expected a whole number "
     "of at least 1 and at most 100000"),
    ({"permitted_number_of_calls_in_half_open_state": 100_001},
     "permitted_number_of_calls_in_half_open_state=100001 is not allowed: expected a whole "
     "number of at least 1 and at most 100000"),
])
def test_bad_config_is_refused_by_name(changes, text):
    assert message(config, **changes) == text


def test_config_limits_are_inclusive():
    assert config(sliding_window_size=100_000).sliding_window_size == 100_000
    assert config(sliding_window_type="time", sliding_window_size=86_400,
                  minimum_number_of_calls=10**9).minimum_number_of_calls == 10**9
    assert config(permitted_number_of_calls_in_half_open_state=100_000,
                  failure_rate_threshold=1.0, minimum_number_of_calls=1) is not None
    assert config(failure_rate_threshold=5e-324).failure_rate_threshold == 5e-324


def test_time_window_may_ask_for_more_calls_than_seconds():
    # A time window holds any number of calls: Hystrix asks for 20 in 10 s.
    assert hystrix().minimum_number_of_calls > hystrix().sliding_window_size


def test_a_breaker_needs_a_config():
    assert CircuitBreaker().config == BreakerConfig()
    assert message(CircuitBreaker, "hystrix") == ("config='hystrix' is not allowed: expected a "
                                                   "BreakerConfig, e.g. labkit.breaker.hystrix()")
    assert message(BreakerBank, {}, 3).startswith("config={} is not allowed")


# --------------------------------------------------------------------------- closed -> open


def test_99_failures_then_the_100th_opens():
    breaker = CircuitBreaker()
    states = drive(breaker, [F] * 99)
    assert set(states) == {"closed"} and breaker.window() == (99, 99)
    assert breaker.allow(99) is True
    assert breaker.record(False, 99) == "open"
    assert breaker.transitions == [(99.0, "closed", "open")]
    assert breaker.window() == (0, 0)  # each closed period starts afresh


def test_a_success_can_open_it_too():
    # resilience4j checks the thresholds after every recorded outcome, successes included.
    breaker = CircuitBreaker()
    drive(breaker, [F] * 99 + [S])
    assert breaker.transitions == [(99.0, "closed", "open")]


def test_exactly_the_threshold_opens():
    breaker = CircuitBreaker()
    drive(breaker, [F] * 50 + [S] * 49)
    assert breaker.state == "closed"
    assert breaker.record(True, 99) == "open"  # 50 of 100: >= 50 %


def test_49_percent_never_opens():
    # Every 100 consecutive calls of a period-100 pattern hold exactly 49 failures.
    breaker = CircuitBreaker()
    pattern = [F] * 49 + [S] * 51
    states = drive(breaker, pattern * 20)
    assert set(states) == {"closed"} and breaker.transitions == []
    assert breaker.window() == (100, 49)


def test_no_rate_below_the_minimum_number_of_calls():
    breaker = CircuitBreaker(config(sliding_window_size=100, minimum_number_of_calls=10))
    drive(breaker, [F] * 9)
    assert breaker.state == "closed" and breaker.window() == (9, 9)
    assert breaker.record(False, 9) == "open"


def test_count_window_slides():
    breaker = CircuitBreaker(config(failure_rate_threshold=0.75))
    states = drive(breaker, [F, F, S, S, S, S, F, F, F])
    assert states == ["closed"] * 8 + ["open"]  # [S, F, F, F] is 75 %; the first Fs slid out
    assert breaker.transitions == [(8.0, "closed", "open")]


# --------------------------------------------------------------------------- open, half-open


def opened(cfg=None, at=3.0):
    """A breaker just opened at ``at`` by four failures (the small config)."""
    breaker = CircuitBreaker(cfg or config())
    drive(breaker, [F] * 4, start=at - 3)
    assert breaker.transitions == [(at, "closed", "open")]
    return breaker


def test_open_rejects_until_the_wait_has_elapsed():
    breaker = opened()
    assert [breaker.allow(t) for t in (3, 4, 12.999999)] == [False] * 3
    assert breaker.state == "open"
    assert breaker.allow(13) is True  # opened at 3, waits 10 s: elapsed at 13
    assert breaker.state == "half_open"
    assert breaker.transitions == [(3.0, "closed", "open"), (13.0, "open", "half_open")]


def test_half_open_admits_exactly_the_permitted_probes():
    breaker = opened(config(permitted_number_of_calls_in_half_open_state=3))
    assert [breaker.allow(20) for _ in range(5)] == [True, True, True, False, False]
    assert breaker.record(True, 20) == "half_open"
    assert breaker.record(True, 21) == "half_open"
    assert breaker.allow(21) is False  # all three taken; one still to report
    assert breaker.record(True, 21) == "closed"
    assert breaker.allow(21) is True


@pytest.mark.parametrize("probes, state", [
    ([S, S, S, S, S, S, F, F, F, F], "closed"),  # 40 % < 50 %
    ([F, F, F, F, F, S, S, S, S, S], "open"),    # 50 %: back to open
    ([S, S, S, S, S, S, S, S, S, F], "closed"),
])
def test_probes_close_or_reopen(probes, state):
    breaker = CircuitBreaker()
    drive(breaker, [F] * 100)
    assert breaker.state == "open"
    for i, ok in enumerate(probes):
        assert breaker.allow(159 + i) is True
        assert breaker.state == "half_open"
        breaker.record(ok, 159 + i)
    assert breaker.state == state
    assert breaker.transitions == [(99.0, "closed", "open"), (159.0, "open", "half_open"),
                                   (168.0, "half_open", state)]


def test_a_reopened_breaker_waits_again_from_its_probes():
    breaker = opened()
    breaker.allow(13), breaker.record(False, 13), breaker.allow(14)
    assert breaker.record(True, 15) == "open"  # 1 of 2 failed: 50 %
    assert breaker.allow(24.5) is False and breaker.allow(25) is True
    assert breaker.transitions[-2:] == [(15.0, "half_open", "open"), (25.0, "open", "half_open")]


def test_a_closed_breaker_starts_with_an_empty_window():
    breaker = opened()
    for t in (13, 14):
        breaker.allow(t), breaker.record(True, t)
    assert breaker.state == "closed" and breaker.window() == (0, 0)
    assert drive(breaker, [F, F, F], start=15) == ["closed"] * 3  # needs 4 calls again
    assert breaker.record(False, 18) == "open"


def test_outcomes_recorded_while_open_change_nothing():
    # resilience4j: a call admitted before the breaker opened may report afterwards.
    breaker = opened()
    assert breaker.record(True, 5) == "open" and breaker.window() == (0, 0)
    assert breaker.allow(12) is False and breaker.allow(13) is True


def test_late_outcomes_count_as_probes_while_half_open():
    breaker = opened()
    breaker.allow(13)
    assert breaker.record(False, 13) == "half_open"
    assert breaker.record(False, 13) == "open"  # resilience4j's half-open window counts it


# --------------------------------------------------------------------------- time windows


def test_time_window_forgets_old_calls():
    breaker = CircuitBreaker(hystrix())
    for _ in range(19):
        breaker.record(False, 0.5)
    assert breaker.window() == (19, 19)
    assert breaker.record(False, 10.2) == "closed"  # second 0 left the window at second 10
    assert breaker.window() == (1, 1)


def test_a_time_window_is_checked_only_when_calls_are_recorded():
    cfg = config(sliding_window_type="time", sliding_window_size=6, minimum_number_of_calls=1)
    breaker, bank = CircuitBreaker(cfg), BreakerBank(cfg, 1)
    for now, ok in [(0, True), (0, True), (1, False)]:
        breaker.record(ok, now)
        bank.record(now, [1], [int(not ok)])
    bank.record(6, [0], [0])  # second 0 leaves: 1 failure in 1 call, but nothing recorded
    assert breaker.state_at(6) == "closed" and bank.state_names == ["closed"]
    assert [a.tolist() for a in bank.window()] == [[1.0], [1.0]]
    bank.record(6, [1], [0])
    assert bank.state_names == ["open"]  # 1 of 2
    assert breaker.record(True, 6) == "open"


def test_time_window_keeps_the_last_seconds():
    breaker = CircuitBreaker(hystrix())
    for _ in range(19):
        breaker.record(False, 0.5)
    assert breaker.record(False, 9.99) == "open"  # seconds 0..9 are the last 10
    assert breaker.transitions == [(9.99, "closed", "open")]


def test_time_window_counts_per_second_buckets():
    breaker = CircuitBreaker(config(sliding_window_type="time", sliding_window_size=3,
                                    minimum_number_of_calls=100))
    for t, ok in [(0, F), (0.9, F), (1, S), (2.5, F), (3, S), (3.2, S), (7, F), (8, S)]:
        breaker.record(ok, t)
    assert breaker.window() == (2, 1)  # seconds 6, 7, 8
    breaker.record(True, 8.5)
    assert breaker.window() == (3, 1)


def test_polly_opens_at_ten_percent_of_a_hundred():
    breaker = CircuitBreaker(polly())
    for i in range(99):
        breaker.record(i >= 10, i * 0.25)  # 10 failures first, within 30 s
    assert breaker.state == "closed" and breaker.window() == (99, 10)
    assert breaker.record(True, 25) == "open"  # 10 of 100 = 0.1 >= FailureRatio 0.1
    assert breaker.allow(29.9) is False and breaker.allow(30) is True  # BreakDuration 5 s


def test_hystrix_needs_twenty_requests_and_one_trial():
    breaker = CircuitBreaker(hystrix())
    drive(breaker, [F] * 19, dt=0.1)
    assert breaker.state == "closed"
    assert breaker.record(True, 1.9) == "open"  # 19 of 20 failed
    assert breaker.allow(6.9) is True and breaker.allow(6.9) is False  # sleep 5 s, one trial
    assert breaker.record(True, 7) == "closed"


# --------------------------------------------------------------------------- pybreaker


def pybreaker_reference(events, fail_max=5, reset_timeout=60.0):
    """pybreaker's own rules: a failure counter reset by successes and on closing; open at
    fail_max; after reset_timeout the next call is the trial. ``events`` are (time, success)."""
    state, counter, opened_at, log = "closed", 0, None, []
    for now, ok in events:
        if state == "open":
            if now < opened_at + reset_timeout:
                continue  # CircuitBreakerError: the call never runs
            log.append((now, "open", "half_open"))
            state = "half_open"
        if ok:
            counter = 0
            if state == "half_open":
                log.append((now, "half_open", "closed"))
                state = "closed"
        else:
            counter += 1
            if state == "half_open" or counter >= fail_max:
                log.append((now, state, "open"))
                state, opened_at = "open", now
    return log


def test_pybreaker_opens_on_five_consecutive_failures_only():
    breaker = CircuitBreaker(pybreaker())
    drive(breaker, [F, F, F, F, S, F, F, F, F, S, F, F, F, F])
    assert breaker.state == "closed"
    assert breaker.record(False, 14) == "open"
    assert breaker.transitions == [(14.0, "closed", "open")]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 1.0, 7.0, 30.0, 59.0, 60.0, 61.0]),
                          st.booleans()), max_size=80))
@example([(0.0, False)] * 5 + [(60.0, True)])
@example([(0.0, False)] * 5 + [(59.0, True), (1.0, False)])
def test_pybreaker_preset_is_pybreaker(steps):
    events, now = [], 0.0
    for dt, ok in steps:
        now += dt
        events.append((now, ok))
    breaker = CircuitBreaker(pybreaker())
    for now, ok in events:
        if breaker.allow(now):
            breaker.record(ok, now)
    assert breaker.transitions == pybreaker_reference(events)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("now, text", [
    (math.nan, "now=nan is not allowed: expected a finite number of seconds"),
    (math.inf, "now=inf is not allowed: expected a finite number of seconds"),
    (-math.inf, "now=-inf is not allowed: expected a finite number of seconds"),
    ("5", "now='5' is not allowed: expected a finite number of seconds"),
    (True, "now=True is not allowed: expected a finite number of seconds"),
    (None, "now=None is not allowed: expected a finite number of seconds"),
    (4.5, "now=4.5 is not allowed: expected at least 5.0, the latest time already given: "
     "time only moves forward"),
    (10**400, "now=<an integer of about 401 digits> is not allowed: expected a finite number "
     "of seconds"),
])
def test_time_is_checked_and_only_moves_forward(now, text):
    breaker = CircuitBreaker()
    breaker.allow(5)
    assert message(breaker.allow, now) == text
    assert message(breaker.record, True, now) == text
    bank = BreakerBank(None, 1)
    bank.allow(5)
    assert message(bank.allow, now) == text
    assert message(bank.record, now, [0], [0]) == text
    assert breaker.allow(5) and bank.allow(5)[0] == math.inf  # nothing moved


def test_big_and_odd_times_are_fine():
    breaker = CircuitBreaker()
    for now in (-1e300, -5, np.float64(0.5), 2**53, 2**60, 1e300):
        assert breaker.allow(now) is True
    assert breaker.record(True, 1e300) == "closed"


def test_success_must_be_true_or_false():
    breaker = CircuitBreaker()
    for value in ("yes", 1, 0, None, np.bool_(True)):
        assert message(breaker.record, value, 0) == (f"success={value!r} is not allowed: "
                                                     "expected True or False")


def test_transitions_are_a_copy():
    breaker = opened()
    breaker.transitions.clear()
    assert breaker.transitions == [(3.0, "closed", "open")]


# --------------------------------------------------------------------------- the bank


def test_bank_links_and_states():
    bank = BreakerBank(config(), ["cell-1", "cell-2", "cell-3"])
    assert bank.links == ("cell-1", "cell-2", "cell-3")
    assert bank.state.tolist() == [0, 0, 0] and bank.state_names == ["closed"] * 3
    bank.record(0, [4, 4, 3], [2, 1, 3])
    assert bank.state.tolist() == [1, 0, 0]
    assert bank.state_names == ["open", "closed", "closed"]
    assert bank.transitions == [(0.0, "cell-1", "closed", "open")]
    bank.state[1] = 2  # a copy
    assert bank.state_names == ["open", "closed", "closed"]
    assert BreakerBank(config(), 2).links == (0, 1)
    assert BreakerBank(config(), np.int64(2)).links == (0, 1)


@pytest.mark.parametrize("links, text", [
    (0, "links=0 is not allowed: expected a whole number of at least 1 and at most 10000"),
    (10_001, "links=10001 is not allowed: expected a whole number of at least 1 and at most "
     "10000"),
    (True, "links=True is not allowed: expected a name or a list of names (strings)"),
    ("cells", "links='cells' is not allowed: expected a number of links (1 to 10,000) or a list "
     "of distinct link names"),
    ([], "links=[] is not allowed: expected a number of links (1 to 10,000) or a list of "
     "distinct link names"),
    (["a", "b", "a"], "links=['a', 'b', 'a'] is not allowed: expected a number of links (1 to "
     "10,000) or a list of distinct link names"),
    ([1, 2], "links=[1, 2] is not allowed: expected a name or a list of names (strings) with "
     "something other than spaces in each"),
    (2.0, "links=2.0 is not allowed: expected a name or a list of names (strings)"),
    ([f"c{i}" for i in range(10_001)], "links=<list of 10,001 items> is not allowed: expected "
     "a number of links (1 to 10,000) or a list of distinct link names"),
])
def test_bad_links(links, text):
    assert message(BreakerBank, config(), links) == text


def test_a_bank_is_bounded_in_memory():
    day = config(sliding_window_type="time", sliding_window_size=86_400)
    assert len(BreakerBank(day, 92).links) == 92
    assert message(BreakerBank, day, 93) == (
        "links=93 is not allowed: expected at most 92 links with this window: a bank keeps "
        "86,400 slots per link and at most 8,000,000 in all")
    big = config(sliding_window_size=100_000)  # 4,096 slots per link
    assert len(BreakerBank(big, MAX_BANK_SLOTS // 4096).links) == 1953
    assert message(BreakerBank, big, 1954).startswith("links=1954 is not allowed: expected at "
                                                      "most 1,953 links")
    assert len(BreakerBank(config(sliding_window_size=799), MAX_LINKS).links) == MAX_LINKS
    names = [f"c{i}" for i in range(MAX_LINKS)]
    assert BreakerBank(config(), names).links == tuple(names)
    thousand = config(sliding_window_size=999)  # 1,000 slots per link
    assert len(BreakerBank(thousand, 8000).links) == 8000
    assert message(BreakerBank, thousand, 8001) == (
        "links=8001 is not allowed: expected at most 8,000 links with this window: a bank "
        "keeps 1,000 slots per link and at most 8,000,000 in all")


def test_allow_reports_what_each_link_admits():
    bank = BreakerBank(config(permitted_number_of_calls_in_half_open_state=3), 3)
    assert bank.allow(0).tolist() == [math.inf] * 3
    bank.record(0, [4, 4, 0], [4, 0, 0])
    assert bank.allow(9.5).tolist() == [0.0, math.inf, math.inf]
    assert bank.allow(10).tolist() == [3.0, math.inf, math.inf]
    bank.record(10, [2, 0, 0], [0, 0, 0])
    assert bank.allow(10).tolist() == [1.0, math.inf, math.inf]
    allowed = bank.allow(11)
    allowed[0] = 99  # a copy
    assert bank.allow(11).tolist() == [1.0, math.inf, math.inf]


def test_bank_opens_exactly_at_the_threshold():
    bank = BreakerBank(resilience4j(), 3)
    bank.record(0, [100, 100, 99], [50, 49, 99])
    assert bank.state_names == ["open", "closed", "closed"]  # 99 calls: below the minimum
    calls, failures = bank.window()
    assert calls.tolist() == [0.0, 100.0, 99.0] and failures.tolist() == [0.0, 49.0, 99.0]
    bank.record(1, [0, 100, 1], [0, 49, 0])
    assert bank.state_names == ["open", "closed", "open"]  # 99 of the last 100


def test_bank_count_window_takes_the_oldest_step_in_part():
    bank = BreakerBank(config(sliding_window_size=10, minimum_number_of_calls=10), 3)
    bank.record(0, [6, 3, 0], [3, 3, 0])
    bank.record(1, [6, 3, 0], [0, 0, 0])
    bank.record(2, [0, 3, 25], [0, 0, 1])
    calls, failures = bank.window()
    # newest 6 (0 failures) + 4 of the 6 before (3 failed: 2 of the 4); 9 calls of 3 steps;
    # one step of 25 calls (1 failure) counted for 10 (0.4 failures).
    assert calls.tolist() == [10.0, 9.0, 10.0]
    assert failures.tolist() == [2.0, 3.0, 0.4]
    bank.record(3, [0, 3, 0], [0, 0, 0])
    assert bank.window()[0].tolist() == [10.0, 10.0, 10.0]
    assert bank.window()[1].tolist() == pytest.approx([2.0, 1.0, 0.4])


def test_bank_window_catches_up_after_a_large_step():
    # Record drops at most one covered step per call; what the window counts drops them all.
    bank = BreakerBank(config(sliding_window_size=5, minimum_number_of_calls=5,
                              failure_rate_threshold=0.9), 2)
    for t in range(4):
        bank.record(t, [1, 1], [1, 1])
    bank.record(4, [12, 12], [0, 12])
    assert [a.tolist() for a in bank.window()] == [[5.0, 0.0], [0.0, 0.0]]
    assert bank.state_names == ["closed", "open"]


def test_bank_merges_steps_of_less_than_a_call():
    bank = BreakerBank(config(sliding_window_size=2, minimum_number_of_calls=2,
                              failure_rate_threshold=0.6), ["a", "b", "whole"])
    for t in range(40):  # quarter calls: the ring of 3 steps must merge
        bank.record(t, [0.25, 0.25, 1], [0.25 * 0.5, 0.25 if t % 2 else 0.0, t % 2])
    calls, failures = bank.window()
    assert calls.tolist() == pytest.approx([2.0, 2.0, 2.0]) and failures[0] == pytest.approx(1.0)
    assert 0.5 <= failures[1] <= 1.5  # the true last 2 calls hold 1 failure
    assert failures[2] == 1.0  # whole calls: its two steps are kept exactly, never merged
    assert bank.state_names == ["closed", "closed", "closed"]


def test_bank_windows_over_4095_calls_are_approximate():
    bank = BreakerBank(config(sliding_window_size=5000, minimum_number_of_calls=5000), 1)
    bank.record(0, [1], [1])
    for t in range(1, 5001):
        bank.record(t, [1], [0])
    # The ring keeps 4,096 steps, so the oldest were merged into one of 5001 - 4095 = 906
    # calls holding the first call's failure; the window takes 905 of them and as large a
    # share of its failure (the exact window, calls 2 to 5001, has none).
    assert [a.tolist() for a in bank.window()] == [[5000.0], [1 - 1 / 906]]


def test_bank_time_window():
    bank = BreakerBank(config(sliding_window_type="time", sliding_window_size=3,
                              minimum_number_of_calls=100), 2)
    for t, calls, failures in [(0, [1, 2], [1, 0]), (0.5, [1, 0], [0, 0]), (1, [1, 1], [1, 1]),
                               (2.9, [4, 0], [1, 0])]:
        bank.record(t, calls, failures)
    assert [a.tolist() for a in bank.window()] == [[7.0, 3.0], [3.0, 1.0]]
    bank.record(3, [0, 0], [0, 0])  # second 0 leaves
    assert [a.tolist() for a in bank.window()] == [[5.0, 1.0], [2.0, 1.0]]
    bank.record(5, [1, 0], [0, 0])  # seconds 1 and 2 leave (4 had no record)
    assert [a.tolist() for a in bank.window()] == [[1.0, 0.0], [0.0, 0.0]]
    bank.record(9, [0, 2], [0, 2])  # everything older leaves
    assert [a.tolist() for a in bank.window()] == [[0.0, 2.0], [0.0, 2.0]]
    bank.record(10, [3, 0], [1, 0])
    bank.record(30, [1, 1], [0, 0])  # a jump of many windows
    assert [a.tolist() for a in bank.window()] == [[1.0, 1.0], [0.0, 0.0]]


def test_bank_half_open_probes_spread_over_steps():
    bank = BreakerBank(config(permitted_number_of_calls_in_half_open_state=10), ["x"])
    bank.record(0, [4], [4])
    admitted = [bank.step(t, [3], [0.0]).tolist() for t in (10, 11, 12, 13, 14)]
    assert admitted == [[3.0], [3.0], [3.0], [1.0], [3.0]]
    assert bank.transitions == [(0.0, "x", "closed", "open"), (10.0, "x", "open", "half_open"),
                                (13.0, "x", "half_open", "closed")]
    assert [a.tolist() for a in bank.window()] == [[3.0], [0.0]]  # a fresh window


def test_bank_half_open_reopens():
    bank = BreakerBank(hystrix(), 2)
    bank.record(0, [20, 20], [10, 9])
    assert bank.allow(5).tolist() == [1.0, math.inf]
    bank.record(5, [1, 20], [1, 0])
    assert bank.state_names == ["open", "closed"]
    assert bank.allow(10).tolist() == [1.0, math.inf]
    bank.record(10, [1, 30], [0, 0])
    assert bank.transitions == [(0.0, 0, "closed", "open"), (5.0, 0, "open", "half_open"),
                                (5.0, 0, "half_open", "open"), (10.0, 0, "open", "half_open"),
                                (10.0, 0, "half_open", "closed")]
    assert bank.state_names == ["closed", "closed"] and bank.window()[0].tolist() == [0.0, 50.0]


def test_bank_step_admits_and_records():
    bank = BreakerBank(config(), 2)
    assert bank.step(0, [4, 4], [1.0, 0.25]).tolist() == [4.0, 4.0]
    assert bank.state_names == ["open", "closed"]
    assert bank.step(1, [4, 4], [0.0, 0.25]).tolist() == [0.0, 4.0]
    assert [a.tolist() for a in bank.window()] == [[0.0, 4.0], [0.0, 1.0]]
    bank.step(2, [4, 4], [0.0, 0.5])
    assert bank.state_names == ["open", "open"]


def test_pybreaker_in_a_bank_with_many_calls_per_step():
    # Five consecutive failures become "the newest 5 calls all failed": with many calls per
    # step, a step counts in proportion, so only a step of failures alone trips it.
    bank = BreakerBank(pybreaker(), 3)
    bank.record(0, [100, 100, 3], [90, 100, 3])
    assert bank.state_names == ["closed", "open", "closed"]
    bank.record(1, [100, 0, 2], [90, 0, 2])
    assert bank.state_names == ["closed", "open", "open"]
    assert bank.window()[1].tolist() == [4.5, 0.0, 0.0]


# ----------------------------------------------------------------------- bank: bad input


COUNTS = "expected 2 numbers, one per link"


@pytest.mark.parametrize("calls, failures, text", [
    ([1], [0, 0], f"calls=[1] is not allowed: {COUNTS}"),
    ([1, 2, 3], [0, 0], f"calls=[1, 2, 3] is not allowed: {COUNTS}"),
    ("12", [0, 0], f"calls='12' is not allowed: {COUNTS}"),
    (None, [0, 0], f"calls=None is not allowed: {COUNTS}"),
    (3, [0, 0], f"calls=3 is not allowed: {COUNTS}"),
    ({"a": 1, "b": 2}, [0, 0], f"calls={{'a': 1, 'b': 2}} is not allowed: {COUNTS}"),
    ([True, False], [0, 0], f"calls=[True, False] is not allowed: {COUNTS}"),
    (["1", "2"], [0, 0], f"calls=['1', '2'] is not allowed: {COUNTS}"),
    ([1, None], [0, 0], f"calls=[1, None] is not allowed: {COUNTS}"),
    ([[1], [2]], [0, 0], f"calls=[[1], [2]] is not allowed: {COUNTS}"),
    ([1, [2, 3]], [0, 0], f"calls=[1, [2, 3]] is not allowed: {COUNTS}"),
    ([2**64, 1], [0, 0], f"calls=[18446744073709551616, 1] is not allowed: {COUNTS}"),
    (np.array([1 + 1j, 2]), [0, 0], f"calls=array([1.+1.j, 2.+0.j]) is not allowed: {COUNTS}"),
    (np.ones((2, 1)), [0, 0], f"calls=array([[1.],\n       [1.]]) is not allowed: {COUNTS}"),
    (range(10**20), [0, 0], f"calls=range(0, 100000000000000000000) is not allowed: {COUNTS}"),
    ([1, 2], [0], f"failures=[0] is not allowed: {COUNTS}"),
    ([-1, 2], [0, 0], "calls[0]=-1.0 is not allowed: expected a finite number of at least 0 "
     "(link 'a')"),
    ([1, math.nan], [0, 0], "calls[1]=nan is not allowed: expected a finite number of at least "
     "0 (link 'b')"),
    ([1, math.inf], [0, 0], "calls[1]=inf is not allowed: expected a finite number of at least "
     "0 (link 'b')"),
    ([1, 2], [0, -1], "failures[1]=-1.0 is not allowed: expected a number from 0 to "
     "calls[1]=2.0 (link 'b')"),
    ([1, 2], [0, 2.5], "failures[1]=2.5 is not allowed: expected a number from 0 to "
     "calls[1]=2.0 (link 'b')"),
    ([1, 2], [math.nan, 0], "failures[0]=nan is not allowed: expected a number from 0 to "
     "calls[0]=1.0 (link 'a')"),
    ([1, math.inf], [0, math.inf], "calls[1]=inf is not allowed: expected a finite number of "
     "at least 0 (link 'b')"),
    ([-math.inf, 1], [-math.inf, 0], "calls[0]=-inf is not allowed: expected a finite number "
     "of at least 0 (link 'a')"),
    ([0.5, -1], [0, 0], "calls[1]=-1.0 is not allowed: expected a finite number of at least 0 "
     "(link 'b')"),
    ([0, 1], [0, 2], "failures[1]=2.0 is not allowed: expected a number from 0 to calls[1]=1.0 "
     "(link 'b')"),
    ([2, 1], [2, 2], "failures[1]=2.0 is not allowed: expected a number from 0 to calls[1]=1.0 "
     "(link 'b')"),
])
def test_bad_counts_are_refused_by_name(calls, failures, text):
    bank = BreakerBank(config(), ["a", "b"])
    assert message(bank.record, 0, calls, failures) == text
    bank.record(0, np.array([4.0, 3.0]), np.array([0.0, 3.0]))  # nothing moved: time 0 again
    assert bank.window()[0].tolist() == [4.0, 3.0]


def test_calls_must_fit_what_allow_admits():
    bank = BreakerBank(config(permitted_number_of_calls_in_half_open_state=3), ["a", "b"])
    bank.record(0, [4, 0], [4, 0])
    assert message(bank.record, 1, [1, 0], [0, 0]) == (
        "calls[0]=1.0 is not allowed: expected at most 0.0, what allow() admits on link 'a' "
        "while open")
    assert message(bank.record, 10, [1, 0], [0, 0]) == (  # no allow(10): still open
        "calls[0]=1.0 is not allowed: expected at most 0.0, what allow() admits on link 'a' "
        "while open")
    assert message(bank.record, 1, [1e-9, -1], [0, 0]) == (  # 1e-9 over: rounding, accepted
        "calls[1]=-1.0 is not allowed: expected a finite number of at least 0 (link 'b')")
    bank.allow(10)
    assert message(bank.record, 10, [3.5, 0], [0, 0]) == (
        "calls[0]=3.5 is not allowed: expected at most 3.0, what allow() admits on link 'a' "
        "while half_open")
    bank.record(10, [2, 7], [0, 0])
    assert bank.allow(10).tolist() == [1.0, math.inf]
    assert message(bank.record, 10, [1.5, 0], [0, 0]) == (
        "calls[0]=1.5 is not allowed: expected at most 1.0, what allow() admits on link 'a' "
        "while half_open")
    bank.record(10, [1 + 1e-10, 1e6], [0, 0])  # a rounding error's worth over is accepted
    assert bank.state_names == ["closed", "closed"]
    bank.record(11, [5, 5], [0, 0])


@pytest.mark.parametrize("offered, ratio, text", [
    ([1, -2], [0, 0], "offered[1]=-2.0 is not allowed: expected a finite number of at least 0 "
     "(link 1)"),
    ([1, math.inf], [0, 0], "offered[1]=inf is not allowed: expected a finite number of at "
     "least 0 (link 1)"),
    ([math.nan, 1], [0, 0], "offered[0]=nan is not allowed: expected a finite number of at "
     "least 0 (link 0)"),
    ([1, 1], [0, 1.5], "failure_ratio[1]=1.5 is not allowed: expected a number between 0 and "
     "1 (link 1)"),
    ([1, 1], [-0.1, 0], "failure_ratio[0]=-0.1 is not allowed: expected a number between 0 "
     "and 1 (link 0)"),
    ([1, 1], [0, math.nan], "failure_ratio[1]=nan is not allowed: expected a number between 0 "
     "and 1 (link 1)"),
    ([1, 1], "0", "failure_ratio='0' is not allowed: expected 2 numbers, one per link"),
    ([0.5, 1], [0, 2], "failure_ratio[1]=2.0 is not allowed: expected a number between 0 and "
     "1 (link 1)"),
    ([0, 1], [1, -2], "failure_ratio[1]=-2.0 is not allowed: expected a number between 0 and "
     "1 (link 1)"),
    ("1", [0, 0], "offered='1' is not allowed: expected 2 numbers, one per link"),
])
def test_bad_step_is_refused_by_name(offered, ratio, text):
    bank = BreakerBank(config(), 2)
    assert message(bank.step, 0, offered, ratio) == text
    assert bank.transitions == [] and bank.window()[0].tolist() == [0.0, 0.0]


hostile = st.one_of(st.none(), st.text(max_size=5), st.booleans(),
                    st.integers(-10**30, 10**30), st.floats(allow_nan=True),
                    st.lists(st.one_of(st.floats(), st.integers(-10**30, 10**30), st.none(),
                                       st.text(max_size=2)), max_size=4),
                    st.builds(np.array, st.lists(st.floats(), max_size=4)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile, hostile, hostile)
def test_hostile_input_gets_a_labkit_error(now, calls, failures):
    bank = BreakerBank(config(), 3)
    breaker = CircuitBreaker()
    for call in (lambda: bank.record(now, calls, failures), lambda: bank.step(now, calls, failures),
                 lambda: bank.allow(now), lambda: breaker.allow(now),
                 lambda: breaker.record(calls, now)):
        try:
            call()
        except LabkitError as error:
            assert "is not allowed" in str(error)


# ------------------------------------------------------------- agreement: bank vs per call


def check_bookkeeping(bank):
    """What the bank keeps to go fast agrees with its state."""
    assert bank._not_closed == np.count_nonzero(bank.state)
    assert bank._ceiling.tolist() == np.minimum(bank._allowance + 1e-9,
                                                np.finfo(float).max).tolist()


def drive_both(cfg, sequences, times):
    """Feed link i's outcomes one call per step to a per-call breaker and to link i of a bank;
    ``None`` is a step without a call. Returns both state timelines and both logs."""
    breakers = [CircuitBreaker(cfg) for _ in sequences]
    bank = BreakerBank(cfg, len(sequences))
    per_call, bulk = [], []
    for step, now in enumerate(times):
        allowed = bank.allow(now)
        calls, failures = np.zeros(len(sequences)), np.zeros(len(sequences))
        for i, (breaker, outcomes) in enumerate(zip(breakers, sequences)):
            outcome = outcomes[step]
            breaker.state_at(now)  # what the bank's allow does for every link
            if outcome is None:
                continue
            admitted = breaker.allow(now)
            assert admitted == (allowed[i] >= 1)
            if admitted:
                breaker.record(outcome, now)
                calls[i], failures[i] = 1.0, float(not outcome)
        bank.record(now, calls, failures)
        check_bookkeeping(bank)
        per_call.append([b.state for b in breakers])
        bulk.append(bank.state_names)
    logs = [[(t, i, a, b) for t, a, b in breaker.transitions]
            for i, breaker in enumerate(breakers)]
    merged = sorted((entry for log in logs for entry in log), key=lambda e: (e[0], e[1]))
    return per_call, bulk, merged, sorted(bank.transitions, key=lambda e: (e[0], e[1]))


def test_bank_agrees_call_by_call_with_resilience4j_defaults():
    outcomes = [F] * 99 + [F] + [S] * 80 + [F] * 20 + [S] * 300  # opens at 99, probes at 159
    per_call, bulk, log, bank_log = drive_both(resilience4j(), [outcomes], range(len(outcomes)))
    assert per_call == bulk
    assert log == bank_log == [(99.0, 0, "closed", "open"), (159.0, 0, "open", "half_open"),
                               (168.0, 0, "half_open", "closed")]


def test_bank_agrees_call_by_call_on_every_preset():
    rng = np.random.default_rng(20231127)
    for name, preset in PRESETS.items():
        p = np.where(np.arange(4000) % 1000 < 300, 0.8, 0.05)  # bad spells, then good ones
        sequences = [[bool(x) for x in rng.random(4000) >= p] for _ in range(3)]
        times = np.arange(4000) * 0.1
        per_call, bulk, log, bank_log = drive_both(preset(), sequences, times)
        assert per_call == bulk, name
        assert log == bank_log and len(log) > 6, name


configs = st.builds(
    lambda kind, size, minimum, threshold, wait, probes: BreakerConfig(
        failure_rate_threshold=threshold, sliding_window_type=kind, sliding_window_size=size,
        minimum_number_of_calls=min(minimum, size) if kind == "count" else minimum,
        wait_duration_in_open_state=wait, permitted_number_of_calls_in_half_open_state=probes),
    st.sampled_from(["count", "time"]), st.integers(1, 8), st.integers(1, 8),
    st.sampled_from([0.1, 0.25, 1 / 3, 0.5, 0.6, 0.75, 1.0]),
    st.sampled_from([0.5, 1.0, 2.0, 3.5]), st.integers(1, 4))
outcome_lists = st.lists(st.one_of(st.none(), st.booleans(), st.booleans()), min_size=1,
                         max_size=120)


@settings(max_examples=300, deadline=None)
@given(configs, st.lists(outcome_lists, min_size=1, max_size=3),
       st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, 1.0, 2.0, 5.0]), min_size=120,
                max_size=120))
def test_bank_agrees_call_by_call_on_random_sequences(cfg, sequences, gaps):
    steps = max(len(s) for s in sequences)
    sequences = [s + [None] * (steps - len(s)) for s in sequences]
    times = np.cumsum(gaps[:steps])
    per_call, bulk, log, bank_log = drive_both(cfg, sequences, times.tolist())
    assert per_call == bulk
    assert log == bank_log


# ------------------------------------------------------ agreement: bank vs a plain list model


class PlainBank:
    """The bank's documented semantics for one link, written plainly: every step in a list."""

    def __init__(self, cfg):
        self.cfg, self.state, self.steps, self.log = cfg, "closed", [], []
        self.reopen_at, self.probes = math.inf, [0, 0]

    def move(self, now, state):
        self.log.append((now, self.state, state))
        self.state = state
        if state == "open":
            self.reopen_at, self.steps = now + self.cfg.wait_duration_in_open_state, []
        if state == "half_open":
            self.probes = [0, 0]

    def allow(self, now):
        if self.state == "open" and now >= self.reopen_at:
            self.move(now, "half_open")
        if self.state == "half_open":
            return self.cfg.permitted_number_of_calls_in_half_open_state - self.probes[0]
        return math.inf if self.state == "closed" else 0

    def counted(self, now):
        cfg = self.cfg
        size = cfg.sliding_window_size
        if cfg.sliding_window_type == "time":
            kept = [(c, f) for t, c, f in self.steps if math.floor(t) > math.floor(now) - size]
            return sum(c for c, _ in kept), sum(f for _, f in kept)
        kept = [(c, f) for _, c, f in self.steps if c > 0]
        while len(kept) > 1 and sum(c for c, _ in kept) - kept[0][0] >= size - 1e-9:
            kept.pop(0)
        calls, failures = sum(c for c, _ in kept), sum(f for _, f in kept)
        excess = max(calls - size, 0)
        share = excess / max(kept[0][0], 1e-9) if kept else 0.0
        return calls - excess, failures - share * (kept[0][1] if kept else 0)

    def record(self, now, calls, failures):
        cfg = self.cfg
        if self.state == "half_open":
            self.probes[0] += calls
            self.probes[1] += failures
            calls = failures = 0
            if self.probes[0] >= cfg.permitted_number_of_calls_in_half_open_state - 1e-9:
                rate = self.probes[1] / max(self.probes[0], 0.5)
                self.move(now, "open" if rate >= cfg.failure_rate_threshold else "closed")
            return
        if self.state != "closed":
            return
        self.steps.append((now, calls, failures))
        counted_calls, counted_failures = self.counted(now)
        if (calls > 0 and counted_calls >= cfg.minimum_number_of_calls - 1e-9
                and counted_failures / max(counted_calls, 0.5) >= cfg.failure_rate_threshold):
            self.move(now, "open")


@settings(max_examples=300, deadline=None)
@given(configs.map(lambda c: dataclasses.replace(
           c, sliding_window_size=c.sliding_window_size * 5,
           minimum_number_of_calls=c.minimum_number_of_calls * 3)),
       st.lists(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=1,
                         max_size=60), min_size=1, max_size=4),
       st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.0, 3.0, 11.0]), min_size=60, max_size=60))
def test_bank_agrees_with_a_plain_model_on_many_calls_per_step(cfg, traffic, gaps):
    steps = max(len(t) for t in traffic)
    traffic = [t + [(0, 0)] * (steps - len(t)) for t in traffic]
    plain = [PlainBank(cfg) for _ in traffic]
    bank = BreakerBank(cfg, len(traffic))
    now = 0.0
    for step in range(steps):
        now += gaps[step]
        allowed = bank.allow(now)
        assert allowed.tolist() == [float(p.allow(now)) for p in plain]
        calls = np.minimum([t[step][0] for t in traffic], allowed)
        failures = np.minimum([t[step][1] for t in traffic], calls)
        bank.record(now, calls, failures)
        check_bookkeeping(bank)
        for p, c, f in zip(plain, calls.tolist(), failures.tolist()):
            p.record(now, c, f)
        assert bank.state_names == [p.state for p in plain]
        counted = [p.counted(now) if p.state == "closed" else (0, 0) for p in plain]
        calls_now, failures_now = bank.window()
        assert calls_now.tolist() == pytest.approx([c for c, _ in counted])
        assert failures_now.tolist() == pytest.approx([f for _, f in counted])
    merged = sorted(((t, i, a, b) for i, p in enumerate(plain) for t, a, b in p.log),
                    key=lambda e: (e[0], e[1]))
    assert sorted(bank.transitions, key=lambda e: (e[0], e[1])) == merged
