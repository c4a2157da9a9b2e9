// make_window: field checks and output sizes for 2-D windows.
#include "engine/layers/window_geometry.hpp"

#include "engine/base/field_checks.hpp"

namespace gradstream::engine {

namespace {

std::string pair_text(int64_t a, int64_t b) {
  return "[" + std::to_string(a) + ", " + std::to_string(b) + "]";
}

// One or two values, each in [lo, kMaxWindow]; `fallback` when none are given.
Result<std::array<int64_t, 2>> read_pair(const std::string& path,
                                         const google::protobuf::RepeatedField<uint32_t>& values,
                                         uint32_t lo, std::array<int64_t, 2> fallback) {
  if (values.size() > 2) {
    return invalid_argument(path + ": must have 1 or 2 values ([both] or [height, width]), got " +
                            std::to_string(values.size()));
  }
  for (int i = 0; i < values.size(); ++i) {
    if (Status s = check_count(path + "[" + std::to_string(i) + "]", values[i], lo, kMaxWindow);
        !s.ok()) {
      return s;
    }
  }
  if (values.empty()) return fallback;
  return std::array<int64_t, 2>{values[0], values.size() == 2 ? values[1] : values[0]};
}

}  // namespace

Result<Window2D> make_window(const WindowFields& f, int64_t h, int64_t w) {
  Window2D win;
  if (f.kernel.empty()) return invalid_argument(f.path + ".kernel: must be set ([k] or [kh, kw])");
  auto kernel = read_pair(f.path + ".kernel", f.kernel, 1, {1, 1});
  if (!kernel.ok()) return kernel.status();
  win.kernel = *kernel;
  auto stride = read_pair(f.path + ".stride", f.stride, 1,
                          f.stride_defaults_to_kernel ? win.kernel : std::array<int64_t, 2>{1, 1});
  if (!stride.ok()) return stride.status();
  win.stride = *stride;
  if (f.dilation != nullptr) {
    auto dilation = read_pair(f.path + ".dilation", *f.dilation, 1, {1, 1});
    if (!dilation.ok()) return dilation.status();
    win.dilation = *dilation;
  }
  if (Status s = check_enum(f.path + ".padding_mode", f.padding_mode, v1::PaddingMode_descriptor());
      !s.ok()) {
    return s;
  }
  if (f.padding_mode != v1::PADDING_MODE_UNSPECIFIED && !f.padding.empty()) {
    return invalid_argument(f.path + ".padding: given together with padding_mode " +
                            v1::PaddingMode_Name(f.padding_mode) + "; use one of them");
  }
  auto padding = read_pair(f.path + ".padding", f.padding, 0, {0, 0});
  if (!padding.ok()) return padding.status();
  const std::array<int64_t, 2> in{h, w};
  for (int a = 0; a < 2; ++a) {
    if (f.padding_mode == v1::SAME) {
      win.output[a] = (in[a] + win.stride[a] - 1) / win.stride[a];
      const int64_t total =
          std::max<int64_t>((win.output[a] - 1) * win.stride[a] + win.extent(a) - in[a], 0);
      win.pad_begin[a] = total / 2;
      win.pad_end[a] = total - total / 2;
    } else {
      win.pad_begin[a] = win.pad_end[a] = (*padding)[a];
    }
  }
  const std::string padded =
      pair_text(win.pad_begin[0] + win.pad_end[0], win.pad_begin[1] + win.pad_end[1]);
  for (int a = 0; a < 2; ++a) {
    if (win.pad_begin[a] >= win.extent(a) || win.pad_end[a] >= win.extent(a)) {
      return invalid_argument(f.path + ".padding: " + pair_text((*padding)[0], (*padding)[1]) +
                              " must be smaller than the window it pads, which spans " +
                              std::to_string(win.extent(0)) + " x " +
                              std::to_string(win.extent(1)));
    }
    if (win.extent(a) > in[a] + win.pad_begin[a] + win.pad_end[a]) {
      return invalid_argument(f.path + ".kernel: " + pair_text(win.kernel[0], win.kernel[1]) +
                              " spans " + std::to_string(win.extent(0)) + " x " +
                              std::to_string(win.extent(1)) + ", larger than the input " +
                              pair_text(h, w) + " padded by " + padded);
    }
    if (f.padding_mode != v1::SAME) {
      win.output[a] =
          (in[a] + win.pad_begin[a] + win.pad_end[a] - win.extent(a)) / win.stride[a] + 1;
    }
  }
  return win;
}

Result<Shape> image_shape(const std::string& path, const Shape& input) {
  if (input.size() == 3) return input;
  if (input.size() == 2) return Shape{1, input[0], input[1]};
  return invalid_argument(path + ": needs samples of shape [C, H, W] or [H, W], got " +
                          shape_text(input) + " (a reshape layer can make one)");
}

}  // namespace gradstream::engine
