// A user's program built against the installed package: the seed's MindSpore example.
#include <batchdot/batchdot.hpp>

#include <cstdio>
#include <vector>

int main() {
  std::vector<float> x(2 * 2, 1.0f), y(2 * 3 * 2, 1.0f);
  const std::vector<int64_t> x_shape{2, 2}, y_shape{2, 3, 2};
  const auto x_strides = batchdot::ContiguousStrides(x_shape);
  const auto y_strides = batchdot::ContiguousStrides(y_shape);
  const batchdot::TensorView xv{x.data(), batchdot::DType::kFloat32, x_shape, x_strides};
  const batchdot::TensorView yv{y.data(), batchdot::DType::kFloat32, y_shape, y_strides};
  const batchdot::Tensor out = batchdot::mindspore::batch_dot(xv, yv, batchdot::AxesArg(1, 2));
  if (out.shape() != std::vector<int64_t>{2, 3}) return 1;
  for (int64_t i = 0; i < out.num_elements(); ++i) {
    if (out.data_as<float>()[i] != 2.0f) return 1;
  }
  std::puts("consumer ok");
  return 0;
}
