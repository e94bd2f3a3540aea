/* Counter-based random numbers (Philox4x32-10 from Random123), usable from C and
 * CUDA: a draw depends only on (seed, item, sub, purpose), never on rank or backend. */
#ifndef TB_RNG_H
#define TB_RNG_H

#include <Random123/philox.h>
#include <math.h>
#include <stdint.h>

#include "tb_hd.h"

TB_HD static inline philox4x32_ctr_t tb_philox(uint64_t seed, uint64_t item, uint32_t sub,
                                               uint32_t purpose) {
  philox4x32_ctr_t c = {{(uint32_t)item, (uint32_t)(item >> 32), sub, purpose}};
  philox4x32_key_t k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
  return philox4x32(c, k);
}

/* MODEL.md section 8: u = ((hi * 2^32 + lo) >> 11) * 2^-53 + 2^-54, strictly inside (0, 1). */
TB_HD static inline double tb_u01(uint32_t hi, uint32_t lo) {
  return (double)((((uint64_t)hi << 32) | lo) >> 11) * 0x1p-53 + 0x1p-54;
}

/* Standard normal by Box-Muller from the four words of one draw. */
TB_HD static inline double tb_normal(philox4x32_ctr_t x) {
  double u1 = tb_u01(x.v[0], x.v[1]), u2 = tb_u01(x.v[2], x.v[3]);
  return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

#endif
