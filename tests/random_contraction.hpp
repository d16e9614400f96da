// A random dot_general for the runtime suites (execute_test, prepared_test):
// ranks 2-6, sizes 0-17, random axes and layouts, any dtype.
#pragma once

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "batchdot/batchdot.hpp"
#include "test_util.hpp"

namespace batchdot::testing {

constexpr Layout kLayouts[] = {Layout::kContiguous, Layout::kReversedAxes, Layout::kStepTwo, Layout::kNegative,
                               Layout::kPermuted};

struct RandomCase {
  Operand x, y;
  DotDimensionNumbers dims;
  std::string text;
};

// A random dot_general: 1-2 batch axes, 1-2 contracted axes (mostly 1), 0-2 free
// axes per side, sizes 0-17 (zero rarely), every axis order and layout.
RandomCase MakeRandomCase(std::mt19937_64& rng, DType dtype) {
  std::uniform_int_distribution<int> small(0, 2), size(1, 17), coin(0, 9);
  const int batch_axes = 1 + (coin(rng) == 0);
  const int contracted_axes = 1 + (coin(rng) == 0);
  const int x_free = small(rng), y_free = small(rng);
  auto draw_size = [&] { return coin(rng) == 0 ? int64_t{0} : int64_t{size(rng)}; };
  std::vector<int64_t> batch_sizes, k_sizes;
  for (int i = 0; i < batch_axes; ++i) batch_sizes.push_back(coin(rng) < 3 ? 1 + size(rng) / 4 : draw_size());
  for (int i = 0; i < contracted_axes; ++i) k_sizes.push_back(draw_size());
  // Roles per axis, then shuffled into a random axis order for each operand.
  enum Role { kBatch, kContract, kFree };
  struct Slot { Role role; int index; int64_t size; };
  auto make_slots = [&](int free_count) {
    std::vector<Slot> slots;
    for (int i = 0; i < batch_axes; ++i) slots.push_back({kBatch, i, batch_sizes[i]});
    for (int i = 0; i < contracted_axes; ++i) slots.push_back({kContract, i, k_sizes[i]});
    for (int i = 0; i < free_count; ++i) slots.push_back({kFree, i, draw_size()});
    std::shuffle(slots.begin(), slots.end(), rng);
    return slots;
  };
  const auto x_slots = make_slots(x_free), y_slots = make_slots(y_free);
  RandomCase rc;
  rc.dims.lhs_batch.resize(batch_axes);
  rc.dims.rhs_batch.resize(batch_axes);
  rc.dims.lhs_contracting.resize(contracted_axes);
  rc.dims.rhs_contracting.resize(contracted_axes);
  std::vector<int64_t> x_shape, y_shape;
  for (size_t a = 0; a < x_slots.size(); ++a) {
    x_shape.push_back(x_slots[a].size);
    if (x_slots[a].role == kBatch) rc.dims.lhs_batch[x_slots[a].index] = static_cast<int64_t>(a);
    if (x_slots[a].role == kContract) rc.dims.lhs_contracting[x_slots[a].index] = static_cast<int64_t>(a);
  }
  for (size_t a = 0; a < y_slots.size(); ++a) {
    y_shape.push_back(y_slots[a].size);
    if (y_slots[a].role == kBatch) rc.dims.rhs_batch[y_slots[a].index] = static_cast<int64_t>(a);
    if (y_slots[a].role == kContract) rc.dims.rhs_contracting[y_slots[a].index] = static_cast<int64_t>(a);
  }
  std::uniform_int_distribution<size_t> layout(0, std::size(kLayouts) - 1);
  const Layout x_layout = kLayouts[layout(rng)], y_layout = kLayouts[layout(rng)];
  rc.x = MakeOperand(dtype, x_shape, x_layout, rng);
  rc.y = MakeOperand(dtype, y_shape, y_layout, rng);
  rc.text = std::string(Name(dtype)) + " x" + ::testing::PrintToString(x_shape) + " " + LayoutName(x_layout) +
            " y" + ::testing::PrintToString(y_shape) + " " + LayoutName(y_layout);
  return rc;
}

}  // namespace batchdot::testing
