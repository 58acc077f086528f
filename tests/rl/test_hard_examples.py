"""Hard-example sampler: low-reward prompts are drawn more, the floor holds, the TRL layout is kept."""

import numpy as np

from nemo_repro.rl.hard_examples import HardExampleSampler, HardExampleTracker


def test_low_reward_prompts_get_more_weight_with_a_floor():
    tracker = HardExampleTracker(n_prompts=4, window=2, temperature=0.5, floor=0.2)
    assert np.allclose(tracker.probabilities(), 0.25)  # nothing seen: uniform
    tracker.update([0, 0, 1, 1], [0.0, 0.0, 5.0, 5.0])
    p = tracker.probabilities()
    assert np.isclose(p.sum(), 1.0)
    assert p[0] > p[2] > p[1]  # hard > unseen (neutral) > easy
    assert p.min() >= 0.2 / 4 - 1e-12


def test_window_forgets_old_rewards():
    tracker = HardExampleTracker(n_prompts=2, window=1)
    tracker.update([0], [-10.0])
    tracker.update([0], [10.0])
    assert tracker.recent_means()[0] == 10.0


def test_sampler_keeps_trl_repeat_layout_and_follows_weights():
    tracker = HardExampleTracker(n_prompts=10, window=4, temperature=0.1, floor=0.1)
    tracker.update(list(range(10)), [0.0] + [1.0] * 9)  # prompt 0 is the hard one
    sampler = HardExampleSampler(tracker, mini_repeat_count=3, batch_size=2, repeat_count=2, seed=0)
    indices = list(sampler)
    assert len(indices) == len(sampler) == 5 * 2 * 3 * 2
    generation_batch = indices[:6]
    assert generation_batch == indices[6:12]  # repeated repeat_count times
    assert generation_batch[0] == generation_batch[1] == generation_batch[2]  # each prompt num_generations times
    drawn = indices[::6]
    assert drawn.count(0) >= len(drawn) // 2  # the hard prompt dominates
    stats = tracker.stats()
    assert stats["sampler/max_prob_over_uniform"] > 5 and "sampler/recent_reward_drawn" in stats


def test_state_round_trip(tmp_path):
    tracker = HardExampleTracker(n_prompts=3)
    tracker.update([2, 2], [1.0, 3.0])
    tracker.save(tmp_path / "t.json")
    other = HardExampleTracker(n_prompts=3)
    other.load(tmp_path / "t.json")
    assert np.allclose(other.probabilities(), tracker.probabilities())
