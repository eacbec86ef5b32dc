"""Plain PyTorch/numpy core: models, training, compression, metrics and serialization.

Nothing here imports kedro, bentoml, great_expectations or evidently: a user can use it on its own.
"""
