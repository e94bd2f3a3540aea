/* TB_HD marks a function compiled for both the host and a CUDA device (nvcc), plain C elsewhere. */
#ifndef TB_HD_H
#define TB_HD_H

#ifdef __CUDACC__
#define TB_HD __host__ __device__
#else
#define TB_HD
#endif

#endif
