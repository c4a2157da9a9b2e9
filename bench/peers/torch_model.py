"""The PyTorch network of a gradstream model spec (its JSON, protobuf's camelCase or
the proto's snake_case names): build() walks model.layers tracking one sample's shape
as gradstream's layer kinds infer it (engine/layers/*_kind.cpp, window_geometry.cpp)
and returns an nn.Sequential that computes the same function, or raises SpecError
naming the layer ("model.layers[3].conv2d.kernel: ...") for what it cannot express.

Shapes are per sample, channels first: [784], [28, 28], [1, 28, 28]; the model takes
a batch of them, (N, *input_shape). Per kind:
  dense          nn.Flatten (when the sample is not [n]) + nn.Linear -> [units]
  conv2d         [C, H, W] (or [H, W] as [1, H, W]) -> [F, H', W'], nn.Conv2d; padding
                 uneven on the two sides (SAME) is an nn.ZeroPad2d in front
  max/avg_pool2d [C, H, W] -> [C, H', W']; padding PyTorch's pools cannot take (uneven,
                 or more than half the kernel) is explicit: -inf for max, and for the
                 average a fixed divisor (PaddedAvgPool2d)
  global_avg_pool [C, H, W] -> [C]
  batch_norm     nn.BatchNorm1d for [C] or [C, L], 2d for [C, H, W], 3d for [C, D, H, W]
  flatten, reshape, dropout, activation
Window sizes, as gradstream's Window2D computes them:
  extent = (kernel - 1) * dilation + 1
  out    = (in + pad_begin + pad_end - extent) // stride + 1
  SAME:  out = ceil(in / stride), total padding max((out - 1) * stride + extent - in, 0),
         pad_begin = total // 2, pad_end = the rest (the odd pixel at the end)
"""
import collections
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

SOFTMAX_LOSSES = ("", "LOSS_UNSPECIFIED", "SOFTMAX_CROSS_ENTROPY")

# model: the nn.Sequential; input_shape / output_shape: one sample's; layer_shapes[i]:
# the sample shape after model.layers[i]; layer_ends[i]: how many of model's modules
# compute model.layers[0..i]; decayed: the parameters weight decay applies to
# (gradstream's: dense and conv weights, not biases, batch norm or PReLU slopes).
BuiltModel = collections.namedtuple(
    "BuiltModel", "model input_shape output_shape layer_shapes layer_ends decayed")


class SpecError(ValueError):
    """A spec this peer cannot build; the message names the field."""


# ---------------------------------------------------------------- spec fields
def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def field(message, name, default=None):
    """message's field `name` (camelCase) under either JSON spelling."""
    if name in message:
        return message[name]
    return message.get(_snake(name), default)


def _pair(message, name, path, default, low=0):
    """A [v] or [vh, vw] field as (vh, vw); `default` when absent or empty."""
    values = field(message, name) or []
    if len(values) > 2:
        raise SpecError("%s.%s: must have 1 or 2 values ([both] or [height, width]), got %d"
                        % (path, _snake(name), len(values)))
    values = [int(v) for v in values]
    if any(v < low for v in values):
        raise SpecError("%s.%s: %s: each value must be at least %d"
                        % (path, _snake(name), values, low))
    if not values:
        return tuple(default)
    return (values[0], values[-1])


def _padding_mode(message, path):
    mode = field(message, "paddingMode", "PADDING_MODE_UNSPECIFIED")
    mode = {0: "PADDING_MODE_UNSPECIFIED", 1: "SAME", 2: "VALID"}.get(mode, mode)
    if mode not in ("PADDING_MODE_UNSPECIFIED", "SAME", "VALID"):
        raise SpecError("%s.padding_mode: unknown mode %r" % (path, mode))
    if mode != "PADDING_MODE_UNSPECIFIED" and field(message, "padding"):
        raise SpecError("%s.padding: given together with padding_mode %s; use one of them"
                        % (path, mode))
    return mode


Window = collections.namedtuple("Window", "kernel stride dilation pad_begin pad_end output")


def window(message, path, height, width, dilation=True, stride_defaults_to_kernel=False):
    """The Window of a conv2d or pool spec over an [H, W] image (window_geometry.cpp)."""
    if not field(message, "kernel"):
        raise SpecError("%s.kernel: must be set ([k] or [kh, kw])" % path)
    kernel = _pair(message, "kernel", path, (1, 1), low=1)
    stride = _pair(message, "stride", path, kernel if stride_defaults_to_kernel else (1, 1), low=1)
    dil = _pair(message, "dilation", path, (1, 1), low=1) if dilation else (1, 1)
    mode = _padding_mode(message, path)
    padding = _pair(message, "padding", path, (0, 0))
    size = (height, width)
    extent = [(kernel[a] - 1) * dil[a] + 1 for a in range(2)]
    begin, end, out = [0, 0], [0, 0], [0, 0]
    for a in range(2):
        if mode == "SAME":
            out[a] = -(-size[a] // stride[a])
            total = max((out[a] - 1) * stride[a] + extent[a] - size[a], 0)
            begin[a], end[a] = total // 2, total - total // 2
        else:
            begin[a] = end[a] = padding[a]
        if begin[a] >= extent[a] or end[a] >= extent[a]:
            raise SpecError("%s.padding: %s must be smaller than the window it pads, which "
                            "spans %d x %d" % (path, list(padding), extent[0], extent[1]))
        if extent[a] > size[a] + begin[a] + end[a]:
            raise SpecError("%s.kernel: %s spans %d x %d, larger than the input %s padded by %s"
                            % (path, list(kernel), extent[0], extent[1], list(size),
                               [begin[0] + end[0], begin[1] + end[1]]))
        if mode != "SAME":
            out[a] = (size[a] + begin[a] + end[a] - extent[a]) // stride[a] + 1
    return Window(kernel, stride, dil, tuple(begin), tuple(end), tuple(out))


def _even(win):
    return win.pad_begin == win.pad_end


def _pad_arg(win):
    """F.pad's (left, right, top, bottom) for the window's padding."""
    return (win.pad_begin[1], win.pad_end[1], win.pad_begin[0], win.pad_end[0])


# ---------------------------------------------------------------- modules
class Reshape(nn.Module):
    """Each sample seen as `shape` (row-major, as numpy.reshape)."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self):
        return "shape=%s" % (list(self.shape),)


class Swish(nn.Module):
    """x * sigmoid(beta * x): nn.SiLU has no beta."""

    def __init__(self, beta):
        super().__init__()
        self.beta = beta

    def forward(self, x):
        return x * torch.sigmoid(self.beta * x)

    def extra_repr(self):
        return "beta=%g" % self.beta


class PaddedAvgPool2d(nn.Module):
    """Average pooling with padding PyTorch's AvgPool2d cannot take (uneven sides, or
    more than half the kernel): zero padding, then the windows' sums divided by
    the whole window (count_include_pad) or by how many of its values lie inside
    the image, a [H', W'] divisor fixed by the geometry."""

    def __init__(self, win, height, width, count_include_pad):
        super().__init__()
        self.kernel, self.stride, self.pad = win.kernel, win.stride, _pad_arg(win)
        ones = F.pad(torch.ones(1, 1, height, width), self.pad)
        counts = F.avg_pool2d(ones, self.kernel, self.stride, divisor_override=1)[0, 0]
        divisor = torch.full_like(counts, float(win.kernel[0] * win.kernel[1]))
        self.register_buffer("divisor", divisor if count_include_pad else counts)

    def forward(self, x):
        sums = F.avg_pool2d(F.pad(x, self.pad), self.kernel, self.stride, divisor_override=1)
        return sums / self.divisor

    def extra_repr(self):
        return "kernel_size=%s, stride=%s, pad=%s" % (self.kernel, self.stride, self.pad)


# ---------------------------------------------------------------- activations
def activation(spec, shape):
    """The module for an ActivationSpec (or a bare name) on samples of `shape`; None
    for the identity. Softmax and log_softmax run over the channels (dim 1)."""
    if spec is None:
        return None
    if isinstance(spec, str):
        name, params = spec, {}
    else:
        name, params = spec.get("name", ""), spec
    name = name.lower().replace("-", "_")
    alpha = params.get("alpha", params.get("negativeSlope", params.get("negative_slope")))
    beta = params.get("beta")
    if name in ("", "none", "linear", "identity"):
        return None
    if name == "relu":
        return nn.ReLU()
    if name == "tanh":
        return nn.Tanh()
    if name == "sigmoid":
        return nn.Sigmoid()
    if name in ("leaky_relu", "leakyrelu"):
        return nn.LeakyReLU(0.01 if alpha is None else float(alpha))
    if name == "elu":
        return nn.ELU(1.0 if alpha is None else float(alpha))
    if name == "selu":
        return nn.SELU()
    if name in ("gelu", "gelu_erf", "gelu_tanh"):
        approx = params.get("approximate", "tanh" if name == "gelu_tanh" else "none")
        if approx is True or str(approx).lower() == "tanh":
            return nn.GELU(approximate="tanh")
        return nn.GELU()
    if name == "softplus":
        return nn.Softplus()
    if name in ("swish", "silu"):
        return nn.SiLU() if beta is None or float(beta) == 1.0 else Swish(float(beta))
    if name == "mish":
        return nn.Mish()
    if name == "hardswish":
        return nn.Hardswish()
    if name == "prelu":
        # One learned slope per channel (gradstream's prelu_slope_shape).
        return nn.PReLU(shape[0] if shape else 1, 0.25 if alpha is None else float(alpha))
    if name == "softmax":
        return nn.Softmax(dim=1)
    if name == "log_softmax":
        return nn.LogSoftmax(dim=1)
    raise SpecError("unsupported activation %r" % name)


# ---------------------------------------------------------------- layers
def _image(path, shape, one_channel=True):
    """The [C, H, W] an image layer reads: the sample, or [1, H, W] for an [H, W] one
    (conv2d only: pooling it would change the sample's rank)."""
    if len(shape) == 3:
        return tuple(shape)
    if len(shape) == 2 and one_channel:
        return (1,) + tuple(shape)
    raise SpecError("%s: needs samples of shape %s, got %s (a reshape layer can make one)"
                    % (path, "[C, H, W] or [H, W]" if one_channel else "[C, H, W]", list(shape)))


def _initial_values(module, message, path):
    """Copies initialWeights / initialBias, row-major as PyTorch lays them out."""
    for name, param in (("initialWeights", module.weight), ("initialBias", module.bias)):
        values = field(message, name) or []
        if not values:
            continue
        if param is None or len(values) != param.numel():
            raise SpecError("%s.%s: %d values, the layer has %s"
                            % (path, _snake(name), len(values),
                               "no bias" if param is None else "%d" % param.numel()))
        with torch.no_grad():
            param.copy_(torch.tensor(values, dtype=param.dtype).view_as(param))


class _Builder:
    """The modules and the sample shape so far."""

    def __init__(self, input_shape):
        self.modules, self.decayed, self.shape = [], [], tuple(input_shape)

    def add(self, module, shape=None):
        if module is not None:
            self.modules.append(module)
        if shape is not None:
            self.shape = tuple(shape)

    def add_activation(self, spec, path):
        """`spec` at `path` (the ActivationSpec's own path), if there is one."""
        try:
            self.add(activation(spec, self.shape))
        except SpecError as e:
            raise SpecError("%s: %s" % (path, e))

    def as_shape(self, shape):
        if tuple(shape) != self.shape:
            self.add(nn.Flatten() if len(shape) == 1 else Reshape(shape), shape)

    def dense(self, d, path):
        units = int(d.get("units", 0))
        if units < 1:
            raise SpecError("%s.units: must be at least 1, got %d" % (path, units))
        self.as_shape((math.prod(self.shape),))
        linear = nn.Linear(self.shape[0], units, bias=not field(d, "noBias", False))
        _initial_values(linear, d, path)
        self.decayed.append(linear.weight)
        self.add(linear, (units,))
        self.add_activation(d.get("activation"), path + ".activation")

    def conv2d(self, c, path):
        channels, height, width = _image(path, self.shape)
        filters = int(c.get("filters", 0))
        groups = int(c.get("groups") or 1)
        if filters < 1:
            raise SpecError("%s.filters: must be at least 1, got %d" % (path, filters))
        if channels % groups or filters % groups:
            raise SpecError("%s.groups: %d must divide both the input's %d channels and the %d "
                            "filters" % (path, groups, channels, filters))
        win = window(c, path, height, width)
        self.as_shape((channels, height, width))
        if not _even(win):
            self.add(nn.ZeroPad2d(_pad_arg(win)))
        conv = nn.Conv2d(channels, filters, win.kernel, win.stride,
                         win.pad_begin if _even(win) else 0, win.dilation, groups,
                         bias=not field(c, "noBias", False))
        _initial_values(conv, c, path)
        self.decayed.append(conv.weight)
        self.add(conv, (filters,) + win.output)
        self.add_activation(c.get("activation"), path + ".activation")

    def pool2d(self, p, path, average):
        channels, height, width = _image(path, self.shape, one_channel=False)
        include_pad = bool(field(p, "countIncludePad", False))
        if include_pad and not average:
            raise SpecError("%s.count_include_pad: only average pooling counts padding" % path)
        win = window(p, path, height, width, dilation=False, stride_defaults_to_kernel=True)
        # PyTorch's pools pad both sides alike, by at most half the kernel.
        native = _even(win) and all(win.pad_begin[a] <= win.kernel[a] // 2 for a in range(2))
        if average and native:
            pool = nn.AvgPool2d(win.kernel, win.stride, win.pad_begin,
                                count_include_pad=include_pad)
        elif average:
            pool = PaddedAvgPool2d(win, height, width, include_pad)
        elif native:
            pool = nn.MaxPool2d(win.kernel, win.stride, win.pad_begin)
        else:
            self.add(nn.ConstantPad2d(_pad_arg(win), -math.inf))
            pool = nn.MaxPool2d(win.kernel, win.stride)
        self.add(pool, (channels,) + win.output)

    def global_avg_pool(self, _, path):
        channels = _image(path, self.shape, one_channel=False)[0]
        self.add(nn.AdaptiveAvgPool2d(1))
        self.add(nn.Flatten(), (channels,))

    def batch_norm(self, b, path):
        kinds = {1: nn.BatchNorm1d, 2: nn.BatchNorm1d, 3: nn.BatchNorm2d, 4: nn.BatchNorm3d}
        if len(self.shape) not in kinds:
            raise SpecError("%s: PyTorch normalizes samples of 1 to 4 dimensions, got %s"
                            % (path, list(self.shape)))
        scale, shift = not field(b, "noScale", False), not field(b, "noShift", False)
        norm = kinds[len(self.shape)](self.shape[0], eps=float(b.get("epsilon", 1e-5)),
                                      momentum=float(b.get("momentum", 0.1)),
                                      affine=scale or shift)
        # One of the two learned: the other stays at its identity value (1 or 0).
        if not scale and shift:
            norm.weight.requires_grad_(False)
        if scale and not shift:
            norm.bias.requires_grad_(False)
        self.add(norm)

    def dropout(self, d, path):
        self.add(nn.Dropout(float(d.get("rate", 0.0))))

    def activation_layer(self, a, path):
        self.add_activation(a, path)

    def flatten(self, _, path):
        self.as_shape((math.prod(self.shape),))

    def reshape(self, r, path):
        shape = tuple(int(d) for d in r.get("shape") or [])
        if not shape or math.prod(shape) != math.prod(self.shape) or min(shape) < 1:
            raise SpecError("%s.shape: %s does not hold the input %s's %d values"
                            % (path, list(shape), list(self.shape), math.prod(self.shape)))
        self.as_shape(shape)


# Layer kinds by their JSON key (camelCase; snake_case is looked up through _snake).
KINDS = {
    "dense": _Builder.dense,
    "activation": _Builder.activation_layer,
    "dropout": _Builder.dropout,
    "flatten": _Builder.flatten,
    "reshape": _Builder.reshape,
    "conv2d": _Builder.conv2d,
    "maxPool2d": lambda b, m, path: b.pool2d(m, path, average=False),
    "avgPool2d": lambda b, m, path: b.pool2d(m, path, average=True),
    "globalAvgPool": _Builder.global_avg_pool,
    "batchNorm": _Builder.batch_norm,
}
_KIND_BY_KEY = dict(KINDS, **{_snake(k): f for k, f in KINDS.items()})


def build(model_spec, loss="SOFTMAX_CROSS_ENTROPY"):
    """The BuiltModel of a spec's "model" object. With a softmax cross-entropy loss a
    final softmax or log_softmax is dropped, as gradstream does: the loss has it."""
    input_shape = tuple(int(d) for d in field(model_spec, "inputShape") or [])
    if not input_shape or min(input_shape) < 1:
        raise SpecError("model.input_shape: %s must be one or more positive dimensions"
                        % list(input_shape))
    builder = _Builder(input_shape)
    layer_shapes, layer_ends, ends_in_softmax = [], [], False
    for i, layer in enumerate(model_spec.get("layers") or []):
        path = "model.layers[%d]" % i
        kinds = [k for k in layer if k != "name"]
        if not kinds:
            raise SpecError("%s: layer kind must be set" % path)
        if len(kinds) > 1 or kinds[0] not in _KIND_BY_KEY:
            raise SpecError("%s: unsupported layer kind %s (this peer builds: %s)"
                            % (path, ", ".join(kinds), ", ".join(_snake(k) for k in KINDS)))
        before = len(builder.modules)
        _KIND_BY_KEY[kinds[0]](builder, layer[kinds[0]] or {}, "%s.%s" % (path, _snake(kinds[0])))
        # Every gradstream layer is a node, even one that is a no-op here (an identity
        # activation, a flatten of a flat sample): only a softmax at the very end is dropped.
        ends_in_softmax = (len(builder.modules) > before
                           and isinstance(builder.modules[-1], (nn.Softmax, nn.LogSoftmax)))
        layer_shapes.append(builder.shape)
        layer_ends.append(len(builder.modules))
    if not layer_shapes:
        raise SpecError("model.layers: must have at least one layer")
    if len(builder.shape) != 1:
        raise SpecError("model.layers: the network's output has shape %s; the loss needs one "
                        "dimension, [units]" % list(builder.shape))
    modules = builder.modules
    if str(loss).upper() in SOFTMAX_LOSSES and ends_in_softmax:
        modules = modules[:-1]
        layer_ends[-1] -= 1
    return BuiltModel(nn.Sequential(*modules), input_shape, builder.shape, layer_shapes,
                      layer_ends, builder.decayed)


def has_images(built):
    """Whether any stage of the model holds [C, H, W] samples (memory formats matter)."""
    return len(built.input_shape) == 3 or any(len(s) == 3 for s in built.layer_shapes)
