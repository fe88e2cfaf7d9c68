"""StreamStack's benchmarks: ratios against baselines measured in the same run.

Run them with ``./noxw -s bench`` (or ``python -m bench [--quick] [NAME ...]``); see
``bench/__main__.py`` for the options and ``bench/RESULTS.md`` for recorded numbers.
They are not part of the test suite and assert nothing about time.
"""
