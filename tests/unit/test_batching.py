from knowledge.generate.batching import left_pad, new_tokens


def test_prompts_are_right_aligned_with_a_mask():
    ids, mask = left_pad([[5, 6, 7], [8]], pad=0)
    assert ids == [[5, 6, 7], [0, 0, 8]]
    assert mask == [[1, 1, 1], [0, 0, 1]]


def test_a_row_ends_at_its_first_stop_token():
    assert new_tokens([4, 9, 2, 0, 0], stop={2, 0}) == [4, 9]
    assert new_tokens([4, 9], stop={2}) == [4, 9]
    assert new_tokens([2, 4], stop={2}) == []
