"""Small instances of every zoo architecture and of the example user model (fast enough for unit tests)."""

from prunegate.core.models import (
    FactorySpec,
    GRUSpec,
    MLPSpec,
    MobileNetSpec,
    ResNet1DSpec,
    ResNetSpec,
)

NUM_CLASSES = 4
USER_MODEL = FactorySpec(
    "examples.models.signal_net:build",
    in_features=48,
    num_classes=NUM_CLASSES,
    in_shape=(1, 48),
    kwargs={"width": 64, "hidden": 32},
)
ZOO = {
    "mlp": MLPSpec(in_features=20, num_classes=NUM_CLASSES, hidden=(48, 32)),
    "resnet": ResNetSpec(in_shape=(3, 12, 12), num_classes=NUM_CLASSES, widths=(16, 32), blocks=(1, 1)),
    "resnet1d": ResNet1DSpec(in_shape=(2, 40), num_classes=NUM_CLASSES, widths=(16, 32), blocks=(1, 1)),
    "mobilenet": MobileNetSpec(
        in_shape=(3, 12, 12), num_classes=NUM_CLASSES, stem_width=16, widths=(16, 24), blocks=(1, 1)
    ),
    "gru": GRUSpec(in_shape=(3, 12), num_classes=NUM_CLASSES, hidden_size=16, head=(48,)),
    "user_model": USER_MODEL,
}
