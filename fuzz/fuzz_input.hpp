// A libFuzzer input read as a stream of small decisions. Reading past the end
// yields zeros, so every byte string is a valid (if short) program of choices.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace batchdot::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  // A value in [0, n) for n >= 1.
  uint32_t Below(uint32_t n) { return n <= 1 ? 0 : Byte() % n; }
  bool Flag() { return Byte() & 1; }
  int64_t Int64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | Byte();
    int64_t s;
    std::memcpy(&s, &v, sizeof(s));
    return s;
  }
  double Double() {
    uint64_t v = static_cast<uint64_t>(Int64());
    double d;
    std::memcpy(&d, &v, sizeof(d));
    return d;
  }
  bool empty() const { return pos_ >= size_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace batchdot::fuzz
