"""batchdot.torch under TorchScript: torch.jit.script and torch.jit.trace of a
module calling batchdot.torch give the eager results and gradients, and a saved
module loads again (the op library is loaded by importing batchdot.torch)."""
import os

import pytest
import torch

import batchdot.torch as bt


class Scores(torch.nn.Module):
    def forward(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        s = bt.batch_dot(q, k, (2, 2)) + bt.batch_dot(q, k.transpose(1, 2))
        s = s + bt.batch_dot(q, k, 2) + bt.batch_dot(q, k, [2, 2])
        return s + bt.dot_general(q, k, (([2], [2]), ([0], [0])))


def inputs():
    torch.manual_seed(0)
    return (torch.randn(3, 4, 5, dtype=torch.float64, requires_grad=True),
            torch.randn(3, 6, 5, dtype=torch.float64, requires_grad=True))


def check_same_as_eager(module):
    q, k = inputs()
    eager = Scores()(q, k)
    got = module(q, k)
    assert torch.equal(got, eager)
    g = torch.randn(eager.shape, dtype=torch.float64)
    # (each gradient sums five terms; the graph executor may add them in another order)
    assert all(torch.allclose(a, b, rtol=1e-12, atol=1e-12) for a, b in zip(torch.autograd.grad(got, (q, k), g),
                                                 torch.autograd.grad(eager, (q, k), g)))
    assert torch.autograd.gradgradcheck(module, (q, k))


def test_script_calls_the_operators_and_differentiates():
    scripted = torch.jit.script(Scores())
    assert "batchdot::batch_dot" in str(scripted.inlined_graph)
    assert "batchdot::dot_general" in str(scripted.inlined_graph)
    check_same_as_eager(scripted)


def test_trace_records_the_operators():
    traced = torch.jit.trace(Scores(), inputs())
    assert "batchdot::batch_dot" in str(traced.graph)
    check_same_as_eager(traced)


def test_save_and_load_round_trip(tmp_path):
    for module in (torch.jit.script(Scores()), torch.jit.trace(Scores(), inputs())):
        path = os.path.join(tmp_path, "scores.pt")
        torch.jit.save(module, path)
        check_same_as_eager(torch.jit.load(path))


def test_scripted_errors_carry_batchdots_message():
    # The TorchScript interpreter of torch 1.13 re-raises every error of a scripted
    # call as RuntimeError (eager calls keep ValueError / TypeError); the message is batchdot's.
    scripted = torch.jit.script(Scores())
    with pytest.raises(RuntimeError, match="batch_dot: contracted dimensions differ"):
        scripted(torch.randn(3, 4, 5), torch.randn(3, 6, 4))
