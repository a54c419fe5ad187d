"""Keras's operation classes, by (module, class name), and the brickwork
function each one runs.

Keras 3 saves an op applied to symbolic tensors (``x + 3.0``,
``ops.mean(x, axis=1)``, ``x[:, 1:]``) as a graph node of its own:
``{"module": "keras.src.ops.numpy", "class_name": "Mean", "config":
{"name": "mean", "axis": 1, "keepdims": false}}`` with inbound args
``[tensor]``. The op's constructor arguments go to ``config``; the tensors
and the remaining arguments go to the node's ``args`` and ``kwargs``.

Each table line below states one op: its class name, the brickwork function
of the same meaning, its constructor arguments (in Keras's order, ``-`` for
none), the arguments Keras passes positionally to the call, and those it
passes by keyword. ``*name`` and ``**name`` stand for variadic arguments; a
line ending in a comma goes on in the next.
Loading looks a node up here, never by importing the module a file names.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass

from brickwork import activations, ops
from brickwork.dtypes import standardize_dtype
from brickwork.naming import to_snake_case
from brickwork.ops import image as ops_image
from brickwork.ops import linalg as ops_linalg
from brickwork.ops import nn as ops_nn

NUMPY, NN, MATH = "keras.src.ops.numpy", "keras.src.ops.nn", "keras.src.ops.math"
LINALG, IMAGE, CORE = "keras.src.ops.linalg", "keras.src.ops.image", "keras.src.ops.core"
EINOPS, ACTIVATIONS = "keras.src.ops.einops", "keras.src.activations.activations"
#: Where brickwork-only ops (no Keras counterpart) are saved from and looked up.
BRICKWORK_OPS = "brickwork.ops"

_TABLES = {
    NUMPY: """
        Rot90 rot90 k,axes ; array
        Absolute absolute - ; x
        Fabs fabs - ; x
        Add add - ; x1,x2
        All all axis,keepdims ; x
        AllClose allclose rtol,atol,equal_nan ; x1,x2
        Angle angle - ; x
        Any any axis,keepdims ; x
        Amax amax axis,keepdims ; x
        Amin amin axis,keepdims ; x
        Append append axis ; x1,x2
        Arange arange dtype ; start,stop ; step
        Arccos arccos - ; x
        Arccosh arccosh - ; x
        Arcsin arcsin - ; x
        Arcsinh arcsinh - ; x
        Arctan arctan - ; x
        Arctan2 arctan2 - ; x1,x2
        Arctanh arctanh - ; x
        Argmax argmax axis,keepdims ; x
        Argmin argmin axis,keepdims ; x
        Argsort argsort axis ; x
        Array array dtype ; x
        View view dtype ; x
        Average average axis ; x ; weights
        Heaviside heaviside - ; x1,x2
        Bincount bincount weights,minlength,sparse ; x
        BitwiseAnd bitwise_and - ; x,y
        BitwiseInvert bitwise_invert - ; x
        BitwiseNot bitwise_not - ; x
        BitwiseOr bitwise_or - ; x,y
        BitwiseXor bitwise_xor - ; x,y
        BitwiseLeftShift bitwise_left_shift - ; x,y
        LeftShift left_shift - ; x,y
        BitwiseRightShift bitwise_right_shift - ; x,y
        RightShift right_shift - ; x,y
        BroadcastTo broadcast_to shape ; x
        Cbrt cbrt - ; x
        Ceil ceil - ; x
        Clip clip x_min,x_max ; x
        Concatenate concatenate axis ; xs
        Conjugate conjugate - ; x
        Copy copy - ; x
        Cos cos - ; x
        Cosh cosh - ; x
        CountNonzero count_nonzero axis ; x
        Cross cross axisa,axisb,axisc,axis ; x1,x2
        Cumprod cumprod axis,dtype ; x
        Cumsum cumsum axis,dtype ; x
        Deg2rad deg2rad - ; x
        Rad2deg rad2deg - ; x
        Diag diag k ; x
        Diagflat diagflat k ; x
        Diagonal diagonal offset,axis1,axis2 ; x
        Diff diff n,axis ; a
        Digitize digitize - ; x,bins
        Dot dot - ; x1,x2
        Dstack dstack - ; xs
        Einsum einsum subscripts ; *operands
        EmptyLike empty_like dtype ; x
        Equal equal - ; x1,x2
        Exp exp - ; x
        Exp2 exp2 - ; x
        ExpandDims expand_dims axis ; x
        Expm1 expm1 - ; x
        Flip flip axis ; x
        Fliplr fliplr - ; x
        Flipud flipud - ; x
        Floor floor - ; x
        Full full shape,dtype ; fill_value
        FullLike full_like dtype ; x,fill_value
        Gcd gcd - ; x1,x2
        GetItem get_item - ; x,key
        Geomspace geomspace num,endpoint,dtype,axis ; start,stop
        Greater greater - ; x1,x2
        GreaterEqual greater_equal - ; x1,x2
        Hstack hstack - ; xs
        Hsplit hsplit indices_or_sections ; x
        Hypot hypot - ; x1,x2
        Imag imag - ; x
        I0 i0 - ; x
        Isclose isclose equal_nan ; x1,x2,rtol,atol
        Isfinite isfinite - ; x
        IsIn isin assume_unique,invert ; x1,x2
        Isinf isinf - ; x
        Isnan isnan - ; x
        Isneginf isneginf - ; x
        Isposinf isposinf - ; x
        Isreal isreal - ; x
        Kron kron - ; x1,x2
        Lcm lcm - ; x1,x2
        Ldexp ldexp - ; x1,x2
        Less less - ; x1,x2
        LessEqual less_equal - ; x1,x2
        Linspace linspace num,endpoint,retstep,dtype,axis ; start,stop
        Log log - ; x
        Log10 log10 - ; x
        Log1p log1p - ; x
        Log2 log2 - ; x
        Logaddexp logaddexp - ; x1,x2
        Logaddexp2 logaddexp2 - ; x1,x2
        LogicalAnd logical_and - ; x1,x2
        LogicalNot logical_not - ; x
        LogicalOr logical_or - ; x1,x2
        Logspace logspace num,endpoint,base,dtype,axis ; start,stop
        Matmul matmul - ; x1,x2
        Max max axis,keepdims,initial ; x
        Maximum maximum - ; x1,x2
        Fmax fmax - ; x1,x2
        Median median axis,keepdims ; x
        Meshgrid meshgrid indexing ; *x
        Min min axis,keepdims,initial ; x
        Minimum minimum - ; x1,x2
        Fmin fmin - ; x1,x2
        Mod mod - ; x1,x2
        Fmod fmod - ; x1,x2
        Moveaxis moveaxis source,destination ; x
        Nanargmax nanargmax axis,keepdims ; x
        Nanargmin nanargmin axis,keepdims ; x
        Nancumsum nancumsum axis,dtype ; x
        Nancumprod nancumprod axis,dtype ; x
        Nanmax nanmax axis,keepdims ; x
        Nanmean nanmean axis,keepdims ; x
        Nanmedian nanmedian axis,keepdims ; x
        Nanmin nanmin axis,keepdims ; x
        Nanpercentile nanpercentile axis,method,keepdims ; x,q
        Nanprod nanprod axis,keepdims ; x
        Nanquantile nanquantile axis,method,keepdims ; x,q
        Nanstd nanstd axis,keepdims ; x
        Nansum nansum axis,keepdims ; x
        Nanvar nanvar axis,keepdims ; x
        NanToNum nan_to_num nan,posinf,neginf ; x
        Ndim ndim - ; x
        Nonzero nonzero - ; x
        NotEqual not_equal - ; x1,x2
        OnesLike ones_like dtype ; x
        ZerosLike zeros_like dtype ; x
        Outer outer - ; x1,x2
        Pad pad pad_width,mode ; x ; constant_values
        Percentile percentile axis,method,keepdims ; x,q
        Prod prod axis,keepdims,dtype ; x
        Ptp ptp axis,keepdims ; x
        Quantile quantile axis,method,keepdims ; x,q
        Ravel ravel - ; x
        UnravelIndex unravel_index shape ; indices
        Real real - ; x
        Reciprocal reciprocal - ; x
        Repeat repeat repeats,axis ; x
        Reshape reshape newshape ; x
        Roll roll shift,axis ; x
        Round round decimals ; x
        SearchSorted searchsorted side ; sorted_sequence,values
        Sign sign - ; x
        Signbit signbit - ; x
        Sin sin - ; x
        Sinc sinc - ; x
        Sinh sinh - ; x
        Size size - ; x
        Sort sort axis ; x
        Split split indices_or_sections,axis ; x
        Stack stack axis ; x
        Std std axis,keepdims ; x
        Swapaxes swapaxes axis1,axis2 ; x
        Take take axis ; x,indices
        TakeAlongAxis take_along_axis axis ; x,indices
        Tan tan - ; x
        Tanh tanh - ; x
        Tensordot tensordot axes ; x1,x2
        Tile tile repeats ; x
        Trace trace offset,axis1,axis2 ; x
        Tril tril k ; x
        Triu triu k ; x
        Trunc trunc - ; x
        Vdot vdot - ; x1,x2
        Inner inner - ; x1,x2
        Vstack vstack - ; xs
        Vsplit vsplit indices_or_sections ; x
        Where where - ; condition,x1,x2
        Subtract subtract - ; x1,x2
        Multiply multiply - ; x1,x2
        Divide divide - ; x1,x2
        DivideNoNan divide_no_nan - ; x1,x2
        TrueDivide true_divide - ; x1,x2
        Power power - ; x1,x2
        Negative negative - ; x
        Nextafter nextafter - ; x1,x2
        Square square - ; x
        Sqrt sqrt - ; x
        Squeeze squeeze axis ; x
        Transpose transpose axes ; x
        Trapezoid trapezoid x,dx,axis ; y
        Mean mean axis,keepdims ; x
        Vander vander N,increasing ; x
        Var var axis,keepdims ; x
        Sum sum axis,keepdims ; x
        FloorDivide floor_divide - ; x1,x2
        LogicalXor logical_xor - ; x1,x2
        Corrcoef corrcoef - ; x
        Correlate correlate mode ; x1,x2
        Select select - ; condlist,choicelist,default
        Slogdet slogdet - ; x
        Argpartition argpartition kth,axis ; x
        Histogram histogram bins,range ; x
        ArraySplit array_split indices_or_sections,axis ; x
        Unique unique sorted,return_index,return_inverse,return_counts,axis,size,fill_value ; x
        Dsplit dsplit indices_or_sections ; x
    """,
    NN: """
        Relu relu - ; x
        Relu6 relu6 - ; x
        Sigmoid sigmoid - ; x
        SparseSigmoid sparse_sigmoid - ; x
        Softplus softplus - ; x
        Softsign softsign - ; x
        SoftShrink soft_shrink threshold ; x
        SparsePlus sparse_plus - ; x
        Silu silu - ; x
        Squareplus squareplus b ; x
        LogSigmoid log_sigmoid - ; x
        LeakyRelu leaky_relu negative_slope ; x
        HardSigmoid hard_sigmoid - ; x
        HardSilu hard_silu - ; x
        Elu elu alpha ; x
        Selu selu - ; x
        Gelu gelu approximate ; x
        Celu celu alpha ; x
        Glu glu axis ; x
        TanhShrink tanh_shrink - ; x
        HardTanh hard_tanh - ; x
        HardShrink hard_shrink threshold ; x
        Threshold threshold threshold,default_value ; x
        Softmax softmax axis ; x
        LogSoftmax log_softmax axis ; x
        Sparsemax sparsemax axis ; x
        MaxPool max_pool pool_size,strides,padding,data_format ; inputs
        AdaptiveMaxPool adaptive_max_pool output_size,data_format ; inputs
        AveragePool average_pool pool_size,strides,padding,data_format ; inputs
        AdaptiveAveragePool adaptive_average_pool output_size,data_format ; inputs
        Conv conv strides,padding,data_format,dilation_rate ; inputs,kernel
        DepthwiseConv depthwise_conv strides,padding,data_format,dilation_rate ; inputs,kernel
        SeparableConv separable_conv strides,padding,data_format,dilation_rate ; inputs,
            depthwise_kernel,pointwise_kernel
        ConvTranspose conv_transpose strides,padding,output_padding,data_format,
            dilation_rate ; inputs,kernel
        OneHot one_hot num_classes,axis,dtype,sparse ; x
        BinaryCrossentropy binary_crossentropy from_logits ; target,output
        CategoricalCrossentropy categorical_crossentropy from_logits,axis ; target,output
        SparseCategoricalCrossentropy sparse_categorical_crossentropy from_logits,axis ; target,
            output
        MultiHot multi_hot num_classes,axis,dtype,sparse ; inputs
        Moments moments axes,keepdims,synchronized ; x
        BatchNorm batch_normalization axis,epsilon ; x,mean,variance,offset,scale
        CTCLoss ctc_loss mask_index ; target,output,target_length,output_length
        CTCDecode ctc_decode strategy,beam_width,top_paths,merge_repeated,mask_index ; inputs,
            sequence_lengths
        Normalize normalize axis,order,epsilon ; x
        PSNR psnr max_val ; x1,x2
        DotProductAttention dot_product_attention is_causal,flash_attention,
            attn_logits_soft_cap ; query,key,value ; bias,mask,scale
        RMSNorm rms_normalization axis,epsilon ; x ; scale
        LayerNorm layer_normalization axis,epsilon,rms_scaling ; x,gamma,beta
        Polar polar - ; abs_,angle
        Unfold unfold kernel_size,dilation,padding,stride ; x
        Fold fold output_size,kernel_size,dilation,padding,stride ; x
        DepthToSpace depth_to_space block_size,data_format ; x
        SpaceToDepth space_to_depth block_size,data_format ; x
    """,
    MATH: """
        SegmentSum segment_sum num_segments,sorted ; data,segment_ids
        SegmentMax segment_max num_segments,sorted ; data,segment_ids
        SegmentMin segment_min num_segments,sorted ; data,segment_ids
        SegmentProd segment_prod num_segments,sorted ; data,segment_ids
        TopK top_k k,sorted ; x
        InTopK in_top_k k ; targets,predictions
        Logsumexp logsumexp axis,keepdims ; x
        CDist cdist - ; x,y
        ExtractSequences extract_sequences sequence_length,sequence_stride ; x
        FFT fft - ; x
        FFT2 fft2 - ; x
        IFFT2 ifft2 - ; x
        RFFT rfft fft_length ; x
        IRFFT irfft fft_length ; x
        STFT stft sequence_length,sequence_stride,fft_length,window,center ; x
        ISTFT istft sequence_length,sequence_stride,fft_length,length,window,center ; x
        Rsqrt rsqrt - ; x
        Erf erf - ; x
        Erfc erfc - ; x
        Erfinv erfinv - ; x
        Logdet logdet - ; x
        ViewAsComplex view_as_complex - ; x
        ViewAsReal view_as_real - ; x
    """,
    LINALG: """
        Cholesky cholesky upper ; x
        CholeskyInverse cholesky_inverse upper ; x
        Det det - ; x
        Eig eig - ; x
        Eigh eigh - ; x
        Inv inv - ; x
        LuFactor lu_factor - ; x
        Norm norm ord,axis,keepdims ; x
        Qr qr mode ; x
        Solve solve - ; a,b
        SolveTriangular solve_triangular lower ; a,b
        SVD svd full_matrices,compute_uv ; x
        Lstsq lstsq rcond ; a,b
        MatrixRank matrix_rank tol ; x
        Pinv pinv rcond ; x
    """,
    IMAGE: """
        RGBToGrayscale rgb_to_grayscale data_format ; images
        RGBToHSV rgb_to_hsv data_format ; images
        HSVToRGB hsv_to_rgb data_format ; images
        Resize resize size,interpolation,antialias,crop_to_aspect_ratio,pad_to_aspect_ratio,
            fill_mode,fill_value,data_format ; images
        AffineTransform affine_transform interpolation,fill_mode,fill_value,data_format ; images,
            transform
        ExtractPatches extract_patches size,strides,dilation_rate,padding,data_format ; images
        MapCoordinates map_coordinates order,fill_mode,fill_value ; inputs,coordinates
        PadImages pad_images top_padding,left_padding,bottom_padding,right_padding,target_height,
            target_width,data_format ; images
        CropImages crop_images top_cropping,left_cropping,bottom_cropping,right_cropping,
            target_height,target_width,data_format ; images
        PerspectiveTransform perspective_transform interpolation,fill_value,data_format ; images,
            start_points,end_points
        GaussianBlur gaussian_blur kernel_size,sigma,data_format ; images
        ElasticTransform elastic_transform alpha,sigma,interpolation,fill_mode,fill_value,seed,
            data_format ; images
        ScaleAndTranslate scale_and_translate spatial_dims,method,antialias ; images,output_shape,
            scale,translation
        SobelEdges sobel_edges data_format ; images
        SSIM ssim max_val,filter_size,filter_sigma,k1,k2,data_format ; image1,image2
    """,
    CORE: """
        Scatter scatter shape ; indices,values
        ScatterUpdate scatter_update reduction ; inputs,indices,updates
        Slice slice shape ; inputs,start_indices
        SliceUpdate slice_update - ; inputs,start_indices,updates
        StopGradient stop_gradient - ; variable
        Unstack unstack num,axis ; x
        Cast cast dtype ; x
        SaturateCast saturate_cast dtype ; x
        ConvertToTensor convert_to_tensor dtype,sparse,ragged ; x
    """,
    EINOPS: """
        Rearrange rearrange - ; tensor,pattern ; **axes_lengths
    """,
    ACTIVATIONS: """
        ReLU relu negative_slope,max_value,threshold ; x
        Mish mish - ; x
    """,
}

#: Keras class names that load as another op (no Keras function makes them).
_LOAD_ALIASES = {(NUMPY, "Abs"): "Absolute", (NUMPY, "Conj"): "Conjugate"}

#: brickwork functions saved under a Keras op of another name (same meaning).
_SAVE_ALIASES = {"getitem": (NUMPY, "GetItem"), "abs": (NUMPY, "Absolute"),
                 "conj": (NUMPY, "Conjugate"), "swish": (NN, "Silu"),
                 "hard_swish": (NN, "HardSilu")}

#: ``ops.activation_by_name(x, name)``: the Keras op each kernel activation
#: is, with its constructor arguments.
_ACTIVATION_OPS = {
    "relu": (NN, "Relu", {}), "relu6": (NN, "Relu6", {}), "sigmoid": (NN, "Sigmoid", {}),
    "tanh": (NUMPY, "Tanh", {}), "elu": (NN, "Elu", {"alpha": 1.0}), "selu": (NN, "Selu", {}),
    "softplus": (NN, "Softplus", {}), "softsign": (NN, "Softsign", {}), "silu": (NN, "Silu", {}),
    "exponential": (NUMPY, "Exp", {}), "hard_sigmoid": (NN, "HardSigmoid", {}),
    "hard_silu": (NN, "HardSilu", {}), "softmax": (NN, "Softmax", {"axis": -1}),
    "log_softmax": (NN, "LogSoftmax", {"axis": -1}), "celu": (NN, "Celu", {"alpha": 1.0}),
    "hard_tanh": (NN, "HardTanh", {}), "log_sigmoid": (NN, "LogSigmoid", {}),
    "gelu": (NN, "Gelu", {"approximate": False}),
    "gelu_approximate": (NN, "Gelu", {"approximate": True}),
    "mish": (ACTIVATIONS, "Mish", {}), "linear": (NUMPY, "Copy", {}),
}


@dataclass(frozen=True)
class OperationSpec:
    """One Keras operation class and the brickwork function behind it.

    ``init`` names the constructor arguments (the node's ``config``),
    ``positional`` and ``keywords`` the call arguments (the node's ``args``
    and ``kwargs``), each in Keras's order.
    """
    module: str
    class_name: str
    function: object
    init: tuple
    positional: tuple
    keywords: tuple

    @property
    def default_name(self):
        """The op's automatic name, as Keras makes it from the class name."""
        return to_snake_case(self.class_name)

    def call(self, init, args, kwargs):
        """Run the function on a node's arguments and the op's config."""
        if self.positional == ("*args",):  # a brickwork-only op: the node holds every argument
            return self.function(*args, **{**init, **kwargs})
        named = dict(init)
        varargs = ()
        names = list(self.positional)
        if len(args) > len(names) and not any(n.startswith("*") for n in names):
            raise TypeError(f"Operation {self.class_name!r} ({self.module}) takes "
                            f"{len(names)} positional argument(s) {names}, got {len(args)}.")
        for index, name in enumerate(names):
            if name.startswith("*"):
                varargs = tuple(args[index:])
                break
            if index < len(args):
                named[name] = args[index]
        named.update(kwargs)
        if self.class_name == "GetItem" and isinstance(named.get("key"), list):
            named["key"] = tuple(named["key"])  # a tuple key is saved as a JSON list
        if not varargs:
            return self.function(**named)
        leading = []
        for parameter in inspect.signature(self.function).parameters.values():
            if parameter.kind is parameter.VAR_POSITIONAL:
                break
            if parameter.name in named:
                leading.append(named.pop(parameter.name))
        return self.function(*leading, *varargs, **named)

    def split(self, args, kwargs):
        """``(config, args, kwargs)`` in Keras's node form for a call of the
        function with ``args`` and ``kwargs``; None when the call uses a
        brickwork-only argument Keras's op has no place for."""
        signature = inspect.signature(self.function)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = bound.arguments
        placed = set(self.init) | {n.lstrip("*") for n in self.positional + self.keywords}
        for name, parameter in signature.parameters.items():
            if name in placed:
                continue
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                if values.get(name):
                    return None
            elif not _is_default(values.get(name), parameter.default):
                return None
        # An argument the function takes through **kwargs (LayerNorm's
        # deprecated rms_scaling) is False unless given.
        extra = next((values.get(p.name, {}) for p in signature.parameters.values()
                      if p.kind is p.VAR_KEYWORD), {})
        config = {name: self._canonical(name, values[name] if name in values
                                        else extra.get(name, False)) for name in self.init}
        node_args = []
        for name in self.positional:
            if name.startswith("*"):
                node_args.extend(values[name[1:]])
            else:
                node_args.append(values[name])
        node_kwargs = {}
        for name in self.keywords:
            if name.startswith("**"):
                node_kwargs.update(values[name[2:]])
            else:
                node_kwargs[name] = values[name]
        return config, node_args, node_kwargs

    def _canonical(self, name, value):
        """Constructor arguments as Keras's op functions pass them on."""
        if name == "dtype":
            if value is None and self.class_name in ("OneHot", "MultiHot"):
                from brickwork.config import floatx
                return floatx()
            return None if value is None else standardize_dtype(value)
        if self.module == NN and name == "data_format":
            from brickwork.ops.convolution import standardize_data_format
            return standardize_data_format(value)
        if self.module == NN and name == "padding" and isinstance(value, str):
            return value.lower()
        if self.class_name == "Reshape" and isinstance(value, int):
            return (value,)
        return value


def _is_default(value, default):
    if value is default:
        return True
    plain = (bool, int, float, str, type(None))
    return isinstance(value, plain) and isinstance(default, plain) and value == default


_NAMESPACES = {NUMPY: (ops,), NN: (ops_nn, ops), MATH: (ops,), LINALG: (ops_linalg, ops),
               IMAGE: (ops_image, ops), CORE: (ops,), EINOPS: (ops,), ACTIVATIONS: (activations,)}

_BY_CLASS: dict = {}      # (module, class name) -> OperationSpec
_BY_FUNCTION: dict = {}   # id(function) -> OperationSpec it is saved as


def _unwrap(function):
    return inspect.unwrap(function)


def _find(module, function_name):
    for namespace in _NAMESPACES[module]:
        function = getattr(namespace, function_name, None)
        if function is not None:
            return _unwrap(function)
    return None


def _names(text):
    text = text.strip()
    return () if text in ("", "-") else tuple(n.strip() for n in text.split(","))


def _lines(table):
    pending = ""
    for line in table.strip().splitlines():
        pending += line.strip()
        if not pending.endswith(","):
            yield pending
            pending = ""


def _build():
    for module, table in _TABLES.items():
        for line in _lines(table):
            head, *rest = line.split(";")
            class_name, function_name, init = head.split()
            function = _find(module, function_name)
            if function is None:  # not in brickwork: a file using it names it on load
                continue
            spec = OperationSpec(module, class_name, function, _names(init),
                                 _names(rest[0]) if rest else (),
                                 _names(rest[1]) if len(rest) > 1 else ())
            _BY_CLASS[(module, class_name)] = spec
            _BY_FUNCTION.setdefault(id(function), spec)
    for (module, alias), target in _LOAD_ALIASES.items():
        _BY_CLASS[(module, alias)] = _BY_CLASS[(module, target)]
    for function_name, key in _SAVE_ALIASES.items():
        function = _find(NUMPY, function_name) or _find(NN, function_name)
        target = _BY_CLASS[key]
        _BY_FUNCTION.setdefault(id(function), OperationSpec(
            target.module, target.class_name, function, target.init, target.positional,
            target.keywords))


_build()


def is_operation_module(module) -> bool:
    """Whether a config's ``module`` is one that holds operations."""
    return isinstance(module, str) and (
        module.startswith("keras.src.ops.") or module == ACTIVATIONS or module == BRICKWORK_OPS)


def spec_for_class(module, class_name):
    """The spec of a saved op node, or None."""
    spec = _BY_CLASS.get((module, class_name))
    if spec is None and module == BRICKWORK_OPS:
        function = getattr(ops, class_name, None) if not class_name.startswith("_") else None
        if function is not None and getattr(function, "_symbolic_wrapped", False):
            # A brickwork-only op: every argument is in the node, none in config.
            spec = OperationSpec(BRICKWORK_OPS, class_name, _unwrap(function), (), ("*args",),
                                 ("**kwargs",))
    return spec


def known_classes(module):
    """Class names registered for ``module`` (for error messages)."""
    return sorted(name for m, name in _BY_CLASS if m == module)


def save_form(function, args, kwargs):
    """``(spec, config, args, kwargs)``: how a call of ``function`` is saved.

    Keras's own op when there is one; else a brickwork-only node (module
    ``brickwork.ops``, every argument in the node) that brickwork loads back.
    """
    function = _unwrap(function)
    if function is _unwrap(ops.activation_by_name):
        bound = inspect.signature(function).bind(*args, **kwargs).arguments
        found = _ACTIVATION_OPS.get(bound.get("name"))
        if found is not None:
            module, class_name, config = found
            spec = _BY_CLASS[(module, class_name)]
            return spec, dict(config), [bound["x"]], {}
    spec = _BY_FUNCTION.get(id(function))
    if spec is not None:
        split = spec.split(args, kwargs)
        if split is not None:
            return (spec, *split)
    name = getattr(function, "__name__", "")
    if getattr(getattr(ops, name, None), "_symbolic_wrapped", False):
        generic = spec_for_class(BRICKWORK_OPS, name)
        return generic, {}, list(args), dict(kwargs)
    raise ValueError(
        f"Cannot save the operation {name!r} applied to symbolic tensors: it is neither a "
        f"Keras operation nor a `brickwork.ops` function. Wrap it in a Layer subclass "
        f"(registered with `@brickwork.saving.register_keras_serializable()`).")
