"""A pytest plugin (-p mindspore_in_place) that runs the conformance suite test_mindspore.py
with batchdot's MindSpore op in place of the NumPy front end: batchdot.mindspore.batch_dot and
batch_dot_grad become calls of batchdot.mindspore.ops.batch_dot on MindSpore tensors (gradients
through GradOperation, so through the op's bprop), and every case the suite compares against
mindspore.ops.batch_dot is computed by the op (used by test_mindspore_op.py). Results go back as
NumPy arrays, as the NumPy front end returns them."""
from mindspore import Tensor
from mindspore import ops as ms_ops

import batchdot.mindspore
from batchdot.mindspore import ops as bms


def batch_dot(x1, x2, axes=None):
    return bms.batch_dot(Tensor(x1), Tensor(x2), axes).asnumpy()


def batch_dot_grad(x1, x2, grad_out, axes=None):
    grad_fn = ms_ops.GradOperation(get_all=True, sens_param=True)(lambda a, b: bms.batch_dot(a, b, axes))
    return tuple(t.asnumpy() for t in grad_fn(Tensor(x1), Tensor(x2), Tensor(grad_out)))


batchdot.mindspore.batch_dot, batchdot.mindspore.batch_dot_grad = batch_dot, batch_dot_grad
