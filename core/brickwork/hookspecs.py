"""Hook specifications: the contract between brickwork and its backends.

Reading this file tells a backend author everything they must implement.
The kernels are grouped by family, in the order data flows through a model:
dense, activations, attention, row gathers, dropout, normalization,
convolution and pooling, recurrent sequences, losses, optimizer updates, and
random numbers; the array namespace core computes with comes last.

There are two kinds of hooks:

* **Registration hooks** (``brickwork_*``) are called by the plugin manager on
  every plugin that implements them.
* **Kernel hooks** are the compute kernels. A module holding kernel hookimpls
  names the backend it serves in a module attribute ``BRICKWORK_BACKEND =
  "<name>"``. When a backend is selected, brickwork resolves each kernel spec
  once into a plain function reference (the *kernel table*); a kernel call
  then costs one Python call, not a pluggy hook walk. Kernels are called
  positionally, in the order the spec lists its parameters, so an
  implementation must declare exactly the spec's parameters, in order, with no
  defaults (the conformance suite checks this).

Conventions for every kernel:

* Arrays are the backend's own arrays (``numpy.ndarray``, ``cupy.ndarray``);
  floating arrays are float32 unless stated otherwise, and the result has the
  dtype of the main floating input. Kernels accept float64 as well, which is
  what the float64 reference checks use.
* Backward kernels receive the upstream gradient first (``dy``) and return
  gradients in the order of the forward inputs they differentiate.
* Kernels never modify their inputs, except the optimizer ``*_update``
  kernels, which update their state arrays in place (documented per kernel).
* ``activation`` arguments name one of ``KERNEL_ACTIVATIONS``.

Override resolution: a backend's own kernel modules form the base; any other
plugin whose ``BRICKWORK_BACKEND`` names that backend overrides single kernels.
Among overrides, pluggy's call order decides (``tryfirst``, then the most
recently registered plugin); two plugins overriding one kernel are reported
as a clash. ``docs/plugins.md`` is the plugin author's guide.

Reference kernels: ``brickwork.reference_kernels`` implements every spec
here once, against an array namespace ``xp`` (NumPy's API). A backend whose
arrays follow that API binds them to its array module
(``brickwork.reference_kernels.bind``) and replaces only what it does faster,
as the NumPy and CuPy backends do (``docs/backends.md``).
"""
from __future__ import annotations

from brickwork.plugin import hookspec

#: Activations that kernels taking an ``activation`` argument must implement,
#: with Keras 3's definitions and default parameters:
#: linear(x)=x; relu(x)=max(x,0); relu6(x)=min(max(x,0),6); hard_tanh(x)=clip(x,-1,1);
#: sigmoid(x)=1/(1+e^-x); tanh; elu(x)=x if x>0 else e^x-1; celu(x) with alpha=1
#: (the same function as elu); selu(x)=1.0507009873554805*elu_a(x) with
#: a=1.6732632423543772; softplus(x)=log(1+e^x); log_sigmoid(x)=-softplus(-x);
#: softsign(x)=x/(1+|x|); silu(x)=x*sigmoid(x); gelu(x)=x*Phi(x) with Phi the
#: standard normal CDF, 0.5*(1+erf(x/sqrt(2))); gelu_approximate(x)=
#: 0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715*x^3))); mish(x)=x*tanh(softplus(x));
#: exponential(x)=e^x; hard_sigmoid(x)=clip(x/6+1/2, 0, 1);
#: hard_silu(x)=x*hard_sigmoid(x); softmax and log_softmax act over the last axis.
KERNEL_ACTIVATIONS = (
    "linear", "relu", "relu6", "sigmoid", "tanh", "elu", "selu", "softplus",
    "softsign", "silu", "exponential", "hard_sigmoid", "hard_silu",
    "softmax", "log_softmax",
    "celu", "hard_tanh", "log_sigmoid", "gelu", "gelu_approximate", "mish",
)

#: The subset of ``KERNEL_ACTIVATIONS`` whose derivative can be computed from
#: the activation's output alone; only these may be fused into a layer kernel
#: whose backward pass receives the output but not the pre-activation.
OUTPUT_DIFFERENTIABLE_ACTIVATIONS = tuple(
    name for name in KERNEL_ACTIVATIONS
    if name not in ("silu", "hard_silu", "gelu", "gelu_approximate", "mish")
)


# -------------------------------------------------------------------------
# Registration hooks
# -------------------------------------------------------------------------


@hookspec
def brickwork_backend():
    """Describe a backend this plugin supplies.

    :returns: a :class:`brickwork.plugin.BackendInfo`, or None.

    Called once per plugin when the plugin manager starts. The backend's
    kernel modules are imported only when the backend is selected. A backend
    name belongs to the first plugin that claims it (brickwork's own entry
    points load first, then the others in order of entry-point name); a later
    claim is reported as a clash and ignored.
    """


@hookspec
def brickwork_kernel_specs():
    """Name the modules holding this plugin's own kernel specs.

    :returns: a list of modules, or of their import paths, each holding
        functions marked with :data:`brickwork.plugin.hookspec`.

    Called before the plugin itself is registered, so the module that
    implements this hook may also hold implementations of those specs. A
    plugin spec may not reuse the name of a core spec or of another plugin's
    spec, nor start with ``brickwork_``; a plugin that tries is skipped.
    Prefix spec names with the plugin's name (``mypkg_attention_forward``).
    The conventions stated at the top of this file apply to plugin kernels.
    """


@hookspec
def brickwork_kernel_modules(backend_name):
    """Name this plugin's kernel modules that serve the backend ``backend_name``.

    :param backend_name: the backend being selected (``"numpy"``, ``"cupy"``).
    :returns: a list of import paths, possibly empty. Each module declares
        ``BRICKWORK_BACKEND = backend_name`` and holds hookimpls of this
        plugin's own kernel specs, or overrides of core kernels.

    Called when a backend is selected (and again on
    :func:`brickwork.backend.refresh`), so a module that imports a GPU
    library is imported only where that backend is used.
    """


@hookspec
def brickwork_layers():
    """List the layer classes this plugin adds.

    :returns: a list of :class:`brickwork.layers.Layer` subclasses.

    Each class is registered for saving and loading under the name
    ``"package>ClassName"``: the name the plugin already gave it with
    :func:`brickwork.saving.register_keras_serializable`, otherwise
    ``package`` is the top-level package of the class's module. The class
    also becomes ``brickwork.layers.ClassName`` unless a core layer or an
    earlier-loaded plugin already holds that name (reported as a clash).
    """


@hookspec
def brickwork_data_adapters():
    """List the data adapter classes this plugin adds.

    :returns: a list of :class:`brickwork.trainers.data_adapters.DataAdapter`
        subclasses, each with a ``can_handle(x, y=None)`` classmethod.

    ``fit``, ``evaluate`` and ``predict`` try, for their ``x``: the array
    adapter, then plugins' adapters (in plugin load order), then the built-in
    streams (tf.data, ``PyDataset``, torch ``DataLoader``, grain, generators
    and iterators); the first whose ``can_handle`` is true takes the data.
    """


# -------------------------------------------------------------------------
# Dense (fully connected) layer
# -------------------------------------------------------------------------


@hookspec
def dense_forward(x, kernel, bias, activation):
    """``activation(x @ kernel + bias)``, with bias and activation fused.

    :param x: ``(..., in)``.
    :param kernel: ``(in, out)`` (Keras layout).
    :param bias: ``(out,)`` or None.
    :param activation: a name from ``OUTPUT_DIFFERENTIABLE_ACTIVATIONS``.
    :returns: ``y`` of shape ``(..., out)``.
    """


@hookspec
def dense_backward(dy, x, kernel, y, activation, need_dx):
    """Gradients of :func:`dense_forward`.

    :param dy: ``(..., out)``, gradient with respect to ``y``.
    :param x: the forward input ``(..., in)``.
    :param kernel: ``(in, out)``.
    :param y: the forward output; the activation is differentiated from it.
    :param activation: the forward activation name.
    :param need_dx: False when no gradient with respect to ``x`` is needed
        (the first layer), so the kernel can skip that matrix product.
    :returns: ``(dx, dkernel, dbias)``; ``dx`` is None when ``need_dx`` is
        False. ``dbias`` is always returned (callers drop it without bias).
    """


# -------------------------------------------------------------------------
# Activations and softmax
# -------------------------------------------------------------------------


@hookspec
def activation_forward(x, activation):
    """Apply an activation elementwise (softmax/log_softmax over the last axis).

    :param x: any shape.
    :param activation: a name from ``KERNEL_ACTIVATIONS``.
    :returns: ``y`` with the shape of ``x``.
    """


@hookspec
def activation_backward(dy, x, y, activation):
    """Gradient of :func:`activation_forward`.

    :param dy: gradient with respect to ``y``.
    :param x: the forward input.
    :param y: the forward output.
    :returns: ``dx``, same shape as ``x``.
    """


@hookspec
def softmax_forward(x, axis):
    """Numerically stable softmax along ``axis`` (an int, may be negative).

    :returns: ``y`` with the shape of ``x``; slices along ``axis`` sum to 1.
    """


@hookspec
def softmax_backward(dy, y, axis):
    """Gradient of :func:`softmax_forward`: ``y * (dy - sum(dy * y, axis))``.

    :returns: ``dx``, same shape as ``y``.
    """


@hookspec
def log_softmax_forward(x, axis):
    """Numerically stable ``log(softmax(x))`` along ``axis``.

    :returns: ``y`` with the shape of ``x``.
    """


@hookspec
def log_softmax_backward(dy, y, axis):
    """Gradient of :func:`log_softmax_forward` given its output ``y``:
    ``dy - exp(y) * sum(dy, axis)``.

    :returns: ``dx``, same shape as ``y``.
    """


# -------------------------------------------------------------------------
# Attention
# -------------------------------------------------------------------------


@hookspec
def masked_softmax_forward(x, mask, axis):
    """Softmax along ``axis`` (an int, may be negative) over the entries where
    ``mask`` is True, as Keras' ``Softmax`` layer computes it with a mask
    (masked logits replaced by -1e9, masked outputs set to 0): masked entries
    get probability 0, and a slice with every entry masked is all zeros.

    :param x: any shape, floating.
    :param mask: a boolean array broadcastable to ``x`` (True = attend), or
        None for a plain softmax.
    :returns: ``y`` with the shape and dtype of ``x``. Its gradient is
        :func:`softmax_backward` ``(dy, y, axis)``, since ``y`` is 0 wherever
        the mask is False.
    """


# -------------------------------------------------------------------------
# Row gathers (Embedding lookups, ``take`` along axis 0)
# -------------------------------------------------------------------------


@hookspec
def take_rows_forward(table, indices):
    """Rows of ``table`` at ``indices``: ``table[indices]``.

    :param table: ``(N, ...)``.
    :param indices: integer array of any shape, each in ``[0, N)`` (the
        caller checks the range).
    :returns: ``indices.shape + table.shape[1:]``, dtype of ``table``.
    """


@hookspec
def take_rows_backward(dy, indices, num_rows):
    """Gradient of :func:`take_rows_forward` w.r.t. ``table``: a zero
    ``(num_rows, *dy.shape[indices.ndim:])`` array of ``dy``'s dtype with each
    row ``dy[k]`` added at row ``indices[k]``; repeated indices accumulate.

    :returns: ``dtable``.
    """


# -------------------------------------------------------------------------
# Dropout
# -------------------------------------------------------------------------


@hookspec
def dropout_forward(x, rate, noise_shape, generator):
    """Inverted dropout: keep each unit with probability ``1 - rate`` and
    scale kept units by ``1 / (1 - rate)``.

    :param x: any shape.
    :param rate: float in [0, 1).
    :param noise_shape: a tuple broadcastable to ``x.shape`` (a 1 shares one
        draw along that axis).
    :param generator: from :func:`random_generator`.
    :returns: ``(y, mask)``, where ``mask`` has ``noise_shape`` and holds 0 or
        ``1 / (1 - rate)`` in ``x``'s dtype.
    """


@hookspec
def dropout_backward(dy, mask):
    """Gradient of :func:`dropout_forward`: ``dy * mask`` (mask broadcast).

    :returns: ``dx``.
    """


# -------------------------------------------------------------------------
# Normalization (BatchNormalization, LayerNormalization, GroupNormalization)
# -------------------------------------------------------------------------


@hookspec
def batch_norm_train_forward(x, gamma, beta, weights, axis, epsilon):
    """Batch normalization with statistics of this batch, fused.

    Statistics are taken over every axis but ``axis``::

        mean = sum(w * x) / count            variance = sum(w * (x - mean)**2) / count
        y = (x - mean) / sqrt(variance + epsilon) * gamma + beta

    With ``weights`` None, ``w = 1`` and ``count`` is the number of reduced
    elements (the biased variance). With weights (Keras' masked moments),
    ``count = sum(w) + 1e-7`` over the reduced axes.

    :param x: any shape with ``ndim >= 1``.
    :param gamma, beta: ``(x.shape[axis],)`` or None (None: 1 and 0).
    :param weights: None, or 0/1 weights of ``x``'s dtype broadcastable to ``x``
        (a mask expanded over the channel axis); every element is normalized,
        only weighted ones count in the statistics.
    :param axis: the channel axis, an int (may be negative).
    :param epsilon: a Python float.
    :returns: ``(y, mean, variance)``; ``mean`` and ``variance`` have shape
        ``(x.shape[axis],)`` (for the moving averages and the backward pass).
    """


@hookspec
def batch_norm_train_backward(dy, x, gamma, weights, mean, variance, axis, epsilon):
    """Gradients of :func:`batch_norm_train_forward`, through the batch
    statistics (``mean`` and ``variance`` are the forward's outputs).

    :returns: ``(dx, dgamma, dbeta)``; ``dgamma`` and ``dbeta`` have shape
        ``(x.shape[axis],)`` and are returned even when ``gamma``/``beta``
        were None (callers drop them).
    """


@hookspec
def batch_norm_inference_forward(x, mean, variance, gamma, beta, axis, epsilon):
    """Batch normalization with given (moving) statistics, as one fused
    scale and shift: ``y = x * s + (beta - mean * s)`` with
    ``s = gamma / sqrt(variance + epsilon)``.

    :param mean, variance: ``(x.shape[axis],)``.
    :param gamma, beta: ``(x.shape[axis],)`` or None (None: 1 and 0).
    :returns: ``y`` with the shape of ``x``.
    """


@hookspec
def batch_norm_inference_backward(dy, x, mean, variance, gamma, axis, epsilon):
    """Gradients of :func:`batch_norm_inference_forward` with respect to
    ``x``, ``gamma`` and ``beta`` (the statistics are constants).

    :returns: ``(dx, dgamma, dbeta)``, shapes as in the forward.
    """


@hookspec
def layer_norm_forward(x, gamma, beta, axes, epsilon, rms_scaling):
    """Normalization of each slice over ``axes`` (Keras' LayerNormalization;
    GroupNormalization is this kernel on ``x`` reshaped into groups)::

        mean, variance = moments of x over axes (biased variance)
        inv = 1 / sqrt(variance + epsilon)
        y = (x - mean) * inv * gamma + beta       if not rms_scaling
        y = x * inv * gamma                       if rms_scaling (Keras'
                                                  deprecated rms_scaling: not centred)

    :param x: any shape.
    :param gamma, beta: None, or arrays broadcastable to ``x`` (``x.ndim``
        dimensions, 1 on axes they do not vary along); ``beta`` is ignored
        with ``rms_scaling``.
    :param axes: a tuple of sorted non-negative ints.
    :param epsilon: a Python float.
    :param rms_scaling: bool.
    :returns: ``(y, mean, inv)``; ``mean`` and ``inv`` keep ``x.ndim`` dims
        (size 1 on ``axes``), for the backward pass.
    """


@hookspec
def layer_norm_backward(dy, x, gamma, mean, inv, axes, param_shape, rms_scaling):
    """Gradients of :func:`layer_norm_forward`.

    :param gamma, mean, inv, axes, rms_scaling: as in (and from) the forward.
    :param param_shape: the broadcast shape of ``gamma`` and ``beta`` (a tuple
        of ``x.ndim`` ints), or None when the layer has neither.
    :returns: ``(dx, dgamma, dbeta)``; ``dgamma`` and ``dbeta`` have
        ``param_shape`` (both None when it is None; ``dbeta`` None with
        ``rms_scaling``); callers drop those of absent parameters.
    """


# -------------------------------------------------------------------------
# Convolution and pooling (N-d: 1, 2 or 3 spatial axes)
#
# Every kernel here works on channels-last arrays ``(batch, *spatial,
# channels)``; layers transpose channels-first data before and after. The
# number of spatial axes ``rank`` is ``len(strides)``. Geometry arguments are
# tuples with one entry per spatial axis: ``strides`` and ``dilation_rate`` of
# positive ints, ``padding`` of ``(before, after)`` pairs of non-negative ints
# (layers turn Keras' 'valid'/'same'/'causal' into pairs). With a window of
# ``k`` taps, ``K = dilation * (k - 1) + 1`` is its effective extent.
# -------------------------------------------------------------------------


@hookspec
def conv_forward(x, kernel, bias, strides, padding, dilation_rate, groups, activation):
    """Cross-correlation, as Keras' ``Conv1D/2D/3D``, with bias and activation fused.

    :param x: ``(batch, *spatial, in_channels)``.
    :param kernel: ``(*kernel_size, in_channels // groups, filters)`` (Keras layout).
    :param bias: ``(filters,)`` or None.
    :param padding: zeros added before and after each spatial axis.
    :param groups: splits the input channels and the filters into ``groups``
        consecutive blocks; filter block ``g`` sees only input block ``g``.
    :param activation: a name from ``OUTPUT_DIFFERENTIABLE_ACTIVATIONS``.
    :returns: ``y`` of shape ``(batch, *out, filters)`` where, per axis,
        ``out = (n + before + after - K) // stride + 1`` (at least 1), and
        ``y[b, o, f] = activation(bias[f] + sum over taps t and channels c of
        xpad[b, o * stride + t * dilation, g * cin + c] * kernel[t, c, f])``
        with ``g = f // (filters // groups)``, ``cin = in_channels // groups``.
    """


@hookspec
def conv_backward(dy, x, kernel, y, strides, padding, dilation_rate, groups, activation,
                  need_dx):
    """Gradients of :func:`conv_forward`.

    :param dy: gradient with respect to ``y``, shape of ``y``.
    :param y: the forward output; the activation is differentiated from it.
    :param need_dx: False when no gradient with respect to ``x`` is needed.
    :returns: ``(dx, dkernel, dbias)``; ``dx`` is None when ``need_dx`` is
        False; ``dbias`` ``(filters,)`` is always returned.
    """


@hookspec
def conv_transpose_forward(x, kernel, bias, strides, padding, dilation_rate, activation):
    """Transposed convolution, as Keras' ``Conv1D/2D/3DTranspose``, bias and activation fused.

    It is the stride-1 cross-correlation of ``x`` dilated by ``strides``
    (``stride - 1`` zeros between neighbours) and zero-padded by ``padding``,
    with the kernel flipped along every spatial axis and its two channel axes
    swapped: ``y[b, o, f] = activation(bias[f] + sum over t, c of
    xdp[b, o + t * dilation, c] * kernel[k - 1 - t, f, c])``. Equivalently, the
    gradient of :func:`conv_forward` with respect to its input.

    :param x: ``(batch, *spatial, in_channels)``.
    :param kernel: ``(*kernel_size, filters, in_channels)`` (Keras transpose layout).
    :param bias: ``(filters,)`` or None.
    :param padding: ``(before, after)`` per axis, applied to the dilated input
        (Keras computes ``before <= K - 1``; ``after`` may exceed it).
    :returns: ``y`` of shape ``(batch, *out, filters)``, per axis
        ``out = (n - 1) * stride + 1 + before + after - K + 1``.
    """


@hookspec
def conv_transpose_backward(dy, x, kernel, y, strides, padding, dilation_rate, activation,
                            need_dx):
    """Gradients of :func:`conv_transpose_forward`.

    :returns: ``(dx, dkernel, dbias)``; ``dx`` is None when ``need_dx`` is False.
    """


@hookspec
def depthwise_conv_forward(x, kernel, bias, strides, padding, dilation_rate, activation):
    """Depthwise cross-correlation, as Keras' ``DepthwiseConv1D/2D``, fused.

    Each input channel ``c`` is correlated with its own ``depth_multiplier``
    filters; output channel ``c * depth_multiplier + m`` is
    ``activation(bias[.] + sum over t of xpad[b, o * stride + t * dilation, c]
    * kernel[t, c, m])``.

    :param x: ``(batch, *spatial, channels)``.
    :param kernel: ``(*kernel_size, channels, depth_multiplier)``.
    :param bias: ``(channels * depth_multiplier,)`` or None.
    :returns: ``y`` of shape ``(batch, *out, channels * depth_multiplier)``,
        ``out`` as in :func:`conv_forward`.
    """


@hookspec
def depthwise_conv_backward(dy, x, kernel, y, strides, padding, dilation_rate, activation,
                            need_dx):
    """Gradients of :func:`depthwise_conv_forward`.

    :returns: ``(dx, dkernel, dbias)``; ``dx`` is None when ``need_dx`` is False.
    """


@hookspec
def max_pool_forward(x, pool_size, strides, padding):
    """Maximum over each window, as Keras' ``MaxPooling1D/2D/3D``.

    :param x: ``(batch, *spatial, channels)``.
    :param pool_size: window size per spatial axis.
    :param padding: ``(before, after)`` cells per axis that never win (as if
        ``-inf``); every window holds at least one real cell.
    :returns: ``y`` of shape ``(batch, *out, channels)``, per axis
        ``out = (n + before + after - pool) // stride + 1``.
    """


@hookspec
def max_pool_backward(dy, x, y, pool_size, strides, padding):
    """Gradient of :func:`max_pool_forward`: each window's ``dy`` goes to the
    first cell (in row-major order within the window) whose value equals the
    window's maximum ``y``; overlapping windows add up.

    :returns: ``dx``, shape of ``x``.
    """


@hookspec
def avg_pool_forward(x, pool_size, strides, padding):
    """Mean over each window, as Keras' ``AveragePooling1D/2D/3D``: padded cells
    are left out of both the sum and the count.

    :returns: ``y`` of shape ``(batch, *out, channels)``, ``out`` as in
        :func:`max_pool_forward`.
    """


@hookspec
def avg_pool_backward(dy, x, pool_size, strides, padding):
    """Gradient of :func:`avg_pool_forward`: each window's ``dy`` divided by its
    count of real cells, spread over those cells. ``x`` gives the shape and
    dtype of the result; its values are not used.

    :returns: ``dx``, shape of ``x``.
    """


# -------------------------------------------------------------------------
# Recurrent sequences (SimpleRNN, LSTM, GRU): a whole sequence per call
# -------------------------------------------------------------------------
#
# Shared conventions of the recurrent kernels:
#
# * ``inputs`` is batch-major ``(B, T, in)``; ``kernel`` is ``(in, G*u)`` and
#   ``recurrent_kernel`` ``(u, G*u)`` in Keras layout, whose column blocks are
#   the gates (G = 1 for SimpleRNN; LSTM: 4 blocks ``[i, f, c, o]``; GRU: 3
#   blocks ``[z, r, h]``).
# * ``go_backwards``: steps are processed from ``T-1`` down to ``0``; every
#   per-step result is in *processing* order.
# * ``mask``: None or bool ``(B, T)`` (in input order). At a masked step a
#   row's states carry over unchanged.
# * ``input_masks``: None, or ``(1, B, in)`` (one mask shared by every gate)
#   or ``(G, B, in)`` (one per gate): multiplicative dropout masks, constant
#   over time, applied to the inputs before each gate's projection.
#   ``recurrent_masks``: None or ``(G, B, u)``, the same for the previous
#   hidden state before each gate's recurrent projection.
# * ``activation`` / ``recurrent_activation`` name elementwise activations
#   of ``OUTPUT_DIFFERENTIABLE_ACTIVATIONS`` (not softmax/log_softmax).
# * Forward kernels return ``h_seq`` of shape ``(T, B, u)``, *time-major*:
#   ``h_seq[t]`` is the hidden state after processing step ``t`` (carried
#   over masked steps), so ``h_seq[-1]`` is the final hidden state. They
#   also return a ``workspace``: an opaque object of the backend's choice,
#   passed unchanged to the matching backward kernel (it holds the gate
#   activations and whatever else the backward pass needs). Backward may be
#   called more than once with the same workspace (a persistent tape) and
#   must give the same gradients each time.
# * Backward kernels take ``dh_seq`` (gradient w.r.t. ``h_seq``, or None
#   when zero), ``dh_last`` (extra gradient w.r.t. ``h_seq[-1]``, or None)
#   and return gradients in the forward's argument order: ``(dinputs,
#   dkernel, drecurrent_kernel, dbias, dinitial_h[, dinitial_c])``.
#   ``dinputs`` is None when ``need_dinputs`` is False; ``dbias`` has the
#   shape of the forward bias (callers drop it when the bias was None).


@hookspec
def simple_rnn_forward(inputs, kernel, recurrent_kernel, bias, initial_h, mask, input_masks,
                       recurrent_masks, activation, go_backwards):
    """A SimpleRNN over a whole sequence (G = 1)::

        h_t = activation((x_t * im) @ kernel + bias + (h_{t-1} * rm) @ recurrent_kernel)

    :param bias: ``(u,)`` or None.
    :param initial_h: ``(B, u)``.
    :returns: ``(h_seq, workspace)``.
    """


@hookspec
def simple_rnn_backward(dh_seq, dh_last, workspace, need_dinputs):
    """Gradients of :func:`simple_rnn_forward` (backpropagation through time).

    :returns: ``(dinputs, dkernel, drecurrent_kernel, dbias, dinitial_h)``.
    """


@hookspec
def lstm_forward(inputs, kernel, recurrent_kernel, bias, initial_h, initial_c, mask,
                 input_masks, recurrent_masks, activation, recurrent_activation, go_backwards):
    """An LSTM over a whole sequence, Keras gate order ``[i, f, c, o]`` (G = 4)::

        z = (x_t * im_g) @ kernel_g + bias_g + (h_{t-1} * rm_g) @ recurrent_kernel_g
        i, f, o = recurrent_activation(z_i, z_f, z_o);  g = activation(z_c)
        c_t = f * c_{t-1} + i * g;   h_t = o * activation(c_t)

    With no dropout masks this is one GEMM for the input projection of all
    steps, then one recurrent GEMM and one fused gate update per step.

    :param bias: ``(4u,)`` or None.
    :param initial_h, initial_c: ``(B, u)``.
    :returns: ``(h_seq, c_last, workspace)``; ``c_last`` ``(B, u)`` is the
        final cell state.
    """


@hookspec
def lstm_backward(dh_seq, dh_last, dc_last, workspace, need_dinputs):
    """Gradients of :func:`lstm_forward`. ``dc_last``: gradient w.r.t.
    ``c_last``, or None.

    :returns: ``(dinputs, dkernel, drecurrent_kernel, dbias, dinitial_h,
        dinitial_c)``.
    """


@hookspec
def gru_forward(inputs, kernel, recurrent_kernel, bias, initial_h, mask, input_masks,
                recurrent_masks, activation, recurrent_activation, reset_after, go_backwards):
    """A GRU over a whole sequence, Keras gate order ``[z, r, h]`` (G = 3)::

        xz, xr, xh = split((x_t * im_g) @ kernel_g + input_bias_g)
        reset_after=True:
            rz, rr, rh = split((h_{t-1} * rm_g) @ recurrent_kernel_g + recurrent_bias_g)
            z = recurrent_activation(xz + rz);  r = recurrent_activation(xr + rr)
            hh = activation(xh + r * rh)
        reset_after=False:
            z, r as above without a recurrent bias
            hh = activation(xh + (r * (h_{t-1} * rm_h)) @ recurrent_kernel_h)
        h_t = z * h_{t-1} + (1 - z) * hh

    :param bias: None; ``(2, 3u)`` when ``reset_after`` (row 0 the input
        bias, row 1 the recurrent bias); ``(3u,)`` otherwise (input bias).
    :param initial_h: ``(B, u)``.
    :returns: ``(h_seq, workspace)``.
    """


@hookspec
def gru_backward(dh_seq, dh_last, workspace, need_dinputs):
    """Gradients of :func:`gru_forward`.

    :returns: ``(dinputs, dkernel, drecurrent_kernel, dbias, dinitial_h)``.
    """


# -------------------------------------------------------------------------
# Fused losses
# -------------------------------------------------------------------------


@hookspec
def softmax_crossentropy_forward(logits, target, sparse):
    """Cross-entropy of ``softmax(logits)`` against a target, fused.

    :param logits: ``(..., classes)``.
    :param target: when ``sparse`` is False, probabilities of the logits'
        shape (one-hot or smoothed); when True, integer class indices of shape
        ``logits.shape[:-1]``.
    :returns: ``(loss, probs)``: ``loss`` of shape ``logits.shape[:-1]`` is
        ``-sum(target * log_softmax(logits), -1)``; ``probs`` is the softmax,
        kept for the backward pass.
    """


@hookspec
def softmax_crossentropy_backward(dloss, probs, target, sparse):
    """Gradient of :func:`softmax_crossentropy_forward` with respect to the
    logits: ``dloss[..., None] * (probs * sum(target, -1) - target)``.

    :param dloss: ``logits.shape[:-1]``.
    :returns: ``dlogits``, shape of ``probs``.
    """


@hookspec
def sigmoid_crossentropy_forward(logits, target):
    """Elementwise binary cross-entropy of ``sigmoid(logits)`` against
    ``target`` in [0, 1], computed stably as
    ``max(z, 0) - z * t + log(1 + exp(-|z|))``.

    :returns: ``loss`` with the shape of ``logits``.
    """


@hookspec
def sigmoid_crossentropy_backward(dloss, logits, target):
    """Gradient of :func:`sigmoid_crossentropy_forward`:
    ``dloss * (sigmoid(logits) - target)``.

    :returns: ``dlogits``.
    """


# -------------------------------------------------------------------------
# Optimizer updates (in place, Keras 3 update rules)
# -------------------------------------------------------------------------


@hookspec
def sgd_update(variable, gradient, momentum_buffer, learning_rate, momentum, nesterov):
    """One SGD step, in place on ``variable`` (and ``momentum_buffer``).

    With ``momentum == 0``: ``variable -= learning_rate * gradient`` and
    ``momentum_buffer`` is None. Otherwise
    ``m = momentum * m - learning_rate * gradient``, then
    ``variable += momentum * m - learning_rate * gradient`` when ``nesterov``,
    else ``variable += m``.

    :param learning_rate, momentum: Python floats.
    :returns: None.
    """


@hookspec
def adam_update(variable, gradient, first_moment, second_moment, max_second_moment,
                learning_rate, beta_1, beta_2, epsilon, step):
    """One Adam step, in place, as Keras 3 computes it (``step`` counts from 1)::

        alpha = learning_rate * sqrt(1 - beta_2**step) / (1 - beta_1**step)
        m += (gradient - m) * (1 - beta_1)
        v += (gradient**2 - v) * (1 - beta_2)
        if max_second_moment is not None:   # amsgrad
            v_hat = maximum(v_hat, v); v_used = v_hat
        variable -= alpha * m / (sqrt(v_used) + epsilon)

    :returns: None.
    """


@hookspec
def rmsprop_update(variable, gradient, velocity, momentum_buffer, average_gradient,
                   learning_rate, rho, momentum, epsilon):
    """One RMSprop step, in place, as Keras 3 computes it::

        velocity = rho * velocity + (1 - rho) * gradient**2
        if average_gradient is not None:     # centered
            average_gradient = rho * average_gradient + (1 - rho) * gradient
            denominator = velocity - average_gradient**2 + epsilon
        else:
            denominator = velocity + epsilon
        increment = learning_rate * gradient / sqrt(denominator)
        if momentum_buffer is not None:      # momentum > 0
            momentum_buffer = momentum * momentum_buffer + increment
            variable -= momentum_buffer
        else:
            variable -= increment

    :returns: None.
    """


# --- Adagrad, Adadelta, Adamax, Nadam, Lion and FTRL ---
#
# As for sgd/adam/rmsprop above: every array is updated in place in its own
# dtype; hyperparameters are Python floats (``step`` a Python int counting
# from 1). AdamW uses ``adam_update``: its decoupled weight decay is applied
# by the optimizer base class before the update.


@hookspec
def adagrad_update(variable, gradient, accumulator, learning_rate, epsilon):
    """One Adagrad step, in place::

        accumulator += gradient**2
        variable -= learning_rate * gradient / sqrt(accumulator + epsilon)

    :returns: None.
    """


@hookspec
def adadelta_update(variable, gradient, accumulated_grad, accumulated_delta_var,
                    learning_rate, rho, epsilon):
    """One Adadelta step, in place::

        accumulated_grad = rho * accumulated_grad + (1 - rho) * gradient**2
        delta = -sqrt(accumulated_delta_var + epsilon) * gradient
                / sqrt(accumulated_grad + epsilon)
        accumulated_delta_var = rho * accumulated_delta_var + (1 - rho) * delta**2
        variable += learning_rate * delta

    :returns: None.
    """


@hookspec
def adamax_update(variable, gradient, first_moment, norm, learning_rate, beta_1, beta_2,
                  epsilon, step):
    """One Adamax step, in place::

        first_moment += (gradient - first_moment) * (1 - beta_1)
        norm = maximum(beta_2 * norm, abs(gradient))
        variable -= learning_rate * first_moment / ((1 - beta_1**step) * (norm + epsilon))

    :returns: None.
    """


@hookspec
def nadam_update(variable, gradient, first_moment, second_moment, learning_rate, beta_1,
                 beta_2, epsilon, step, u_product):
    """One Nadam step, in place. ``u_product`` is the product of the momentum
    schedule ``u_i = beta_1 * (1 - 0.5 * 0.96**i)`` over ``i = 1 .. step``
    (the optimizer keeps it, updated once per step before the update)::

        u_t, u_next = u_step, u_(step + 1)
        first_moment += (gradient - first_moment) * (1 - beta_1)
        second_moment += (gradient**2 - second_moment) * (1 - beta_2)
        m_hat = u_next * first_moment / (1 - u_product * u_next)
                + (1 - u_t) * gradient / (1 - u_product)
        v_hat = second_moment / (1 - beta_2**step)
        variable -= learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    :returns: None.
    """


@hookspec
def lion_update(variable, gradient, momentum, learning_rate, beta_1, beta_2):
    """One Lion step, in place::

        variable -= learning_rate * sign(beta_1 * momentum + (1 - beta_1) * gradient)
        momentum = beta_2 * momentum + (1 - beta_2) * gradient

    :returns: None.
    """


@hookspec
def ftrl_update(variable, gradient, accumulator, linear, learning_rate, learning_rate_power,
                l1_regularization_strength, l2_regularization_strength,
                l2_shrinkage_regularization_strength, beta):
    """One FTRL-proximal step, in place, as Keras 3 computes it (``p`` is
    ``-learning_rate_power``, 0.5 by default)::

        l2 = l2_regularization_strength + beta / (2 * learning_rate)
        shrunk_gradient = gradient + 2 * l2_shrinkage_regularization_strength * variable
        new_accumulator = accumulator + gradient**2
        linear += shrunk_gradient
                  - (new_accumulator**p - accumulator**p) / learning_rate * variable
        quadratic = new_accumulator**p / learning_rate + 2 * l2
        variable = (clip(linear, -l1, l1) - linear) / quadratic   # l1 = l1_regularization_strength
        accumulator = new_accumulator

    :returns: None.
    """


# -------------------------------------------------------------------------
# Random numbers
# -------------------------------------------------------------------------


@hookspec
def random_generator(seed):
    """Make a random generator on the backend's device.

    :param seed: an int, or None for fresh OS entropy.
    :returns: an object with the methods of ``numpy.random.Generator`` that
        brickwork uses: ``random(size, dtype)`` (uniform in [0, 1)),
        ``standard_normal(size, dtype)``, ``integers(low, high, size)`` and
        ``permutation(n)``, each returning backend arrays.
    """


# --- The array namespace -------------------------------------------------------
#
# Besides the kernels above, a backend gives core its array namespace
# (``BackendInfo.array_module``, NumPy's API: creation, elementwise math,
# reductions, indexing, linalg, fft, random) and a few adapters
# (``BackendInfo.array_adapters``: host transfer and unbuffered scatter
# updates). Both are declared, name by name, in ``brickwork.array_namespace``;
# core uses nothing else of an array library.
from brickwork.array_namespace import (  # noqa: E402,F401  (part of this contract)
    ADAPTER_NAMES, NAMESPACE_NAMES, ArrayAdapters, ArrayNamespace)
