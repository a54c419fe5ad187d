"""What ``fit``, ``evaluate`` and ``predict`` do differently under ``DataParallel``."""
from __future__ import annotations

import hashlib
import json
import warnings

import numpy as np

from brickwork import distribution_state, ops, tree


# -- the start of fit: the same model everywhere, rank 0's state --------------------------


def _layer_description(layer):
    try:
        config = layer.get_config()
    except Exception:  # a subclass without a config: its class and weights still compare
        config = {}
    config = {k: v for k, v in config.items() if k != "name"}
    return json.dumps(config, sort_keys=True, default=repr)


def model_signature(model):
    """What must agree between processes, position by position (names may
    differ: automatic names count the layers each process made before)."""
    layers = []
    for layer in model._flatten_layers():
        if layer is model:
            continue
        weights = [(tuple(int(d) for d in w.shape), str(w.dtype)) for w in layer._trainable_variables
                   + layer._non_trainable_variables] if hasattr(layer, "_trainable_variables") \
            else []
        layers.append((type(layer).__name__, layer.name, _layer_description(layer), weights))
    optimizer = model.optimizer
    slots = [(tuple(int(d) for d in v.shape), str(v.dtype)) for v in optimizer.variables] \
        if optimizer is not None and optimizer.built else []
    return {"model": type(model).__name__, "layers": layers,
            "optimizer": type(optimizer).__name__ if optimizer is not None else None,
            "optimizer_variables": slots}


def _difference(first, other, rank):
    """A sentence saying how rank ``rank``'s signature differs from rank 0's."""
    if first["model"] != other["model"]:
        return f"rank 0 trains a {first['model']}, rank {rank} a {other['model']}"
    if len(first["layers"]) != len(other["layers"]):
        return (f"rank 0's model has {len(first['layers'])} layers, rank {rank}'s has "
                f"{len(other['layers'])} (rank 0: {[l[1] for l in first['layers']]}; "
                f"rank {rank}: {[l[1] for l in other['layers']]})")
    for position, (mine, theirs) in enumerate(zip(first["layers"], other["layers"])):
        where = f"layer {position} ({mine[1]!r} on rank 0, {theirs[1]!r} on rank {rank})"
        if mine[0] != theirs[0]:
            return f"{where} is a {mine[0]} on rank 0 and a {theirs[0]} on rank {rank}"
        if mine[3] != theirs[3]:
            return (f"{where} has weights of shapes/dtypes {mine[3]} on rank 0 and "
                    f"{theirs[3]} on rank {rank}")
        if mine[2] != theirs[2]:
            a, b = json.loads(mine[2]), json.loads(theirs[2])
            keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            detail = ", ".join(f"{k}={a.get(k)!r} vs {b.get(k)!r}" for k in keys)
            return f"{where} is configured differently: {detail}"
    if first["optimizer"] != other["optimizer"]:
        return f"rank 0 uses the optimizer {first['optimizer']}, rank {rank} {other['optimizer']}"
    if first["optimizer_variables"] != other["optimizer_variables"]:
        return (f"the optimizer's variables differ: rank 0 has "
                f"{len(first['optimizer_variables'])}, rank {rank} has "
                f"{len(other['optimizer_variables'])}")
    return None


def check_same_model(comm, model):
    signatures = comm.allgather_object(model_signature(model))
    for rank, other in enumerate(signatures[1:], start=1):
        difference = _difference(signatures[0], other, rank)
        if difference:
            raise ValueError(f"DataParallel: the processes built different models: "
                             f"{difference}. Every process must build and compile the same "
                             f"model (run the same code with the same arguments).")


def _digest(variable):
    value = np.ascontiguousarray(ops.convert_to_numpy(variable))
    return hashlib.blake2b(value.tobytes(), digest_size=8).hexdigest()


def warn_if_weights_differ(comm, model):
    """Weights whose values differ between processes (an unseeded
    initialization, or different files loaded) are named in a warning on
    rank 0 before rank 0's are broadcast."""
    weights = model.weights
    everyone = comm.allgather_object([_digest(w) for w in weights])
    if comm.rank != 0:
        return
    differing = {}
    for rank, digests in enumerate(everyone[1:], start=1):
        for weight, mine, theirs in zip(weights, everyone[0], digests):
            if mine != theirs:
                differing.setdefault(weight.path, []).append(rank)
    if differing:
        shown = ", ".join(f"{path!r} (ranks {ranks})" for path, ranks in
                          list(differing.items())[:5])
        more = f" and {len(differing) - 5} more" if len(differing) > 5 else ""
        warnings.warn(f"DataParallel: {len(differing)} of {len(weights)} weights differ from "
                      f"rank 0's on other processes: {shown}{more}. Every process continues "
                      f"from rank 0's weights. If the processes were meant to load the same "
                      f"weights, check the files each one read; to start from the same random "
                      f"weights everywhere, call keras.utils.set_random_seed on every process.",
                      stacklevel=2)


def _seed_generators(model):
    from brickwork.random import SeedGenerator
    found = []
    for layer in model._flatten_layers():
        for value in list(vars(layer).values()):
            if isinstance(value, SeedGenerator) and all(value is not f for f in found):
                found.append(value)
    return found


def broadcast_state(comm, model):
    """Rank 0's weights, optimizer variables and layer seeds on every process."""
    variables = list(model.weights)
    if model.optimizer is not None and model.optimizer.built:
        variables += [v for v in model.optimizer.variables
                      if all(v is not w for w in variables)]
    for variable in variables:
        value = np.array(ops.convert_to_numpy(variable), order="C")
        comm.bcast_array(value)
        variable.assign(value)
    generators = _seed_generators(model)
    seeds = comm.bcast_object([(g.seed, list(g.state)) for g in generators])
    for generator, (seed, state) in zip(generators, seeds):
        if generator.seed != seed:
            generator.seed = seed
            generator._generators = {}   # the backend streams restart from the new seed
        generator.state = state


def begin_fit(distribution, model, initial_epoch):
    """After ``on_train_begin`` (BackupAndRestore restored on rank 0): check
    that every process built the same model, then start all of them from
    rank 0's state and epoch."""
    comm = distribution.communicator
    check_same_model(comm, model)
    warn_if_weights_differ(comm, model)
    broadcast_state(comm, model)
    return comm.bcast_object(initial_epoch)


# -- each step -----------------------------------------------------------------------------


def _transport(distribution, variables):
    from brickwork.distribution.gradients import GradientReducer, HostTransport
    reducer = distribution._reducer
    if reducer is None:
        transport = HostTransport(distribution.communicator)
        first = ops.data_of(variables[0]) if variables else None
        if first is not None and type(first).__module__.startswith("cupy"):
            from brickwork.distribution.nccl import NcclTransport, nccl_available
            if nccl_available():
                transport = NcclTransport(distribution.communicator)
        reducer = GradientReducer(transport, distribution.bucket_size_mb * 2**20)
        distribution._reducer = reducer
    return reducer


def _share_of_batch(distribution):
    shard = distribution_state.current_batch_shard()
    return (shard.size / shard.global_size if shard is not None
            else 1.0 / distribution.num_processes)


def reduce_gradients(distribution, tape, loss, variables):
    """The gradients of the global batch: each process's, weighted by its
    share of the rows, summed over the processes in buckets."""
    weight = _share_of_batch(distribution)
    return _transport(distribution, variables).gradients(tape, loss, variables, weight)


def sum_computed_gradients(distribution, grads, variables):
    """As ``reduce_gradients``, for gradients a custom ``train_step`` computed
    itself and hands to ``optimizer.apply_gradients``."""
    weight = _share_of_batch(distribution)
    return _transport(distribution, variables).sum_gradients(grads, variables, weight)


def global_metrics_result(distribution, metrics, compute):
    """``compute()`` (the metrics' results) with every metric's state summed
    over the processes: the metrics of the global batch, the same numbers
    on every process. Metric states are additive (totals and counts,
    confusion counts), as Keras's are."""
    variables = [v for metric in metrics for v in metric.variables]
    if not variables:
        return compute()
    local = [np.array(ops.convert_to_numpy(v), copy=True) for v in variables]
    flat = np.concatenate([np.asarray(a, dtype=np.float64).reshape(-1) for a in local])
    distribution.communicator.allreduce_sum(flat)
    offset = 0
    for variable, value in zip(variables, local):
        size = value.size
        variable.assign(flat[offset:offset + size].reshape(value.shape).astype(value.dtype))
        offset += size
    try:
        return compute()
    finally:
        for variable, value in zip(variables, local):
            variable.assign(value)


def gather_predictions(distribution, chunks, adapter):
    """Every process's outputs of every batch, in row order, on every process."""
    from brickwork.distribution.sharding import ShardedDataAdapter, shard_bounds
    if not isinstance(adapter, ShardedDataAdapter):
        return chunks
    comm = distribution.communicator
    everyone = comm.allgather_object(chunks)
    joined = []
    for step, global_size in enumerate(adapter.batch_sizes):
        parts = [tree.flatten(rank_chunks[step]) for rank, rank_chunks in enumerate(everyone)
                 if shard_bounds(global_size, comm.size, rank)[1]]  # a stand-in row: left out
        leaves = [np.concatenate(pieces, axis=0) for pieces in zip(*parts)]
        joined.append(tree.pack_like(chunks[step], leaves))
    return joined
