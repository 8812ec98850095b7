"""Fixtures for tests/envs: a user's own MuJoCo env, in a module outside the package."""

import sys
import textwrap

import pytest

USER_MODULE = "lab_envs"
USER_ENV_SOURCE = textwrap.dedent('''
    """A user's env: a gymnasium MujocoEnv subclass with an inline XML (a puck on two slides)."""

    from pathlib import Path

    import gymnasium
    import numpy as np
    from gymnasium import spaces
    from gymnasium.envs.mujoco import MujocoEnv

    import worldjepa.envs

    XML = """
    <mujoco model="puck">
      <option timestep="0.01"/>
      <visual><quality shadowsize="0"/></visual>
      <worldbody>
        <light pos="0 0 2"/>
        <camera name="top" pos="0 0 1.4"/>
        <geom type="plane" size="0.6 0.6 0.05" rgba="0.8 0.8 0.8 1"/>
        <body name="puck" pos="0 0 0.05">
          <joint name="puck.x" type="slide" axis="1 0 0" damping="0.5" range="-0.5 0.5"/>
          <joint name="puck.y" type="slide" axis="0 1 0" damping="0.5" range="-0.5 0.5"/>
          <geom type="sphere" size="0.06" rgba="0.9 0.1 0.1 1" mass="0.1" contype="0" conaffinity="0"/>
        </body>
      </worldbody>
      <actuator>
        <motor joint="puck.x" ctrlrange="-1 1"/>
        <motor joint="puck.y" ctrlrange="-1 1"/>
      </actuator>
    </mujoco>
    """
    XML_PATH = Path(__file__).with_name("puck.xml")
    XML_PATH.write_text(XML)


    class PuckEnv(MujocoEnv):
        """Push a puck to the origin; reports its own is_success (within 5 cm)."""

        metadata = {"render_modes": ["human", "rgb_array", "depth_array"], "render_fps": 20}

        def __init__(self, **kwargs):
            obs_space = spaces.Box(-np.inf, np.inf, (4,), np.float64)
            super().__init__(str(XML_PATH), 5, obs_space, camera_name="top", **kwargs)

        def step(self, action):
            self.do_simulation(action, self.frame_skip)
            obs = self._get_obs()
            distance = float(np.linalg.norm(obs[:2]))
            return obs, -distance, False, False, {"is_success": distance < 0.05}

        def reset_model(self):
            qpos = self.np_random.uniform(-0.3, 0.3, self.model.nq)
            self.set_state(qpos, np.zeros(self.model.nv))
            return self._get_obs()

        def _get_obs(self):
            return np.concatenate([self.data.qpos, self.data.qvel])


    gymnasium.register("Puck-v0", entry_point=PuckEnv, max_episode_steps=40)
    # The same env, registered with worldjepa: judged by the qpos rule, with a tight tolerance.
    worldjepa.envs.register(
        "PuckStrict-v0",
        PuckEnv,
        max_episode_steps=30,
        adapter=worldjepa.envs.AdapterOptions(tolerance=0.02, success="qpos"),
    )
''')


@pytest.fixture(scope="session")
def user_env_module(tmp_path_factory):
    """The name of an importable module (outside the package) that registers Puck-v0 with
    gymnasium and PuckStrict-v0 with worldjepa."""
    root = tmp_path_factory.mktemp("user_envs")
    (root / f"{USER_MODULE}.py").write_text(USER_ENV_SOURCE)
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(root))
        yield USER_MODULE
        sys.modules.pop(USER_MODULE, None)
