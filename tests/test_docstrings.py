"""Every docstring example in labkit runs and prints what it says (SimPy-style docs)."""

import doctest
import importlib
import pkgutil

import pytest

import labkit

MODULES = sorted(m.name for m in pkgutil.walk_packages(labkit.__path__, "labkit.")
                 if m.name != "labkit.launch")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_the_library_documents_itself():
    documented = [n for n in MODULES if importlib.import_module(n).__doc__]
    assert documented == MODULES


# Modules that are one idea each carry runnable examples (SimPy-style); deleting them must
# fail a test, not silently pass one that ran nothing. Package files that only re-export
# names, and the exercise chapters, are exempt.
EXEMPT = {"labkit.views", "labkit.exercises", "labkit.exercises.monolith",
          "labkit.exercises.microservices", "labkit.exercises.cells"}


@pytest.mark.parametrize("name", [m for m in MODULES if m not in EXEMPT])
def test_every_module_has_examples(name):
    module = importlib.import_module(name)
    examples = sum(len(t.examples) for t in doctest.DocTestFinder().find(module))
    assert examples >= 1, f"{name} has no docstring example"
