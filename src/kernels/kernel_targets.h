// The Highway targets every kernel translation unit compiles for. Included
// first by each kernels_*.cc so all of them agree on HWY_TARGETS (kernels.cc
// calls each family's per-target fill function directly by namespace).
#pragma once

// SSSE3 adds nothing over SSE4 for these kernels but a fourth compile.
#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS HWY_SSSE3
#endif
