// Hot kernels of Hark's inference engine: block layouts of the GGML tensor types, their
// dequantizers, and dot products / matrix products against quantized activations.
// Layouts follow ggml (ggml-common.h): Q8_0 = fp16 d + 32 x int8; Q4_1 = fp16 d + fp16 m + 16 bytes
// of nibbles (element j in the low nibble of byte j, element j+16 in the high nibble).
#ifndef HARK_INFERENCE_KERNELS_H
#define HARK_INFERENCE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#define HK_QK 32

/// An activation block quantized to int16: x[i] ~= d * qs[i] with d = max|x| / 32767;
/// s = d * sum(qs) (for Q4_1's minimum). Sixteen bits rather than ggml's eight keep the logits
/// within about 0.01 of a float32 reference (int8 moved them by up to 1.0 and flipped near-tied
/// top-1 tokens), at no cost to memory-bound decoding.
typedef struct {
    float d;
    float s;
    int16_t qs[HK_QK];
} hk_q8_act;

/// Weight block layouts as stored in GGUF files.
typedef struct {
    uint16_t d;
    int8_t qs[HK_QK];
} hk_block_q8_0;

typedef struct {
    uint16_t d;
    uint16_t m;
    uint8_t qs[HK_QK / 2];
} hk_block_q4_1;

/// Eight Q4_1 rows interleaved block by block (Hark's own layout, made at load by
/// hk_repack_q4_1x8): the rows' scales and minimums, then their nibbles so that one 16-byte load
/// holds two neighbouring elements of each of the eight rows in its low nibbles (elements 2L and
/// 2L+1 for load L) and the two 16 places on in its high nibbles. A product then computes eight
/// rows at once per token, with each weight unpacked once for all the tokens of a tile.
typedef struct {
    uint16_t d[8];
    uint16_t m[8];
    uint8_t qs[8 * HK_QK / 2];
} hk_block_q4_1x8;

/// Element types the kernels compute on (ids as in GGML).
enum { HK_F32 = 0, HK_F16 = 1, HK_Q4_1 = 3, HK_Q8_0 = 8 };

float hk_fp16_to_fp32(uint16_t h);
uint16_t hk_fp32_to_fp16(float f);

/// Quantizes n floats (n a multiple of 32) into n/32 activation blocks.
void hk_quantize_act(const float *x, hk_q8_act *y, int n);

/// Dequantizes n elements of a row of the given type into floats.
void hk_dequantize_row(int type, const void *src, float *dst, int n);

/// One row of n elements of the given type dotted with activations (float for F32/F16,
/// quantized blocks for Q8_0/Q4_1).
float hk_dot_row(int type, const void *row, const float *x, const hk_q8_act *xq, int n);

/// out[t * out_stride + r] = W[r] . X[t] for rows r in [r0, r1) and tokens t in [0, ntok).
/// W rows are row_bytes apart; X is given as floats (x, stride n) for F32/F16 weights and as
/// quantized blocks (xq, n/32 blocks per token) for Q8_0/Q4_1 weights.
void hk_matmul(int type, const void *w, size_t row_bytes, int n, int r0, int r1,
               const float *x, const hk_q8_act *xq, int ntok, float *out, int out_stride);

/// Interleaves `rows` Q4_1 rows of n elements (rows a multiple of 8, row_bytes apart) into
/// rows/8 groups of n/32 hk_block_q4_1x8 blocks at dst.
void hk_repack_q4_1x8(const void *src, size_t row_bytes, int rows, int n, hk_block_q4_1x8 *dst);

/// hk_matmul for repacked Q4_1 weights: rows [r0, r1) (multiples of 8) of n elements.
void hk_matmul_q4_1x8(const hk_block_q4_1x8 *w, int n, int r0, int r1, const hk_q8_act *xq, int ntok,
                      float *out, int out_stride);

/// Like hk_matmul for one token, over an explicit list of rows: out[i] = W[rows[i]] . X.
void hk_matvec_rows(int type, const void *w, size_t row_bytes, int n, const int32_t *rows, int nrows,
                    const float *x, const hk_q8_act *xq, float *out);

/// The largest adapter rank hk_lora_add takes.
#define HK_LORA_MAX_RANK 64

/// Adds a LoRA term to `ntok` output rows: y[t] += scale * B (A x[t]). `a` is A (rank x in, fp16,
/// row-major); `bt` is B transposed (rank x out, fp16), so that the second product is `rank`
/// vector updates of y rather than `out` short dot products. rank <= HK_LORA_MAX_RANK.
void hk_lora_add(const uint16_t *a, const uint16_t *bt, int in, int out, int rank, float scale,
                 const float *x, int x_stride, int ntok, float *y, int y_stride);

/// The first half of hk_lora_add: h[t * rank + k] = scale * (A x[t])[k] for ntok tokens.
void hk_lora_down(const uint16_t *a, int in, int rank, float scale, const float *x, int x_stride, int ntok, float *h);

/// The second half of hk_lora_add for output rows [r0, r1) only (multiples of 8 on x86 for full
/// speed): y[t][r] += sum_k h[t * rank + k] * B^T[k][r], each element's sum in k order whatever
/// the row range, so a product split by rows gets exactly what hk_lora_add gives.
void hk_lora_up_rows(const uint16_t *bt, int out, int rank, const float *h, int ntok, int r0, int r1,
                     float *y, int y_stride);

/// Rounds `n` floats to fp16 (nearest even), as the key/value cache stores them.
void hk_fp32_to_fp16_row(const float *x, uint16_t *y, int n);

/// Attention of one query head over `span` cached positions: scores = K q * scale, softmax,
/// out = sum_j scores[j] V[j]. `keys` and `values` (fp16, as llama.cpp's default cache type)
/// point at this head's slice of position 0; successive positions are `stride` halves apart.
/// `scores` is scratch of `span` floats.
void hk_attention_head(const float *q, const uint16_t *keys, const uint16_t *values, int span, int head_dim,
                       int stride, float scale, float *scores, float *out);

/// Grouped-query attention: `group` query heads (consecutive, `head_dim` floats each, at `q`)
/// that share one key/value head, over `span` positions; each K and V row (fp16) is read once for
/// the whole group. `scores` is scratch of group * span floats; `out` gets group * head_dim floats.
void hk_attention_group(const float *q, int group, const uint16_t *keys, const uint16_t *values, int span, int head_dim,
                        int stride, float scale, float *scores, float *out);

/// One step of a short spin-wait. On x86 this is only a compiler barrier, not PAUSE: under
/// KVM (this project's machines are virtual) PAUSE loops trigger pause-loop exits that
/// deschedule the spinning vCPU; measured here, 2-thread decoding fell from 61 to 33 tok/s with
/// PAUSE. Spins are bounded (WorkerPool parks after 200k steps, about 0.1 ms). YIELD on Arm.
static inline void hk_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("" ::: "memory");
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
