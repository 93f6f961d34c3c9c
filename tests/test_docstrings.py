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
