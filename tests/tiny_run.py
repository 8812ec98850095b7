"""The tiny model every pipeline test trains (32 px frames, a few thousand parameters)."""

TINY_MODEL = [
    "+model.encoder_kwargs.channels=[8,16,16,16]",
    "+model.encoder_kwargs.bottleneck=8",
    "model.feature_dim=32",
    "model.latent_dim=16",
    "model.projector_hidden=32",
    "model.predictor_dim=32",
    "model.predictor_depth=1",
    "model.predictor_heads=2",
]
