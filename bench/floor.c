/* The C floor: the same syscalls sockopt makes, in a plain loop, on a connected
 * loopback TCP socket. Usage: floor ITERATIONS SPEC...
 *   g:LEVEL:OPT:LEN   getsockopt with a LEN-byte buffer
 *   s:LEVEL:OPT       setsockopt of an int, alternating 0/1
 *   s:LEVEL:OPT:VALUE setsockopt of the int VALUE every time
 *   name / peer       getsockname / getpeername
 *   seq SPEC...       instead: every SPEC once in turn per iteration (what a batch of
 *                     different options costs, caches shared), printed as "seq"
 * Prints one JSON object: { "SPEC": ns per call, ... }.
 * FLOOR_THREADS=1 in the environment starts one idle thread first. Node is always
 * multi-threaded, and then the kernel takes a reference on the file for each syscall on
 * an fd (fdget's shared-table path, an atomic increment and decrement) where a
 * single-threaded process skips it: measured here, ≈ 20–30 ns more per getsockopt. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void* idle(void* arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  long n = atol(argv[1]);
  const char* threads = getenv("FLOOR_THREADS");
  pthread_t t;
  if (threads && strcmp(threads, "1") == 0 && pthread_create(&t, NULL, idle, NULL) != 0) return 1;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  if (bind(l, (struct sockaddr*)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr*)&a, &al)) return 1;
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (struct sockaddr*)&a, sizeof a)) return 1;
  int peer = accept(l, NULL, NULL);
  unsigned char buf[1024];
  if (strcmp(argv[2], "seq") == 0) {
    /* Parsed once, before the clock starts: the loop makes only the syscalls. */
    enum { GET, NAME, PEER };
    int m = argc - 3, what[256], lv[256], op[256], ln[256];
    if (m > 256) return 2;
    for (int i = 0; i < m; i++) {
      const char* spec = argv[i + 3];
      char kind;
      if (strcmp(spec, "name") == 0) what[i] = NAME;
      else if (strcmp(spec, "peer") == 0) what[i] = PEER;
      else if (sscanf(spec, "%c:%d:%d:%d", &kind, &lv[i], &op[i], &ln[i]) == 4 && kind == 'g') what[i] = GET;
      else return 2;
    }
    double t0 = now_ns();
    for (long k = 0; k < n; k++) {
      for (int i = 0; i < m; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (what[i] == NAME) getsockname(c, (struct sockaddr*)&ss, &sl);
        else if (what[i] == PEER) getpeername(c, (struct sockaddr*)&ss, &sl);
        else {
          sl = (socklen_t)ln[i];
          getsockopt(c, lv[i], op[i], buf, &sl);
        }
      }
    }
    printf("{\"seq\": %.1f}\n", (now_ns() - t0) / n);
    close(c); close(peer); close(l);
    return 0;
  }
  printf("{");
  for (int i = 2; i < argc; i++) {
    char kind;
    int level = 0, opt = 0, len = 0;
    const char* spec = argv[i];
    double t0 = now_ns();
    if (strcmp(spec, "name") == 0 || strcmp(spec, "peer") == 0) {
      int p = spec[0] == 'p';
      for (long k = 0; k < n; k++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (p) getpeername(c, (struct sockaddr*)&ss, &sl); else getsockname(c, (struct sockaddr*)&ss, &sl);
      }
    } else if (sscanf(spec, "%c:%d:%d:%d", &kind, &level, &opt, &len) >= 3 && kind == 'g') {
      for (long k = 0; k < n; k++) {
        socklen_t sl = (socklen_t)len;
        getsockopt(c, level, opt, buf, &sl);
      }
    } else if (kind == 's') {
      int fixed = len, alternate = sscanf(spec, "%c:%d:%d:%d", &kind, &level, &opt, &fixed) < 4;
      for (long k = 0; k < n; k++) {
        int v = alternate ? (int)(k & 1) : fixed;
        setsockopt(c, level, opt, &v, sizeof v);
      }
    } else {
      return 2;
    }
    double ns = (now_ns() - t0) / n;
    printf("%s\"%s\": %.1f", i > 2 ? ", " : "", spec, ns);
  }
  printf("}\n");
  close(c); close(peer); close(l);
  return 0;
}
