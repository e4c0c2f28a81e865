/* Why each call frame between JavaScript and a syscall costs time: the same getsockopt at
 * the bottom of 0..16 nested calls, and the same nesting around no syscall. On kernels
 * that refill the return-stack buffer on exit to user space (spectre_v2 "RSB filling"),
 * every return after the syscall is mispredicted.  cc -O2 bench/rsb-depth.c && ./a.out */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static int c, with_syscall = 1;
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}
__attribute__((noinline)) static int leaf(void) {
  int v = 0;
  socklen_t l = sizeof v;
  if (with_syscall) getsockopt(c, SOL_SOCKET, SO_RCVBUF, &v, &l);
  __asm__ volatile("" ::: "memory");
  return v;
}
#define D(n, m) __attribute__((noinline)) static int d##n(void) { int r = d##m(); __asm__ volatile("" ::: "memory"); return r + 1; }
__attribute__((noinline)) static int d0(void) { int r = leaf(); __asm__ volatile("" ::: "memory"); return r; }
D(1, 0) D(2, 1) D(3, 2) D(4, 3) D(5, 4) D(6, 5) D(7, 6) D(8, 7) D(9, 8) D(10, 9) D(11, 10) D(12, 11) D(13, 12) D(14, 13) D(15, 14) D(16, 15)
static int (*fns[])(void) = {d0, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, d11, d12, d13, d14, d15, d16};

int main(void) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  if (bind(l, (struct sockaddr*)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr*)&a, &al)) return 1;
  c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (struct sockaddr*)&a, sizeof a)) return 1;
  for (with_syscall = 1; with_syscall >= 0; with_syscall--) {
    printf("%s:", with_syscall ? "frames above getsockopt, ns per call" : "the same frames, no syscall");
    for (int d = 0; d <= 16; d += 4) {
      double best = 1e18;
      for (int rep = 0; rep < 5; rep++) {
        long n = 200000;
        double t = now();
        for (long k = 0; k < n; k++) fns[d]();
        double ns = (now() - t) / n;
        if (ns < best) best = ns;
      }
      printf("  %d: %.1f", d, best);
    }
    printf("\n");
  }
  return 0;
}
