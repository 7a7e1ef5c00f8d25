"""The backward engine: topological order over the recorded graph, gradients summed where a tensor
is used more than once (with kernels, through tnn's own add), hooks, leaf accumulation, freeing
saved tensors unless retain_graph, and tnn.autograd.grad."""
from __future__ import annotations

from collections import deque

from .function import AccumulateGrad, BackwardNode, gradient_edge
from .grad_mode import no_grad


def _add(a, b):
    from ..ops.elementwise import add
    return add(a, b)


def _zeros(meta):
    from ..ops.creation import zeros
    shape, dtype, device = meta
    return zeros(shape, dtype=dtype, device=device)


def _as_tuple(x):
    if x is None:
        return ()
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _make_root_grads(outputs, grad_outputs):
    from ..ops.creation import ones_like
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.dtype.is_floating_point:
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {out.dtype}")
            g = ones_like(out)
        elif tuple(g.shape) != tuple(out.shape):
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and output[{i}] has a shape "
                f"of {tuple(out.shape)}.")
        grads.append(g)
    return grads


def _collect(roots):
    """Dependencies: how many edges from reachable nodes point at each node."""
    deps: dict = {}
    seen = set()
    stack = [n for n in roots if n is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if id(nxt) not in seen:
                stack.append(nxt)
    return deps


def _run_tensor_hooks(hooks: dict, grad):
    for fn in list(hooks.values()):
        r = fn(grad)
        if r is not None:
            grad = r
    return grad


def _check_grad(node, i, grad, meta):
    if grad is None or meta is None:
        return
    shape, dtype, device = meta
    if tuple(grad.shape) != tuple(shape):
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient at index {i} - got {list(grad.shape)} but "
            f"expected shape compatible with {list(shape)}")


def run_backward(outputs, grad_outputs, retain_graph: bool, create_graph: bool, capture=None,
                 accumulate: bool = True):
    """Backpropagate from ``outputs``. With ``capture`` (a dict edge -> None), gradients arriving at
    those (node, input_nr) edges are stored there instead of being accumulated into leaves."""
    if create_graph:
        raise NotImplementedError("create_graph=True (double backward) is not supported by tnn yet")
    outputs = _as_tuple(outputs)
    grad_outputs = list(_as_tuple(grad_outputs)) or [None] * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"got {len(grad_outputs)} tensors in grad_outputs but {len(outputs)} outputs")
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    root_grads = _make_root_grads(outputs, grad_outputs)

    with no_grad():
        buffers: dict = {}  # node -> list of summed grads per input_nr
        roots = []
        for out, g in zip(outputs, root_grads):
            node, nr = gradient_edge(out)
            roots.append(node)
            _accumulate_into(buffers, node, nr, g)
        deps = _collect(roots)
        # Kahn's algorithm; among ready nodes run the most recently created first (as torch does).
        ready = deque(n for n in dict.fromkeys(roots) if deps.get(n, 0) == 0)
        stored = set()
        while ready:
            node = ready.popleft()
            grads = buffers.pop(node, None) or []
            _execute(node, grads, capture, accumulate, stored, retain_graph, buffers)
            nexts = []
            for nxt, _ in node.next_functions:
                if nxt is None:
                    continue
                deps[nxt] -= 1
                if deps[nxt] == 0:
                    nexts.append(nxt)
            for nxt in sorted(nexts, key=lambda n: -n._sequence_nr):
                ready.append(nxt)


def _accumulate_into(buffers, node, nr, grad):
    if node is None or grad is None:
        return
    slot = buffers.setdefault(node, [])
    while len(slot) <= nr:
        slot.append(None)
    slot[nr] = grad if slot[nr] is None else _add(slot[nr], grad)


def _execute(node, grads, capture, accumulate, stored, retain_graph, buffers):
    if isinstance(node, AccumulateGrad):
        g = grads[0] if grads else None
        if g is None:
            return
        key = (node, 0)
        if capture is not None and key in capture:
            capture[key] = g
            return
        if not accumulate:
            return
        var = node.variable
        g = _run_tensor_hooks(node._leaf_hooks, g)
        _store_leaf_grad(var, g, stored)
        return
    n_out = len(getattr(node, "_output_meta", ())) or max(len(grads), 1)
    grads = list(grads) + [None] * (n_out - len(grads))
    for nr, hooks in node._tensor_pre_hooks.items():
        if nr < len(grads) and grads[nr] is not None:
            grads[nr] = _run_tensor_hooks(hooks, grads[nr])
    for nr, tensors in node._retained.items():
        if nr < len(grads) and grads[nr] is not None:
            for t in tensors:
                t.grad = grads[nr] if t.grad is None else _add(t.grad, grads[nr])
    if capture is not None:
        for nr in range(len(grads)):
            if (node, nr) in capture and grads[nr] is not None:
                capture[(node, nr)] = grads[nr]
    for fn in list(node._pre_hooks.values()):
        r = fn(tuple(grads))
        if r is not None:
            grads = list(r)
    if isinstance(node, BackwardNode) and node.ctx.materialize_grads:
        grads = [g if g is not None or m is None else _zeros(m) for g, m in zip(grads, node._output_meta)]
    grad_inputs = node.apply(tuple(grads))
    if len(grad_inputs) < len(node.next_functions):
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients (expected "
            f"{len(node.next_functions)}, got {len(grad_inputs)})")
    grad_inputs = list(grad_inputs[:len(node.next_functions)])
    for fn in list(node._hooks.values()):
        r = fn(tuple(grad_inputs), tuple(grads))
        if r is not None:
            grad_inputs = list(r)
    if not retain_graph:
        node._release()
    for (nxt, nr), g in zip(node.next_functions, grad_inputs):
        if nxt is None or g is None:
            continue
        _check_grad(node, nr, g, _input_meta(nxt, nr))
        _accumulate_into(buffers, nxt, nr, g)


def _input_meta(node, nr):
    if isinstance(node, AccumulateGrad):
        v = node.variable
        return (tuple(v.shape), v.dtype, v.device)
    meta = getattr(node, "_output_meta", ())
    return meta[nr] if nr < len(meta) else None


def _store_leaf_grad(var, g, stored):
    """var.grad = g, or += g. A stored gradient must be var's own dense tensor: clone gradients
    that are expanded/strided views or were already stored for another leaf in this pass."""
    if g.dtype is not var.dtype:
        g = g.to(var.dtype)
    if var.grad is None:
        if id(g) in stored or not g.is_contiguous() or any(st == 0 and s > 1 for s, st in zip(g.shape, g.stride())):
            g = g.contiguous() if not g.is_contiguous() else g.clone()
        stored.add(id(g))
        var.grad = g
    else:
        var.grad = _add(var.grad, g)
        stored.add(id(var.grad))


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False, inputs=None):
    """tnn.autograd.backward: accumulate d(tensors)/d(leaves) into the leaves' .grad."""
    tensors = _as_tuple(tensors)
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is not None:
        inputs = _as_tuple(inputs)
        capture = {gradient_edge(t): None for t in inputs}
        run_backward(tensors, grad_tensors, retain, create_graph, capture=capture, accumulate=False)
        for t in inputs:
            g = capture[gradient_edge(t)]
            if g is not None:
                _store_leaf_grad(t, g, set())
        return
    run_backward(tensors, grad_tensors, retain, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         allow_unused=None, is_grads_batched: bool = False, materialize_grads: bool = False):
    """tnn.autograd.grad: gradients of outputs w.r.t. inputs, returned, not accumulated."""
    inputs = _as_tuple(inputs)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if allow_unused is None:
        allow_unused = materialize_grads
    retain = create_graph if retain_graph is None else retain_graph
    capture = {gradient_edge(t): None for t in inputs}
    run_backward(outputs, grad_outputs, retain, create_graph, capture=capture, accumulate=False)
    result = []
    for t in inputs:
        g = capture[gradient_edge(t)]
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the graph. Set "
                    "allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                from ..ops.creation import zeros_like
                g = zeros_like(t)
        result.append(g)
    return tuple(result)
