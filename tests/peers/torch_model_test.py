#!/usr/bin/python3
"""Tests bench/peers/torch_model.py: the networks it builds from gradstream specs have,
after each spec layer, the sample shapes gradstream infers (computed by hand below,
with the formulas of engine/layers/window_geometry.hpp), its padding emulations
compute what PyTorch's own layers do where those can, and what it cannot build is
rejected naming the layer. Needs torch: without it (CI installs torch only for the
benchmarks) it says so and passes."""
import json
import os
import sys
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "bench", "peers"))
try:
    import torch
except ImportError as e:
    print("torch_model_test: skipped, torch is not importable by %s (%s)" % (sys.executable, e))
    sys.exit(0)
import torch.nn as nn  # noqa: E402

import torch_model  # noqa: E402

BATCH = 3


def shapes_per_layer(built):
    """Runs a random batch through the model, one module at a time, and returns the
    sample shape after each spec layer."""
    x = torch.rand(BATCH, *built.input_shape)
    shapes, done = [], 0
    built.model.eval()
    for end in built.layer_ends:
        for module in built.model[done:end]:
            x = module(x)
        done = end
        assert x.shape[0] == BATCH
        shapes.append(tuple(x.shape[1:]))
    return shapes


def conv(filters, kernel, **fields):
    return {"conv2d": dict(filters=filters, kernel=kernel, **fields)}


class ExampleCnnTest(unittest.TestCase):
    def setUp(self):
        with open(os.path.join(ROOT, "examples", "fashion-mnist-cnn.json")) as f:
            self.built = torch_model.build(json.load(f)["model"])

    def test_shapes(self):
        expected = [(32, 28, 28),  # conv 3x3 pad 1
                    (32, 14, 14),  # max pool 2
                    (64, 14, 14),  # conv 3x3 pad 1
                    (64, 7, 7),    # max pool 2
                    (3136,),       # flatten: 64 * 7 * 7
                    (128,), (10,)]
        self.assertEqual(self.built.layer_shapes, expected)
        self.assertEqual(shapes_per_layer(self.built), expected)
        self.assertEqual(self.built.output_shape, (10,))

    def test_modules(self):
        convs = [m for m in self.built.model if isinstance(m, nn.Conv2d)]
        self.assertEqual([(c.in_channels, c.out_channels, c.kernel_size, c.padding)
                          for c in convs], [(1, 32, (3, 3), (1, 1)), (32, 64, (3, 3), (1, 1))])
        self.assertEqual(sum(isinstance(m, nn.ReLU) for m in self.built.model), 3)
        # Weight decay: the four weight tensors, no bias.
        self.assertEqual([tuple(p.shape) for p in self.built.decayed],
                         [(32, 1, 3, 3), (64, 32, 3, 3), (128, 3136), (10, 128)])

    def test_channels_last_computes_the_same(self):
        x = torch.rand(BATCH, 1, 28, 28)
        model = self.built.model.eval()
        expected = model(x)
        model = model.to(memory_format=torch.channels_last)
        got = model(x.contiguous(memory_format=torch.channels_last))
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)


class VariantCnnTest(unittest.TestCase):
    """[H, W] input, SAME with an odd total padding, batch norm, dilation, groups,
    average pooling with and without the padding counted, padding PyTorch's pools
    cannot take, global average pooling, and a softmax the loss takes over."""

    MODEL = {
        "inputShape": [28, 28],
        "layers": [
            # [1, 28, 28] -> ceil(28 / 2) = 14; total padding 13 * 2 + 3 - 28 = 1: (0, 1)
            conv(8, [3], stride=[2], paddingMode="SAME", activation={"name": "relu"}),
            {"batchNorm": {"momentum": 0.2, "epsilon": 1e-3}},
            # extent 5 x 9: (14 + 4 - 5) + 1 = 14, (14 + 8 - 9) + 1 = 14
            conv(16, [3, 5], dilation=[2], groups=4, padding=[2, 4], noBias=True),
            # (14 + 2 - 3) // 2 + 1 = 7
            {"avgPool2d": {"kernel": [3], "stride": [2], "padding": [1]}},
            # stride 2 (the kernel): ceil(7 / 2) = 4; total padding 3 * 2 + 2 - 7 = 1: (0, 1)
            {"maxPool2d": {"kernel": [2], "paddingMode": "SAME"}},
            # padding 2 > kernel / 2: 4 + 4 - 3 + 1 = 6
            {"avgPool2d": {"kernel": [3], "stride": [1], "padding": [2], "countIncludePad": True}},
            {"activation": {"name": "selu"}},
            {"globalAvgPool": {}},
            {"batchNorm": {"noScale": True}},
            {"dropout": {"rate": 0.1}},
            {"dense": {"units": 10, "activation": {"name": "softmax"}}},
        ],
    }
    SHAPES = [(8, 14, 14), (8, 14, 14), (16, 14, 14), (16, 7, 7), (16, 4, 4), (16, 6, 6),
              (16, 6, 6), (16,), (16,), (16,), (10,)]

    def setUp(self):
        self.built = torch_model.build(self.MODEL)
        self.modules = list(self.built.model)

    def of_type(self, kind):
        return [m for m in self.modules if type(m) is kind]

    def test_shapes(self):
        self.assertEqual(self.built.layer_shapes, self.SHAPES)
        self.assertEqual(shapes_per_layer(self.built), self.SHAPES)

    def test_same_padding_odd_total_pads_the_end(self):
        self.assertEqual(self.of_type(nn.ZeroPad2d)[0].padding, (0, 1, 0, 1))
        first = self.of_type(nn.Conv2d)[0]
        self.assertEqual((first.stride, first.padding), ((2, 2), (0, 0)))
        self.assertEqual(self.of_type(nn.ConstantPad2d)[0].padding, (0, 1, 0, 1))
        self.assertEqual(self.of_type(nn.ConstantPad2d)[0].value, float("-inf"))

    def test_dilated_grouped_conv(self):
        second = self.of_type(nn.Conv2d)[1]
        self.assertEqual((second.dilation, second.groups, second.padding, second.bias),
                         ((2, 2), 4, (2, 4), None))
        self.assertEqual(tuple(second.weight.shape), (16, 2, 3, 5))

    def test_batch_norms(self):
        image, flat = self.of_type(nn.BatchNorm2d)[0], self.of_type(nn.BatchNorm1d)[0]
        self.assertEqual((image.momentum, image.eps, image.affine), (0.2, 1e-3, True))
        # No scale: the weight stays at 1, the shift is learned.
        self.assertFalse(flat.weight.requires_grad)
        self.assertTrue(flat.bias.requires_grad)
        self.assertTrue(torch.equal(flat.weight, torch.ones(16)))

    def test_softmax_before_the_loss_is_dropped(self):
        self.assertIsInstance(self.modules[-1], nn.Linear)
        kept = torch_model.build(self.MODEL, loss="MSE").model
        self.assertIsInstance(kept[-1], nn.Softmax)

    def test_only_weights_decay(self):
        self.assertEqual([tuple(p.shape) for p in self.built.decayed],
                         [(8, 1, 3, 3), (16, 2, 3, 5), (10, 16)])


class PaddingEmulationTest(unittest.TestCase):
    """Where PyTorch's layers can take the padding, the emulations agree with them."""

    def pool(self, average, padding, include=False):
        fields = {"kernel": [3], "stride": [2], "padding": [padding],
                  **({"countIncludePad": True} if include else {})}
        spec = {"inputShape": [2, 9, 9],
                "layers": [{"avgPool2d" if average else "maxPool2d": fields}, {"flatten": {}}]}
        return torch_model.build(spec).model

    def test_padded_average_matches_avg_pool2d(self):
        x = torch.randn(BATCH, 2, 9, 9)
        for include in (False, True):
            win = torch_model.Window((3, 3), (2, 2), (1, 1), (1, 1), (1, 1), (5, 5))
            emulated = torch_model.PaddedAvgPool2d(win, 9, 9, include)
            native = nn.AvgPool2d(3, 2, 1, count_include_pad=include)
            torch.testing.assert_close(emulated(x), native(x))

    def test_wide_padding_excludes_the_padding_from_the_average(self):
        x = torch.ones(1, 2, 9, 9)
        out = self.pool(True, 2)(x)  # 2 > 3 // 2: emulated; every average is 1
        torch.testing.assert_close(out, torch.ones_like(out))
        counted = self.pool(True, 2, include=True)(x).view(2, 6, 6)  # (9 + 4 - 3) // 2 + 1
        self.assertAlmostEqual(counted[0, 0, 0].item(), 1 / 9)  # one value of 9 inside

    def test_wide_max_padding_never_wins(self):
        out = self.pool(False, 2)(-torch.ones(1, 2, 9, 9))
        torch.testing.assert_close(out, -torch.ones_like(out))

    def test_same_stride_one_matches_pytorch_same(self):
        # Extents 2 and 4 pad one more at the end, 7 pads 3 on each side.
        for kernel, dilation in ((2, 1), (4, 1), (4, 2)):
            spec = {"inputShape": [3, 10, 10],
                    "layers": [conv(4, [kernel], paddingMode="SAME", dilation=[dilation]),
                               {"flatten": {}}]}
            built = torch_model.build(spec).model
            ours = [m for m in built if isinstance(m, nn.Conv2d)][0]
            theirs = nn.Conv2d(3, 4, kernel, padding="same", dilation=dilation)
            theirs.load_state_dict(ours.state_dict())
            x = torch.randn(BATCH, 3, 10, 10)
            torch.testing.assert_close(built(x), theirs(x).flatten(1))


class RejectionTest(unittest.TestCase):
    def rejects(self, layers, message, input_shape=(784,)):
        with self.assertRaises(torch_model.SpecError) as caught:
            torch_model.build({"inputShape": list(input_shape), "layers": layers})
        self.assertIn(message, str(caught.exception))

    def test_unsupported_kind_names_the_layer(self):
        self.rejects([{"dense": {"units": 32}}, {"activation": {"name": "relu"}},
                      {"lstm": {"units": 8}}, {"dense": {"units": 10}}],
                     "model.layers[2]: unsupported layer kind lstm")

    def test_unknown_activation_names_the_field(self):
        self.rejects([{"dense": {"units": 10, "activation": {"name": "sine"}}}],
                     "model.layers[0].dense.activation: unsupported activation 'sine'")

    def test_pool_needs_an_image(self):
        self.rejects([{"maxPool2d": {"kernel": [2]}}, {"dense": {"units": 10}}],
                     "model.layers[0].max_pool2d: needs samples of shape [C, H, W], got [784]")

    def test_kernel_larger_than_the_input(self):
        self.rejects([{"reshape": {"shape": [1, 28, 28]}}, conv(4, [3]), conv(4, [29]),
                      {"flatten": {}}],
                     "model.layers[2].conv2d.kernel: [29, 29] spans 29 x 29, larger than the input "
                     "[26, 26] padded by [0, 0]")

    def test_groups_must_divide(self):
        self.rejects([conv(6, [3], groups=4), {"flatten": {}}],
                     "model.layers[0].conv2d.groups: 4 must divide", input_shape=(8, 5, 5))

    def test_output_must_be_flat(self):
        self.rejects([conv(4, [3])], "the network's output has shape [4, 3, 3]",
                     input_shape=(1, 5, 5))


if __name__ == "__main__":
    unittest.main()
