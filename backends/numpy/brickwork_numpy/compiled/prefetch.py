"""Software prefetch for compiled loops that walk data no longer in cache.

``prefetch(a, i)`` asks the CPU to start loading the cache line holding
``a[i]`` (a 1-D array) into L2 and returns at once; the loop goes on
computing while the line arrives. It compiles to one ``prefetcht1``
instruction on x86 (LLVM's ``llvm.prefetch``; a no-op where a CPU has none)
and never faults, even past the end of an array.
"""
from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

#: Floats per 64-byte cache line, the stride for prefetching a float32 row.
LINE_FLOATS = 16

_READ, _KEEP_IN_L2, _DATA = 0, 2, 1


@intrinsic
def prefetch(typingctx, array, index):
    """Prefetch ``array[index]`` for reading (``array`` 1-D, any layout)."""
    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        data = context.make_array(array_type)(context, builder, args[0])
        address = cgutils.get_item_pointer(context, builder, array_type, data, [args[1]])
        byte_pointer = ir.IntType(8).as_pointer()
        int32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, int32, int32, int32]),
            "llvm.prefetch.p0i8")
        builder.call(function, [builder.bitcast(address, byte_pointer), ir.Constant(int32, _READ),
                                ir.Constant(int32, _KEEP_IN_L2), ir.Constant(int32, _DATA)])
        return context.get_dummy_value()
    one_dimensional = isinstance(array, types.Array) and array.ndim == 1
    if not one_dimensional or not isinstance(index, types.Integer):
        return None
    return types.void(array, index), codegen
