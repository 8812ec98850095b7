"""An identifiability world: a known Gaussian latent behind nonlinearly rendered pixels.

Hidden state s (k,) with linear-Gaussian dynamics

    s_{t+1} = A s_t + B a_t + ε_t,   ε_t ~ N(0, (1 - ρ²) I),   A = ρ Q (Q orthogonal),

so with no action the stationary law is exactly N(0, I) (small actions, |B a| ≪ 1, barely move
it); s_0 ~ N(0, I). The pixels are a fixed nonlinear function of s: p = 0.8 tanh(M s / 1.5)
(M a fixed mixing matrix) places k/2 coloured Gaussian blobs. A, B, M are drawn once from
``world_seed``. Theory (Klindt, LeCun & Balestriero) says a SIGReg-trained JEPA recovers s up
to a linear map; ``benchmarks/identifiability.py`` checks it with a linear probe.

Not a control task (no goal, never successful): it is outside the planning suite (``ENV_IDS``).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from gymnasium import Env, spaces

from worldjepa.envs.checks import as_vector, reset_options
from worldjepa.envs.factors import FactorSpace
from worldjepa.errors import EnvError

GAUSS_FACTORS = FactorSpace([])  # nothing varies but the latent itself
BLOB_COLORS = np.array([[0.9, 0.15, 0.1], [0.1, 0.3, 0.95], [0.1, 0.75, 0.2], [0.95, 0.8, 0.1]])


def world_matrices(k: int, action_dim: int, rho: float, action_scale: float, seed: int):
    """-> (A (k, k), B (k, action_dim), M (k, k)), fixed by ``seed``."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(k, k)))
    m, _ = np.linalg.qr(rng.normal(size=(k, k)))  # orthogonal mixing: every blob coordinate mixes all of s
    b = rng.normal(size=(k, action_dim)) / np.sqrt(action_dim) * action_scale
    return rho * q, b, m


class GaussLatentEnv(Env):
    """Observation {"pixels": (S, S, 3) uint8, "proprio": (0,)}; action (2,) in [-1, 1];
    info["state"] = s (k,); reward 0; never terminates (a TimeLimit ends episodes)."""

    FACTORS: ClassVar[FactorSpace] = GAUSS_FACTORS
    COMPILED_FACTORS: ClassVar[tuple[str, ...]] = ()
    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(self, image_size: int = 64, latent_dim: int = 4, rho: float = 0.9, action_scale: float = 0.1,
                 blob_radius: float = 0.12, world_seed: int = 0, factor_split: str = "default",
                 render_mode: str | None = "rgb_array"):  # fmt: skip
        if latent_dim < 2 or latent_dim % 2 or latent_dim > 2 * len(BLOB_COLORS):
            raise EnvError(f"latent_dim must be even, in [2, {2 * len(BLOB_COLORS)}]; got {latent_dim}")
        if not 0 <= rho < 1:
            raise EnvError(f"rho must be in [0, 1) for a stationary latent; got {rho}")
        self.image_size, self.k, self.rho, self.blob_radius = int(image_size), latent_dim, rho, blob_radius
        self.render_mode, self.factors = render_mode, {}
        self.A, self.B, self.M = world_matrices(latent_dim, 2, rho, action_scale, world_seed)
        self.noise_std = float(np.sqrt(1 - rho**2))
        self.action_space = spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.observation_space = spaces.Dict(
            pixels=spaces.Box(0, 255, (self.image_size, self.image_size, 3), np.uint8),
            proprio=spaces.Box(-np.inf, np.inf, (0,), np.float32),
        )
        grid = (np.arange(self.image_size) + 0.5) / self.image_size * 2 - 1
        self._yy, self._xx = np.meshgrid(grid, grid, indexing="ij")
        self.s = np.zeros(latent_dim)

    @property
    def dt(self) -> float:
        return 1.0 / self.metadata["render_fps"]

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(f"s{i}" for i in range(self.k))

    @property
    def state(self) -> np.ndarray:
        return self.s.astype(np.float32)

    def blob_positions(self, s: np.ndarray) -> np.ndarray:
        """s (k,) -> blob centres (k/2, 2) in [-0.8, 0.8]²: the fixed nonlinear map."""
        return (0.8 * np.tanh(self.M @ s / 1.5)).reshape(-1, 2)

    def render_state(self, s) -> np.ndarray:
        """s (k,) -> (S, S, 3) uint8: soft blobs over a grey floor, later blobs on top."""
        img = np.full((self.image_size, self.image_size, 3), 0.82)
        for (x, y), color in zip(self.blob_positions(np.asarray(s, np.float64)), BLOB_COLORS, strict=False):
            w = np.exp(-((self._xx - x) ** 2 + (self._yy - y) ** 2) / (2 * self.blob_radius**2))[..., None]
            img = img * (1 - w) + color * w
        return (img * 255).round().astype(np.uint8)

    def render(self) -> np.ndarray:
        return self.render_state(self.s)

    def step_latent(self, s: np.ndarray, action: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """The stated dynamics: s (k,), action (2,), noise (k,) standard normal -> s' (k,)."""
        return self.A @ s + self.B @ action + self.noise_std * noise

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = reset_options(options, ("factors", "state"))
        self.factors = self.FACTORS.resolve(options.get("factors"), self.np_random)  # none: checks the type
        state = options.get("state")
        if state is None:
            self.s = self.np_random.normal(size=self.k)
        else:
            self.s = as_vector(state, self.k, "reset option 'state'").copy()
        return self._observation(), self._info()

    def step(self, action):
        a = np.clip(as_vector(action, 2, "action", flatten=True), -1, 1)
        self.s = self.step_latent(self.s, a, self.np_random.normal(size=self.k))
        return self._observation(), 0.0, False, False, self._info()

    def _observation(self) -> dict:
        return {"pixels": self.render(), "proprio": np.zeros(0, np.float32)}

    def _info(self) -> dict:
        return {"state": self.state, "factors": {}, "is_success": False, "distance": 0.0}
