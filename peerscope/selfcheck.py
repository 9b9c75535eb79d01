"""A trivial job used to check that RQ workers run the project's code."""


def add(a: int, b: int) -> int:
    return a + b
