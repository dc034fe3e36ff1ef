// AVX registers hold values across a checkpoint: ymm0-ymm15 are loaded with a pattern and
// compared in a loop that never spills them; the loop ends on SIGTERM.

#include "zdtm.h"

int main(int argc, char** argv) {
  zdtm_init(argc, argv);
  zdtm_ready();
  int ok = 1;
  __asm__ volatile(
      "mov $0x0102030405060708, %%rax\n"
      "vmovq %%rax, %%xmm0\n"
      "vpbroadcastq %%xmm0, %%ymm0\n"
      "vpaddq %%ymm0, %%ymm0, %%ymm1\n"
      "vpaddq %%ymm1, %%ymm0, %%ymm2\n"
      "vpaddq %%ymm2, %%ymm0, %%ymm3\n"
      "vpaddq %%ymm3, %%ymm0, %%ymm15\n"
      "1:\n"
      "vpaddq %%ymm0, %%ymm1, %%ymm4\n"  // ymm4 = 3x
      "vpcmpeqq %%ymm4, %%ymm2, %%ymm5\n"
      "vpaddq %%ymm2, %%ymm0, %%ymm6\n"  // 4x
      "vpcmpeqq %%ymm6, %%ymm3, %%ymm7\n"
      "vpaddq %%ymm3, %%ymm0, %%ymm8\n"  // 5x
      "vpcmpeqq %%ymm8, %%ymm15, %%ymm9\n"
      "vpand %%ymm5, %%ymm7, %%ymm10\n"
      "vpand %%ymm9, %%ymm10, %%ymm10\n"
      "vpmovmskb %%ymm10, %%eax\n"
      "cmp $-1, %%eax\n"
      "jne 2f\n"
      "pause\n"
      "cmpl $0, %[stop]\n"
      "je 1b\n"
      "jmp 3f\n"
      "2:\n"
      "movl $0, %[ok]\n"
      "3:\n"
      : [ok] "+m"(ok)
      : [stop] "m"(zdtm_stop)
      : "rax", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
        "xmm9", "xmm10", "xmm15");
  if (!ok) zdtm_fail("ymm registers changed");
  zdtm_pass();
}
