"""The model zoo: architectures built from typed, JSON-serialisable specs, and the user's own factory.

A spec is the whole architecture reference: widths, input shape and class count (or, for the user's model,
the factory and its kwargs). Models save as spec + pruning history + state dict and load without
unpickling code. Every model standardises its input with fixed buffers (``input_mean``/``input_std``, set
from the training split), so a served model takes raw feature values.
"""

from prunegate.core.models.catalog import (
    ARCHITECTURES,
    ModelSpec,
    build_model,
    input_shape_of,
    spec_from_dict,
    spec_to_dict,
)
from prunegate.core.models.cnn import CNNSpec, ConvNet
from prunegate.core.models.factory import FactoryModel, FactoryModelError, FactorySpec
from prunegate.core.models.gru import GRUClassifier, GRUSpec
from prunegate.core.models.mlp import MLPSpec, MultiLayerPerceptron
from prunegate.core.models.mobilenet import MobileNet, MobileNetSpec
from prunegate.core.models.resnet import ResNet, ResNet1DSpec, ResNetSpec

__all__ = [
    "ARCHITECTURES",
    "CNNSpec",
    "ConvNet",
    "FactoryModel",
    "FactoryModelError",
    "FactorySpec",
    "GRUClassifier",
    "GRUSpec",
    "MLPSpec",
    "MobileNet",
    "MobileNetSpec",
    "ModelSpec",
    "MultiLayerPerceptron",
    "ResNet",
    "ResNet1DSpec",
    "ResNetSpec",
    "build_model",
    "input_shape_of",
    "spec_from_dict",
    "spec_to_dict",
]
