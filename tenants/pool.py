"""placeholder"""


def pool_drop_stale() -> int:
    return 0
