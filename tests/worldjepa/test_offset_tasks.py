"""Offset-protocol tasks: starts the env refuses to place are redrawn, never a crash."""

import numpy as np

from worldjepa.errors import EnvError
from worldjepa.evaluation.tasks import build_offset_tasks


class Recorded:
    """Two 30-step episodes whose state is the step index; frames are blank."""

    episodes = [{"episode_idx": e, "length": 30, "start_row": 30 * e, "factors": {}} for e in (0, 1)]

    def read_episode(self, ep, columns):
        return {"state": np.arange(30, dtype=np.float32)[:, None]}

    def take_frames(self, rows):
        return np.zeros((len(rows), 4, 4, 3), np.uint8)


class Picky:
    """Refuses to place a state below ``floor`` (as TwoRoom refuses one that overlaps a wall)."""

    def __init__(self, floor):
        self.unwrapped, self.floor = self, floor

    def task_options(self, start, goal, factors):
        return {"state": start, "goal": goal}

    def reset(self, options):
        if options["state"][0] < self.floor or options["goal"][0] < self.floor:
            raise EnvError("goal position overlaps a wall")
        return None, {"is_success": False}


def test_a_start_the_env_refuses_is_redrawn_and_an_episode_with_none_is_excluded():
    tasks, excluded = build_offset_tasks(Recorded(), Picky(floor=18), [0, 1], offset=5, max_tasks=5, seed=0)
    assert len(tasks) == 2 and not excluded
    assert all(t.start_step >= 18 for t in tasks)
    tasks, excluded = build_offset_tasks(Recorded(), Picky(floor=99), [0, 1], offset=5, max_tasks=5, seed=0)
    assert tasks == [] and excluded == [0, 1]
