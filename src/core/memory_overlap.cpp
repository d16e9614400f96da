// The overlap questions as sum(a_i * x_i) == rhs with a_i > 0 and integer x_i in
// [lo_i, hi_i] (NumPy's mem_overlap.c formulation): a depth-first search over the
// terms, largest coefficient first, that only tries values of x_i which keep the
// rest solvable (the remaining range and gcd), so it is exact; it counts its steps
// and gives up with kTooHard past max_work.
#include "core/memory_overlap.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

namespace batchdot::core {
namespace {

using Wide = __int128;

struct Term {
  int64_t a;       // coefficient, > 0
  int64_t lo, hi;  // bounds of the unknown
};

Wide FloorDiv(Wide n, Wide d) { return n / d - ((n % d != 0) && ((n < 0) != (d < 0))); }
Wide CeilDiv(Wide n, Wide d) { return -FloorDiv(-n, d); }

// x with (a * x) % m == 1 for gcd(a, m) == 1, m >= 1.
Wide ModInverse(Wide a, Wide m) {
  Wide old_r = ((a % m) + m) % m, r = m, old_s = 1, s = 0;
  while (r != 0) {
    const Wide q = old_r / r;
    Wide t = old_r - q * r;
    old_r = r;
    r = t;
    t = old_s - q * s;
    old_s = s;
    s = t;
  }
  return ((old_s % m) + m) % m;
}

class Solver {
 public:
  Solver(std::vector<Term> terms, int64_t max_work) : terms_(std::move(terms)), budget_(max_work) {
    std::sort(terms_.begin(), terms_.end(), [](const Term& x, const Term& y) { return x.a > y.a; });
    const size_t n = terms_.size();
    min_sum_.assign(n + 1, 0);
    max_sum_.assign(n + 1, 0);
    gcd_.assign(n + 1, 0);
    for (size_t i = n; i-- > 0;) {
      min_sum_[i] = min_sum_[i + 1] + Wide{terms_[i].a} * terms_[i].lo;
      max_sum_[i] = max_sum_[i + 1] + Wide{terms_[i].a} * terms_[i].hi;
      gcd_[i] = std::gcd(gcd_[i + 1], terms_[i].a);
    }
  }

  Overlap Solve(Wide rhs) {
    const bool found = Search(0, rhs);
    if (exhausted_) return Overlap::kTooHard;
    return found ? Overlap::kYes : Overlap::kNo;
  }

 private:
  bool Search(size_t i, Wide rest) {
    if (exhausted_) return false;
    if (--budget_ < 0) {
      exhausted_ = true;
      return false;
    }
    if (rest < min_sum_[i] || rest > max_sum_[i]) return false;
    if (i == terms_.size()) return rest == 0;
    if (gcd_[i] > 1 && rest % gcd_[i] != 0) return false;
    const Term& t = terms_[i];
    // a*x must leave the later terms a reachable remainder...
    Wide low = std::max<Wide>(t.lo, CeilDiv(rest - max_sum_[i + 1], t.a));
    const Wide high = std::min<Wide>(t.hi, FloorDiv(rest - min_sum_[i + 1], t.a));
    if (low > high) return false;
    // ...that the later coefficients' gcd divides: x = x0 (mod step).
    Wide step = 1;
    if (const int64_t g = gcd_[i + 1]; g > 1) {
      const Wide d = std::gcd(t.a, g);  // divides rest (gcd_[i] does)
      step = g / d;
      const Wide r = ((rest / d) % step + step) % step;
      const Wide x0 = r * ModInverse(t.a / d, step) % step;
      low += ((x0 - low) % step + step) % step;
    }
    for (Wide x = low; x <= high; x += step) {
      if (Search(i + 1, rest - Wide{t.a} * x)) return true;
      if (exhausted_) return false;
    }
    return false;
  }

  std::vector<Term> terms_;
  std::vector<Wide> min_sum_, max_sum_;
  std::vector<int64_t> gcd_;
  int64_t budget_;
  bool exhausted_ = false;
};

// Byte addresses [first, last] an array touches; false when it has no elements.
bool Extent(const ByteLayout& v, Wide& first, Wide& last) {
  Wide low = 0, high = 0;
  for (size_t k = 0; k < v.shape.size(); ++k) {
    if (v.shape[k] == 0) return false;
    const Wide span = Wide{v.shape[k] - 1} * v.byte_strides[k];
    (span < 0 ? low : high) += span;
  }
  first = Wide{static_cast<int64_t>(v.start)} + low;
  last = Wide{static_cast<int64_t>(v.start)} + high + v.itemsize - 1;
  return v.itemsize > 0;
}

// One term per axis that moves: |stride| times an index in [0, size - 1].
void AddStrideTerms(const ByteLayout& v, std::vector<Term>& terms) {
  for (size_t k = 0; k < v.shape.size(); ++k) {
    if (v.shape[k] > 1 && v.byte_strides[k] != 0) {
      terms.push_back({v.byte_strides[k] < 0 ? -v.byte_strides[k] : v.byte_strides[k], 0, v.shape[k] - 1});
    }
  }
}

}  // namespace

Overlap SharesMemory(const ByteLayout& a, const ByteLayout& b, int64_t max_work) {
  Wide a_first, a_last, b_first, b_last;
  if (!Extent(a, a_first, a_last) || !Extent(b, b_first, b_last)) return Overlap::kNo;
  if (a_last < b_first || b_last < a_first) return Overlap::kNo;
  // With every stride made positive, a's element starts at a_first + sum(|s|*i),
  // b's last byte of an element at b_last - sum(|s'|*j); they meet within one
  // item when a_first + sum(|s|*i) + u == b_last - sum(|s'|*j) - v for
  // u in [0, itemsize_a), v in [0, itemsize_b).
  std::vector<Term> terms;
  AddStrideTerms(a, terms);
  AddStrideTerms(b, terms);
  if (a.itemsize > 1) terms.push_back({1, 0, a.itemsize - 1});
  if (b.itemsize > 1) terms.push_back({1, 0, b.itemsize - 1});
  return Solver(std::move(terms), max_work).Solve(b_last - a_first);
}

Overlap HasInternalOverlap(const ByteLayout& a, int64_t max_work) {
  for (size_t k = 0; k < a.shape.size(); ++k) {
    if (a.shape[k] == 0) return Overlap::kNo;
  }
  std::vector<Term> strides;
  for (size_t k = 0; k < a.shape.size(); ++k) {
    if (a.shape[k] > 1 && a.byte_strides[k] == 0) return Overlap::kYes;
  }
  AddStrideTerms(a, strides);
  // The usual case, decided without a search: sorted by |stride|, each stride
  // steps past everything the smaller ones reach (C, Fortran, sliced, transposed).
  std::sort(strides.begin(), strides.end(), [](const Term& x, const Term& y) { return x.a < y.a; });
  Wide reach = a.itemsize;
  bool nested = true;
  for (const Term& t : strides) {
    nested = nested && t.a >= reach;
    reach += Wide{t.a} * t.hi;
  }
  if (nested) return Overlap::kNo;
  // Two indices i != j overlap when sum(|s| * (i - j)) + (u - v) == 0 with
  // u - v in (-itemsize, itemsize). Write z = i - j in [-(size-1), size-1]; by
  // symmetry the first non-zero z (in some fixed order) may be taken positive,
  // so try each position p as that first one: z_p in [1, size-1], earlier z = 0.
  for (size_t p = 0; p < strides.size(); ++p) {
    std::vector<Term> terms;
    terms.push_back({strides[p].a, 1, strides[p].hi});
    for (size_t q = p + 1; q < strides.size(); ++q) terms.push_back({strides[q].a, -strides[q].hi, strides[q].hi});
    if (a.itemsize > 1) terms.push_back({1, -(a.itemsize - 1), a.itemsize - 1});
    const Overlap result = Solver(std::move(terms), max_work).Solve(0);
    if (result != Overlap::kNo) return result;
  }
  return Overlap::kNo;
}

}  // namespace batchdot::core
