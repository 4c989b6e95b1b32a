/* The whole-process baseline of `make bench` (docs/bench.md): what a user
 * would otherwise run for an FP8 GEMM on a CPU. Reads two uint8 .npy files of
 * FP8 codes (version 1.0, C order, 2-D, as numpy.save writes them), decodes
 * the codes to float with a 256-entry table, runs OpenBLAS cblas_sgemm and
 * writes the float32 result as .npy.
 *
 * usage: sgemm_npy A.npy e4m3|e5m2 B.npy e4m3|e5m2 OUT.npy
 * Exit status 0, or 2 with one line on any error. Deliberately small: it is
 * the yardstick, not a product (fp8sa gemm is the product).
 */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char* what, const char* path) {
  fprintf(stderr, "sgemm_npy: %s: %s\n", path, what);
  exit(2);
}

/* The value of an FP8 code: e4m3 (OCP E4M3, bias 7, no Inf, S.1111.111 NaN)
 * or e5m2 (bias 15, IEEE-style Inf/NaN). */
static float fp8_value(unsigned code, int e4m3) {
  const int man_bits = e4m3 ? 3 : 2, bias = e4m3 ? 7 : 15;
  const unsigned e = (code & 0x7F) >> man_bits, m = code & ((1u << man_bits) - 1);
  const float s = (code & 0x80) ? -1.0f : 1.0f;
  if (e4m3 && (code & 0x7F) == 0x7F) return NAN;
  if (!e4m3 && e == 31) return m ? NAN : s * INFINITY;
  if (e == 0) return s * ldexpf((float)m, 1 - bias - man_bits);
  return s * ldexpf((float)((1u << man_bits) | m), (int)e - bias - man_bits);
}

/* Reads a 2-D uint8 .npy; returns the codes (malloc'd), sets rows/cols. */
static uint8_t* read_u8(const char* path, long* rows, long* cols) {
  FILE* f = fopen(path, "rb");
  if (!f) die("cannot open", path);
  unsigned char pre[10];
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY\x01\x00", 8) != 0) die("not a version 1.0 .npy", path);
  const size_t hlen = (size_t)pre[8] | ((size_t)pre[9] << 8);
  char hdr[65536];
  if (fread(hdr, 1, hlen, f) != hlen) die("truncated header", path);
  hdr[hlen] = 0;
  const char* sh = strstr(hdr, "'shape': (");
  if (!strstr(hdr, "'descr': '|u1'") || !strstr(hdr, "'fortran_order': False") || !sh)
    die("expected a C-order uint8 array", path);
  if (sscanf(sh + 10, "%ld, %ld", rows, cols) != 2 || *rows < 1 || *cols < 1 || *rows > 65536 || *cols > 65536)
    die("expected a 2-D shape", path);
  const size_t n = (size_t)*rows * (size_t)*cols;
  uint8_t* d = malloc(n);
  if (!d || fread(d, 1, n, f) != n) die("truncated data", path);
  fclose(f);
  return d;
}

static float* decode(const uint8_t* codes, size_t n, const char* fmt) {
  const int e4m3 = strcmp(fmt, "e4m3") == 0;
  if (!e4m3 && strcmp(fmt, "e5m2") != 0) die("format must be e4m3 or e5m2", fmt);
  float lut[256];
  for (unsigned c = 0; c < 256; ++c) lut[c] = fp8_value(c, e4m3);
  float* x = malloc(n * sizeof *x);
  if (!x) die("out of memory", fmt);
  for (size_t i = 0; i < n; ++i) x[i] = lut[codes[i]];
  return x;
}

int main(int argc, char** argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: sgemm_npy A.npy e4m3|e5m2 B.npy e4m3|e5m2 OUT.npy\n");
    return 2;
  }
  long m, k, k2, n;
  uint8_t* a8 = read_u8(argv[1], &m, &k);
  uint8_t* b8 = read_u8(argv[3], &k2, &n);
  if (k2 != k) die("B's rows differ from A's columns", argv[3]);
  float* a = decode(a8, (size_t)m * (size_t)k, argv[2]);
  float* b = decode(b8, (size_t)k * (size_t)n, argv[4]);
  float* c = malloc((size_t)m * (size_t)n * sizeof *c);
  if (!c) die("out of memory", argv[5]);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0f, a, (int)k, b, (int)n, 0.0f,
              c, (int)n);

  FILE* f = fopen(argv[5], "wb");
  if (!f) die("cannot create", argv[5]);
  char hdr[128];
  int len = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (%ld, %ld), }", m, n);
  const int total = 10 + len + 1, pad = (64 - total % 64) % 64;
  memset(hdr + len, ' ', (size_t)pad);
  len += pad;
  hdr[len++] = '\n';
  const unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(len & 0xFF),
                                 (unsigned char)(len >> 8)};
  const size_t cn = (size_t)m * (size_t)n;
  if (fwrite(pre, 1, 10, f) != 10 || fwrite(hdr, 1, (size_t)len, f) != (size_t)len ||
      fwrite(c, sizeof *c, cn, f) != cn || fclose(f) != 0)
    die("write error", argv[5]);
  free(a8);
  free(b8);
  free(a);
  free(b);
  free(c);
  return 0;
}
