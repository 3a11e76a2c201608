"""IN lists longer than one statement may hold (``core.db.in_batches``)."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from backoffice.core.db import IN_LIST_SIZE, in_batches


@given(st.lists(st.integers(), max_size=60), st.integers(min_value=1, max_value=25))
def test_the_batches_are_the_items_in_order_none_empty_none_too_long(items, size):
    batches = list(in_batches(items, size))
    assert [item for batch in batches for item in batch] == items
    assert all(0 < len(batch) <= size for batch in batches)
    assert len(batches) == -(-len(items) // size)  # as few as the size allows


def test_the_default_size_leaves_room_for_pairs_within_sqlites_oldest_limit():
    # SQLite before 3.32 refused more than 999 host parameters in a statement; a pair
    # ``(a, b) IN (...)`` (payouts' sources) takes two a value, the rest of a statement a few.
    assert 2 * IN_LIST_SIZE + 100 <= 999
