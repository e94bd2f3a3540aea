/* Streaming a batch of deals through an accelerator in sub-batches: sizing, packing
 * into pinned buffers, two alternating streams, scattering results back. The device is
 * a small ops table, so the CUDA backend plugs in CUDA calls and a test plugs in a fake
 * device that defers its work until the stream is synchronised (tests/unit/test_stream.c). */
#ifndef TB_STREAM_H
#define TB_STREAM_H

#include <stddef.h>

#include "tb_deal_math.h"

typedef struct {
  void *ctx;
  int (*free_bytes)(void *ctx, size_t *bytes);
  int (*alloc)(void *ctx, void **p, size_t bytes);      /* device memory */
  int (*alloc_host)(void *ctx, void **p, size_t bytes); /* pinned host memory */
  void (*release)(void *ctx, void *p);
  void (*release_host)(void *ctx, void *p);
  int (*stream_create)(void *ctx, void **stream);
  void (*stream_destroy)(void *ctx, void *stream);
  /* Copies and launches queue on `stream` (NULL: synchronous); sync waits for a stream. */
  int (*h2d)(void *ctx, void *dst, const void *src, size_t bytes, void *stream);
  int (*d2h)(void *ctx, void *dst, const void *src, size_t bytes, void *stream);
  int (*launch)(void *ctx, const tb_deal_params *P, const tb_deal_batch *dev, void *stream);
  int (*sync)(void *ctx, void *stream);
} tb_device_ops;

typedef struct tb_streamer tb_streamer;

/* slot_bytes: input bytes per slot; 0 sizes it from free device memory (35%, at most 1 GiB). */
int tb_stream_create(tb_streamer **s, const tb_device_ops *dev, size_t slot_bytes);
int tb_stream_deal_stage(tb_streamer *s, const tb_deal_params *P, tb_deal_batch *B);
/* Input bytes of a slot once sized (0 before the first batch): smaller than asked after device OOM. */
size_t tb_stream_slot_bytes(const tb_streamer *s);
enum { TB_STREAM_MIN_SLOT = 1 << 16 }; /* the slots halve on device OOM down to this */
#define TB_STREAM_MIN_SLOT_BYTES ((double)TB_STREAM_MIN_SLOT)
void tb_stream_destroy(tb_streamer *s);

#endif
