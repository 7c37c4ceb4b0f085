"""The delivery retry schedule: doubling waits, capped, ending with the window."""

from workers.outages.retrying import next_delay


def test_waits_double_up_to_the_cap_and_stop_at_the_window():
    waits = []
    while (wait := next_delay(len(waits), window_s=900)) is not None:
        waits.append(wait)
    assert waits[:7] == [1, 2, 4, 8, 16, 32, 60]
    assert set(waits[6:]) == {60}
    assert sum(waits) <= 900 < sum(waits) + 60  # as long as the window allows, no longer
    assert next_delay(0, window_s=0) is None
