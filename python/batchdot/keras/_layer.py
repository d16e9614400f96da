"""What the Keras 3 and the tf-keras BatchDot layers share (each subclasses its own Keras' Layer
with this first): the axes attribute, the [x, y] check, the output shape from batchdot's own
rules, and the config."""

from . import _static


class BatchDotLayerBase:
    """``batch_dot(x, y, axes)`` of the two inputs ``[x, y]``: a drop-in for ``Dot(axes)``
    (without ``normalize``) with batch_dot's default axes."""

    def __init__(self, axes=None, **kwargs):
        super().__init__(**kwargs)
        self.axes = list(axes) if isinstance(axes, tuple) else axes  # JSON keeps lists

    @staticmethod
    def _operands(inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"BatchDot takes a list of two inputs [x, y], got {inputs!r}")
        return inputs

    def _output_shape(self, x_shape, y_shape):
        dtype = self.compute_dtype or "float32"
        axes = _static.plain_axes(self.axes)
        return _static.resolve("batch_dot", x_shape, dtype, y_shape, dtype, axes)["output_shape"]

    def get_config(self):
        axes = _static.plain_axes(self.axes)
        return {**super().get_config(), "axes": list(axes) if isinstance(axes, tuple) else axes}
