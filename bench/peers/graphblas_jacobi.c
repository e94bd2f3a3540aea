/* SuiteSparse:GraphBLAS peer of the section 6 Jacobi iteration: t = x' W~ (GrB_vxm), then
 * x = b + alpha t. Reads /network of an input file. Usage: tb_peer_graphblas INPUT ITERS */
#include <GraphBLAS.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void *read_all(hid_t f, const char *name, hid_t type, size_t elem, hsize_t *n) {
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT), s = H5Dget_space(d);
  H5Sget_simple_extent_dims(s, n, NULL);
  void *buf = malloc(elem * (size_t)(*n ? *n : 1));
  H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  H5Sclose(s), H5Dclose(d);
  return buf;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const int iters = atoi(argv[2]);
  hid_t f = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return 3;
  hsize_t np, ne, nw;
  int64_t *ptr = read_all(f, "/network/ptr", H5T_NATIVE_INT64, 8, &np);
  int64_t *col = read_all(f, "/network/col", H5T_NATIVE_INT64, 8, &ne);
  double *w = read_all(f, "/network/weight", H5T_NATIVE_DOUBLE, 8, &nw);
  H5Fclose(f);
  const GrB_Index N = np - 1;
  GrB_Index *I = malloc(sizeof(GrB_Index) * ne), *J = malloc(sizeof(GrB_Index) * ne);
  for (GrB_Index i = 0; i < N; i++) {
    double s = 0.0;
    for (int64_t e = ptr[i]; e < ptr[i + 1]; e++) s += w[e];
    for (int64_t e = ptr[i]; e < ptr[i + 1]; e++) I[e] = i, J[e] = (GrB_Index)col[e], w[e] /= s > 1.0 ? s : 1.0;
  }
  GrB_init(GrB_NONBLOCKING);
  GrB_Matrix W;
  GrB_Vector b, x, t;
  GrB_Matrix_new(&W, GrB_FP64, N, N);
  GrB_Matrix_build_FP64(W, I, J, w, ne, GrB_PLUS_FP64);
  GrB_Vector_new(&b, GrB_FP64, N);
  GrB_Vector_new(&x, GrB_FP64, N);
  GrB_Vector_new(&t, GrB_FP64, N);
  GrB_Vector_assign_FP64(b, NULL, NULL, 1.0, GrB_ALL, N, NULL);
  GrB_Vector_dup(&x, b);
  GrB_Matrix_wait(W, GrB_MATERIALIZE);
  double runs[5];
  for (int r = 0; r < 5; r++) { /* median of 5, after one warm-up iteration */
    double t0 = 0.0;
    for (int k = -1; k < iters; k++) {
      if (k == 0) t0 = now();
      GrB_vxm(t, NULL, NULL, GrB_PLUS_TIMES_SEMIRING_FP64, x, W, NULL);
      GrB_Vector_apply_BinaryOp2nd_FP64(t, NULL, NULL, GrB_TIMES_FP64, t, 0.3, NULL);
      GrB_Vector_eWiseAdd_BinaryOp(x, NULL, NULL, GrB_PLUS_FP64, b, t, NULL);
      GrB_Vector_wait(x, GrB_MATERIALIZE);
    }
    runs[r] = (now() - t0) / iters;
  }
  for (int i = 1; i < 5; i++) /* insertion sort for the median */
    for (int j = i; j > 0 && runs[j] < runs[j - 1]; j--) {
      double tmp = runs[j];
      runs[j] = runs[j - 1], runs[j - 1] = tmp;
    }
  printf("seconds_per_iteration %.6g\n", runs[2]);
  GrB_finalize();
  return 0;
}
