from knowledge.answers.generate.batching import left_pad, new_tokens


def test_prompts_are_right_aligned_with_a_mask():
    ids, mask = left_pad([[5, 6, 7], [8]], pad=0)
    assert ids == [[5, 6, 7], [0, 0, 8]]
    assert mask == [[1, 1, 1], [0, 0, 1]]


def test_a_row_ends_at_its_first_stop_token():
    assert new_tokens([4, 9, 2, 0, 0], stop={2, 0}) == [4, 9]
    assert new_tokens([4, 9], stop={2}) == [4, 9]
    assert new_tokens([2, 4], stop={2}) == []


class StandInModel:
    """Records each generate's batch; fails the first call when told to."""

    device = "cpu"

    def __init__(self, fail_first: bool = False) -> None:
        self.batches: list[tuple[int, int]] = []
        self.fail_first = fail_first

    def generate(
        self, *, input_ids, attention_mask, max_new_tokens, do_sample, pad_token_id, streamer=None
    ):
        import torch

        self.batches.append((len(input_ids), max_new_tokens))
        if self.fail_first and len(self.batches) == 1:
            raise RuntimeError("CUDA out of memory")
        new = torch.full((len(input_ids), max_new_tokens), 7)
        if streamer is not None:  # as transformers does: the prompts, then each step's tokens
            streamer.put(input_ids)
            for step in range(max_new_tokens):
                streamer.put(new[:, step])
        return torch.cat([input_ids, new], dim=1)


def test_each_caller_hears_of_a_failed_generate_and_the_next_one_runs():
    import pytest

    from knowledge.answers.generate.batching import Batcher

    model = StandInModel(fail_first=True)
    batcher = Batcher(model, pad=0, stop={0}, max_batch=1, window_s=0)
    with pytest.raises(RuntimeError, match="out of memory"):
        batcher.generate([1, 2, 3], 4)
    assert batcher.generate([1, 2], 3) == [7, 7, 7]


def test_questions_wanting_other_lengths_go_in_their_own_batch_without_waiting_again():
    from concurrent.futures import ThreadPoolExecutor

    from knowledge.answers.generate.batching import Batcher

    model = StandInModel()
    # a batch of 4 forms once 4 questions are in: two want 2 tokens, two want 5
    batcher = Batcher(model, pad=0, stop={0}, max_batch=4, window_s=60)
    asks = [([1, 2], 2), ([3], 5), ([4, 5, 6], 2), ([7], 5)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(lambda a: batcher.generate(*a), asks))
    assert replies == [[7, 7], [7] * 5, [7, 7], [7] * 5]
    assert sorted(model.batches) == [(2, 2), (2, 5)]  # the second ran without a new 60 s window


def test_each_follower_is_told_its_own_rows_tokens_up_to_its_stop_token():
    import torch

    from knowledge.answers.generate.batching import RowStreamer, _Request

    heard: dict[str, list[int]] = {"a": [], "b": []}
    batch = [
        _Request([1], 4, heard["a"].append),
        _Request([2], 4, heard["b"].append),
        _Request([3], 4),
    ]  # fmt: skip  (a caller that doesn't follow)
    streamer = RowStreamer(batch, stop={0})
    streamer.put(torch.tensor([[1], [2], [3]]))  # the prompts: not new tokens
    for step in ([5, 6, 9], [0, 7, 9], [8, 0, 9]):  # "a" stops at step 2, "b" at step 3
        streamer.put(torch.tensor(step))
    assert heard == {"a": [5], "b": [6, 7]}


def test_a_streamed_batch_gives_the_same_replies():
    from knowledge.answers.generate.batching import Batcher

    heard: list[int] = []
    batcher = Batcher(StandInModel(), pad=0, stop={0}, max_batch=1, window_s=0)
    assert batcher.generate([1, 2], 3, heard.append) == [7, 7, 7] == heard
