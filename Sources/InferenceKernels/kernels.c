// Hark's hot kernels. x86-64 uses AVX2 with AVX-512 VNNI / AVX-VNNI integer dot products where
// the compiler targets them (the package builds this file with -march=native); other CPUs use the
// portable C loops below, which the compiler auto-vectorises.
#include "InferenceKernels.h"

#include <math.h>
#include <string.h>

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include <immintrin.h>
#define HK_X86 1
#endif

// ---------------------------------------------------------------------------------------------
// fp16

float hk_fp16_to_fp32(uint16_t h) {
#if defined(HK_X86)
    return _cvtsh_ss(h);
#else
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            exp = 127 - 15 + 1;
            while ((mant & 0x400) == 0) { mant <<= 1; exp--; }
            mant &= 0x3ff;
            bits = sign | (exp << 23) | (mant << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
#endif
}

uint16_t hk_fp32_to_fp16(float f) {
#if defined(HK_X86)
    return _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT);
#else
    _Float16 h = (_Float16)f;
    uint16_t bits;
    memcpy(&bits, &h, 2);
    return bits;
#endif
}

void hk_fp32_to_fp16_row(const float *x, uint16_t *y, int n) {
    int i = 0;
#if defined(HK_X86)
    for (; i + 8 <= n; i += 8) {
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    }
#endif
    for (; i < n; i++) y[i] = hk_fp32_to_fp16(x[i]);
}

// ---------------------------------------------------------------------------------------------
// Activation quantization (symmetric int8 per 32-block, as ggml's Q8_1 with s = d * sum(q)).

void hk_quantize_act(const float *x, hk_q8_act *y, int n) {
    const int nb = n / HK_QK;
    for (int b = 0; b < nb; b++) {
        const float *xb = x + b * HK_QK;
        float amax = 0.0f;
        for (int i = 0; i < HK_QK; i++) {
            const float a = fabsf(xb[i]);
            amax = a > amax ? a : amax;
        }
        const float d = amax / 32767.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int i = 0; i < HK_QK; i++) {
            const int q = (int)lrintf(xb[i] * id);
            y[b].qs[i] = (int16_t)q;
            sum += q;
        }
        y[b].d = d;
        y[b].s = d * (float)sum;
    }
}

// ---------------------------------------------------------------------------------------------
// Dequantizers

static void dequant_q8_0(const hk_block_q8_0 *b, float *dst, int n) {
    for (int i = 0; i < n / HK_QK; i++) {
        const float d = hk_fp16_to_fp32(b[i].d);
        for (int j = 0; j < HK_QK; j++) dst[i * HK_QK + j] = d * (float)b[i].qs[j];
    }
}

static void dequant_q4_1(const hk_block_q4_1 *b, float *dst, int n) {
    for (int i = 0; i < n / HK_QK; i++) {
        const float d = hk_fp16_to_fp32(b[i].d);
        const float m = hk_fp16_to_fp32(b[i].m);
        for (int j = 0; j < HK_QK / 2; j++) {
            dst[i * HK_QK + j] = d * (float)(b[i].qs[j] & 0x0F) + m;
            dst[i * HK_QK + j + HK_QK / 2] = d * (float)(b[i].qs[j] >> 4) + m;
        }
    }
}

void hk_dequantize_row(int type, const void *src, float *dst, int n) {
    switch (type) {
    case HK_F32: memcpy(dst, src, (size_t)n * sizeof(float)); break;
    case HK_F16: {
        const uint16_t *h = (const uint16_t *)src;
        for (int i = 0; i < n; i++) dst[i] = hk_fp16_to_fp32(h[i]);
        break;
    }
    case HK_Q8_0: dequant_q8_0((const hk_block_q8_0 *)src, dst, n); break;
    case HK_Q4_1: dequant_q4_1((const hk_block_q4_1 *)src, dst, n); break;
    default: memset(dst, 0, (size_t)n * sizeof(float)); break;
    }
}

// ---------------------------------------------------------------------------------------------
// Integer block products

#if defined(HK_X86)
static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// Sum of products of 32 int16 weights (two halves of 16) and 32 int16 activations, in 8 int32 lanes.
static inline __m256i dot_i16(__m256i w0, __m256i w1, const int16_t *a) {
    const __m256i a0 = _mm256_loadu_si256((const __m256i *)a);
    const __m256i a1 = _mm256_loadu_si256((const __m256i *)(a + 16));
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    return _mm256_dpwssd_epi32(_mm256_dpwssd_epi32(_mm256_setzero_si256(), w0, a0), w1, a1);
#elif defined(__AVXVNNI__)
    return _mm256_dpwssd_avx_epi32(_mm256_dpwssd_avx_epi32(_mm256_setzero_si256(), w0, a0), w1, a1);
#else
    return _mm256_add_epi32(_mm256_madd_epi16(w0, a0), _mm256_madd_epi16(w1, a1));
#endif
}

// A Q4_1 block's 32 nibbles as int16: elements 0-15 (low nibbles) and 16-31 (high nibbles).
static inline void unpack_q4(const uint8_t *qs, __m256i *w0, __m256i *w1) {
    const __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    const __m128i mask = _mm_set1_epi8(0x0F);
    *w0 = _mm256_cvtepu8_epi16(_mm_and_si128(raw, mask));
    *w1 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(raw, 4), mask));
}

static inline void unpack_q8(const int8_t *qs, __m256i *w0, __m256i *w1) {
    *w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)qs));
    *w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(qs + 16)));
}
#endif

static float dot_q4_1(const hk_block_q4_1 *w, const hk_q8_act *a, int nb) {
#if defined(HK_X86)
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m128 summ = _mm_setzero_ps();
    int i = 0;
    for (; i + 1 < nb; i += 2) {
        __m256i w0, w1, v0, v1;
        unpack_q4(w[i].qs, &w0, &w1);
        unpack_q4(w[i + 1].qs, &v0, &v1);
        const __m256i p0 = dot_i16(w0, w1, a[i].qs);
        const __m256i p1 = dot_i16(v0, v1, a[i + 1].qs);
        // (d0, m0, d1, m1) in one conversion, times the activations' (d0, s0, d1, s1)
        int32_t dm0, dm1;
        memcpy(&dm0, &w[i].d, 4);
        memcpy(&dm1, &w[i + 1].d, 4);
        const __m128 dmf = _mm_cvtph_ps(_mm_insert_epi32(_mm_cvtsi32_si128(dm0), dm1, 1));
        const __m128 ads = _mm_castpd_ps(_mm_loadh_pd(_mm_load_sd((const double *)&a[i].d), (const double *)&a[i + 1].d));
        const __m128 prod = _mm_mul_ps(dmf, ads);
        summ = _mm_add_ps(summ, prod);
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p0), _mm256_broadcastss_ps(prod), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p1), _mm256_broadcastss_ps(_mm_movehl_ps(prod, prod)), acc1);
    }
    float tail = 0.0f;
    for (; i < nb; i++) {
        __m256i w0, w1;
        unpack_q4(w[i].qs, &w0, &w1);
        const __m256i p = dot_i16(w0, w1, a[i].qs);
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(hk_fp16_to_fp32(w[i].d) * a[i].d), acc0);
        tail += hk_fp16_to_fp32(w[i].m) * a[i].s;
    }
    // lanes 1 and 3 of summ hold m*s
    const __m128 ms = _mm_add_ps(summ, _mm_movehl_ps(summ, summ));
    return hsum256(_mm256_add_ps(acc0, acc1)) + _mm_cvtss_f32(_mm_shuffle_ps(ms, ms, 1)) + tail;
#else
    float sum = 0.0f;
    for (int i = 0; i < nb; i++) {
        int isum = 0;
        for (int j = 0; j < HK_QK / 2; j++) {
            isum += (w[i].qs[j] & 0x0F) * a[i].qs[j] + (w[i].qs[j] >> 4) * a[i].qs[j + HK_QK / 2];
        }
        sum += hk_fp16_to_fp32(w[i].d) * a[i].d * (float)isum + hk_fp16_to_fp32(w[i].m) * a[i].s;
    }
    return sum;
#endif
}

static float dot_q8_0(const hk_block_q8_0 *w, const hk_q8_act *a, int nb) {
#if defined(HK_X86)
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 1 < nb; i += 2) {
        __m256i w0, w1, v0, v1;
        unpack_q8(w[i].qs, &w0, &w1);
        unpack_q8(w[i + 1].qs, &v0, &v1);
        const __m256i p0 = dot_i16(w0, w1, a[i].qs);
        const __m256i p1 = dot_i16(v0, v1, a[i + 1].qs);
        // both blocks' fp16 scales in one conversion, times the activations' scales
        const __m128 d = _mm_cvtph_ps(_mm_insert_epi16(_mm_cvtsi32_si128(w[i].d), w[i + 1].d, 1));
        const __m128 prod = _mm_mul_ps(d, _mm_setr_ps(a[i].d, a[i + 1].d, 0.0f, 0.0f));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p0), _mm256_broadcastss_ps(prod), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p1), _mm256_broadcastss_ps(_mm_movehdup_ps(prod)), acc1);
    }
    for (; i < nb; i++) {
        __m256i w0, w1;
        unpack_q8(w[i].qs, &w0, &w1);
        const __m256i p0 = dot_i16(w0, w1, a[i].qs);
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p0), _mm256_set1_ps(hk_fp16_to_fp32(w[i].d) * a[i].d), acc0);
    }
    return hsum256(_mm256_add_ps(acc0, acc1));
#else
    float sum = 0.0f;
    for (int i = 0; i < nb; i++) {
        int isum = 0;
        for (int j = 0; j < HK_QK; j++) isum += w[i].qs[j] * a[i].qs[j];
        sum += hk_fp16_to_fp32(w[i].d) * a[i].d * (float)isum;
    }
    return sum;
#endif
}

static float dot_f32(const float *w, const float *x, int n) {
    float sum = 0.0f;
    int i = 0;
#if defined(HK_X86)
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), acc1);
    }
    sum = hsum256(_mm256_add_ps(acc0, acc1));
#endif
    for (; i < n; i++) sum += w[i] * x[i];
    return sum;
}

static float dot_f16(const uint16_t *w, const float *x, int n) {
    float sum = 0.0f;
    int i = 0;
#if defined(HK_X86)
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (; i + 16 <= n; i += 16) {
        const __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + i)));
        const __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + i + 8)));
        acc0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + i), acc0);
        acc1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + i + 8), acc1);
    }
    sum = hsum256(_mm256_add_ps(acc0, acc1));
#endif
    for (; i < n; i++) sum += hk_fp16_to_fp32(w[i]) * x[i];
    return sum;
}

float hk_dot_row(int type, const void *row, const float *x, const hk_q8_act *xq, int n) {
    switch (type) {
    case HK_F32: return dot_f32((const float *)row, x, n);
    case HK_F16: return dot_f16((const uint16_t *)row, x, n);
    case HK_Q8_0: return dot_q8_0((const hk_block_q8_0 *)row, xq, n / HK_QK);
    case HK_Q4_1: return dot_q4_1((const hk_block_q4_1 *)row, xq, n / HK_QK);
    default: return 0.0f;
    }
}

// ---------------------------------------------------------------------------------------------
// Matrix products. Several tokens share each unpacked weight block (prefill), so a weight row is
// read from memory once per call rather than once per token.

#if defined(HK_X86)
// One weight row against N tokens (N <= 8, a constant after inlining): each block is unpacked once
// and used N times. Prefill uses N = 8 while it can, then one tile for the rest (decoding calls
// carry 1-4 tokens: the decision and the grammar's forced tokens).
static inline __attribute__((always_inline)) void rows_n(int type, const void *row, const hk_q8_act *a, int nb, const int N,
                                                         float *out) {
    __m256 c[8];
    float m[8];
    for (int t = 0; t < N; t++) { c[t] = _mm256_setzero_ps(); m[t] = 0.0f; }
    const hk_block_q4_1 *w4 = (const hk_block_q4_1 *)row;
    const hk_block_q8_0 *w8 = (const hk_block_q8_0 *)row;
    for (int i = 0; i < nb; i++) {
        __m256i w0, w1;
        float d;
        if (type == HK_Q4_1) {
            unpack_q4(w4[i].qs, &w0, &w1);
            d = hk_fp16_to_fp32(w4[i].d);
            const float mm = hk_fp16_to_fp32(w4[i].m);
            for (int t = 0; t < N; t++) m[t] += mm * a[(size_t)t * nb + i].s;
        } else {
            unpack_q8(w8[i].qs, &w0, &w1);
            d = hk_fp16_to_fp32(w8[i].d);
        }
        for (int t = 0; t < N; t++) {
            const hk_q8_act *at = a + (size_t)t * nb + i;
            c[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_i16(w0, w1, at->qs)), _mm256_set1_ps(d * at->d), c[t]);
        }
    }
    for (int t = 0; t < N; t++) out[t] = hsum256(c[t]) + m[t];
}

static void rows_tile(int type, const void *row, const hk_q8_act *a, int nb, int n, float *out) {
    switch (n) {
    case 8: rows_n(type, row, a, nb, 8, out); break;
    case 7: rows_n(type, row, a, nb, 7, out); break;
    case 6: rows_n(type, row, a, nb, 6, out); break;
    case 5: rows_n(type, row, a, nb, 5, out); break;
    case 4: rows_n(type, row, a, nb, 4, out); break;
    case 3: rows_n(type, row, a, nb, 3, out); break;
    case 2: rows_n(type, row, a, nb, 2, out); break;
    default: break;
    }
}
#endif

void hk_matmul(int type, const void *w, size_t row_bytes, int n, int r0, int r1,
               const float *x, const hk_q8_act *xq, int ntok, float *out, int out_stride) {
    const int nb = n / HK_QK;
    const char *base = (const char *)w;
    for (int r = r0; r < r1; r++) {
        const void *row = base + (size_t)r * row_bytes;
        int t = 0;
#if defined(HK_X86)
        if ((type == HK_Q4_1 || type == HK_Q8_0) && ntok >= 2) {
            float o[8];
            while (t + 1 < ntok) {
                const int k = ntok - t >= 8 ? 8 : ntok - t;
                rows_tile(type, row, xq + (size_t)t * nb, nb, k, o);
                for (int j = 0; j < k; j++) out[(size_t)(t + j) * out_stride + r] = o[j];
                t += k;
            }
        }
#endif
        for (; t < ntok; t++) {
            out[(size_t)t * out_stride + r] =
                hk_dot_row(type, row, x ? x + (size_t)t * n : NULL, xq ? xq + (size_t)t * nb : NULL, n);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Repacked Q4_1: eight rows per vector lane set (see hk_block_q4_1x8)

void hk_repack_q4_1x8(const void *src, size_t row_bytes, int rows, int n, hk_block_q4_1x8 *dst) {
    const int nb = n / HK_QK;
    const char *base = (const char *)src;
    for (int g = 0; g < rows / 8; g++) {
        for (int i = 0; i < nb; i++) {
            hk_block_q4_1x8 *b = dst + (size_t)g * nb + i;
            for (int r = 0; r < 8; r++) {
                const hk_block_q4_1 *s = (const hk_block_q4_1 *)(base + (size_t)(g * 8 + r) * row_bytes) + i;
                b->d[r] = s->d;
                b->m[r] = s->m;
                // Byte j of a Q4_1 block holds elements j and j+16, which is what load j/2 wants:
                // bytes 2l and 2l+1 of each row go to load l, the rows side by side.
                for (int l = 0; l < 8; l++) memcpy(b->qs + l * 16 + r * 2, s->qs + 2 * l, 2);
            }
        }
    }
}

#if defined(HK_X86)
static inline __m256i dpwssd(__m256i acc, __m256i w, __m256i a) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    return _mm256_dpwssd_epi32(acc, w, a);
#elif defined(__AVXVNNI__)
    return _mm256_dpwssd_avx_epi32(acc, w, a);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(w, a));
#endif
}

// Eight rows (one group) against N tokens (N <= 8, a constant after inlining); lane r of each
// accumulator is row r. Per block: the int32 sums of the two halves of the nibbles, then
// d_w * d_a * sum + m_w * s_a, as the row-by-row kernel computes it.
static inline __attribute__((always_inline)) void q4x8_n(const hk_block_q4_1x8 *g, const hk_q8_act *a, int nb, const int N,
                                                         float *out, int out_stride) {
    __m256 c[8];
    for (int t = 0; t < N; t++) c[t] = _mm256_setzero_ps();
    const __m128i mask = _mm_set1_epi8(0x0F);
    for (int i = 0; i < nb; i++) {
        const hk_block_q4_1x8 *b = g + i;
        __m256i acc[8];
        for (int t = 0; t < N; t++) acc[t] = _mm256_setzero_si256();
        for (int l = 0; l < 8; l++) {
            const __m128i raw = _mm_loadu_si128((const __m128i *)(b->qs + l * 16));
            const __m256i lo = _mm256_cvtepu8_epi16(_mm_and_si128(raw, mask));
            const __m256i hi = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(raw, 4), mask));
            for (int t = 0; t < N; t++) {
                const int32_t *pairs = (const int32_t *)a[(size_t)t * nb + i].qs;
                acc[t] = dpwssd(acc[t], lo, _mm256_set1_epi32(pairs[l]));
                acc[t] = dpwssd(acc[t], hi, _mm256_set1_epi32(pairs[l + 8]));
            }
        }
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)b->d));
        const __m256 mw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)b->m));
        for (int t = 0; t < N; t++) {
            const hk_q8_act *at = a + (size_t)t * nb + i;
            c[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[t]), _mm256_mul_ps(dw, _mm256_set1_ps(at->d)), c[t]);
            c[t] = _mm256_fmadd_ps(mw, _mm256_set1_ps(at->s), c[t]);
        }
    }
    for (int t = 0; t < N; t++) _mm256_storeu_ps(out + (size_t)t * out_stride, c[t]);
}

static void q4x8_tile(const hk_block_q4_1x8 *g, const hk_q8_act *a, int nb, int n, float *out, int out_stride) {
    switch (n) {
    case 8: q4x8_n(g, a, nb, 8, out, out_stride); break;
    case 7: q4x8_n(g, a, nb, 7, out, out_stride); break;
    case 6: q4x8_n(g, a, nb, 6, out, out_stride); break;
    case 5: q4x8_n(g, a, nb, 5, out, out_stride); break;
    case 4: q4x8_n(g, a, nb, 4, out, out_stride); break;
    case 3: q4x8_n(g, a, nb, 3, out, out_stride); break;
    case 2: q4x8_n(g, a, nb, 2, out, out_stride); break;
    case 1: q4x8_n(g, a, nb, 1, out, out_stride); break;
    default: break;
    }
}
#endif

void hk_matmul_q4_1x8(const hk_block_q4_1x8 *w, int n, int r0, int r1, const hk_q8_act *xq, int ntok,
                      float *out, int out_stride) {
    const int nb = n / HK_QK;
    for (int g = r0 / 8; g < r1 / 8; g++) {
        const hk_block_q4_1x8 *group = w + (size_t)g * nb;
#if defined(HK_X86)
        for (int t = 0; t < ntok; t += 8) {
            const int k = ntok - t >= 8 ? 8 : ntok - t;
            q4x8_tile(group, xq + (size_t)t * nb, nb, k, out + (size_t)t * out_stride + g * 8, out_stride);
        }
#else
        for (int t = 0; t < ntok; t++) {
            const hk_q8_act *a = xq + (size_t)t * nb;
            for (int r = 0; r < 8; r++) {
                float sum = 0.0f;
                for (int i = 0; i < nb; i++) {
                    const hk_block_q4_1x8 *b = group + i;
                    int isum = 0;
                    for (int l = 0; l < 8; l++) {
                        for (int e = 0; e < 2; e++) {
                            const uint8_t q = b->qs[l * 16 + r * 2 + e];
                            isum += (q & 0x0F) * a[i].qs[2 * l + e] + (q >> 4) * a[i].qs[2 * l + 16 + e];
                        }
                    }
                    sum += hk_fp16_to_fp32(b->d[r]) * a[i].d * (float)isum + hk_fp16_to_fp32(b->m[r]) * a[i].s;
                }
                out[(size_t)t * out_stride + g * 8 + r] = sum;
            }
        }
#endif
    }
}

void hk_matvec_rows(int type, const void *w, size_t row_bytes, int n, const int32_t *rows, int nrows,
                    const float *x, const hk_q8_act *xq, float *out) {
    const char *base = (const char *)w;
    for (int i = 0; i < nrows; i++) {
        out[i] = hk_dot_row(type, base + (size_t)rows[i] * row_bytes, x, xq, n);
    }
}

// ---------------------------------------------------------------------------------------------
// Low-rank adapter term

void hk_lora_add(const uint16_t *a, const uint16_t *bt, int in, int out, int rank, float scale,
                 const float *x, int x_stride, int ntok, float *y, int y_stride) {
    float h[HK_LORA_MAX_RANK];
    for (int t = 0; t < ntok; t++) {
        hk_lora_down(a, in, rank, scale, x + (size_t)t * x_stride, x_stride, 1, h);
        hk_lora_up_rows(bt, out, rank, h, 1, 0, out, y + (size_t)t * y_stride, y_stride);
    }
}

void hk_lora_down(const uint16_t *a, int in, int rank, float scale, const float *x, int x_stride, int ntok, float *h) {
    for (int t = 0; t < ntok; t++) {
        for (int k = 0; k < rank; k++) h[(size_t)t * rank + k] = scale * dot_f16(a + (size_t)k * in, x + (size_t)t * x_stride, in);
    }
}

void hk_lora_up_rows(const uint16_t *bt, int out, int rank, const float *h, int ntok, int r0, int r1,
                     float *y, int y_stride) {
    for (int t = 0; t < ntok; t++) {
        const float *ht = h + (size_t)t * rank;
        float *yt = y + (size_t)t * y_stride;
        int o = r0;
#if defined(HK_X86)
        // Thirty-two outputs at a time while they last (four independent chains), then eight:
        // each B^T row segment is read once per token.
        for (; o + 32 <= r1; o += 32) {
            __m256 c0 = _mm256_loadu_ps(yt + o), c1 = _mm256_loadu_ps(yt + o + 8);
            __m256 c2 = _mm256_loadu_ps(yt + o + 16), c3 = _mm256_loadu_ps(yt + o + 24);
            for (int k = 0; k < rank; k++) {
                const uint16_t *b = bt + (size_t)k * out + o;
                const __m256 hk = _mm256_set1_ps(ht[k]);
                c0 = _mm256_fmadd_ps(hk, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)b)), c0);
                c1 = _mm256_fmadd_ps(hk, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b + 8))), c1);
                c2 = _mm256_fmadd_ps(hk, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b + 16))), c2);
                c3 = _mm256_fmadd_ps(hk, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b + 24))), c3);
            }
            _mm256_storeu_ps(yt + o, c0);
            _mm256_storeu_ps(yt + o + 8, c1);
            _mm256_storeu_ps(yt + o + 16, c2);
            _mm256_storeu_ps(yt + o + 24, c3);
        }
        for (; o + 8 <= r1; o += 8) {
            __m256 c = _mm256_loadu_ps(yt + o);
            for (int k = 0; k < rank; k++) {
                c = _mm256_fmadd_ps(_mm256_set1_ps(ht[k]), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(bt + (size_t)k * out + o))), c);
            }
            _mm256_storeu_ps(yt + o, c);
        }
#endif
        for (; o < r1; o++) {
            float sum = yt[o];
            for (int k = 0; k < rank; k++) sum += ht[k] * hk_fp16_to_fp32(bt[(size_t)k * out + o]);
            yt[o] = sum;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Attention

#if defined(__AVX512F__)
// e^x for 16 lanes: 2^n * 2^f with n = round(x log2 e), f in [-0.5, 0.5], 2^f by its Taylor
// series to degree 6 (coefficients ln2^k / k!; relative error about 1e-7), then scalef.
static inline __m512 exp512(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
    const __m512 t = _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f));
    const __m512 n = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512 f = _mm512_sub_ps(t, n);
    __m512 p = _mm512_set1_ps(1.540353039338e-4f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.333355814643e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.618129107629e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.550410866482e-2f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.402265069591e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.931471805599e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}
#endif

static void softmax_rows(float *scores, int rows, int span, float *inverse) {
    for (int g = 0; g < rows; g++) {
        float *row = scores + (size_t)g * span;
#if defined(__AVX512F__)
        __m512 vmax = _mm512_set1_ps(-INFINITY);
        int j = 0;
        for (; j + 16 <= span; j += 16) vmax = _mm512_max_ps(vmax, _mm512_loadu_ps(row + j));
        float maximum = _mm512_reduce_max_ps(vmax);
        for (; j < span; j++) maximum = row[j] > maximum ? row[j] : maximum;
        const __m512 m = _mm512_set1_ps(maximum);
        __m512 vsum = _mm512_setzero_ps();
        for (j = 0; j + 16 <= span; j += 16) {
            const __m512 e = exp512(_mm512_sub_ps(_mm512_loadu_ps(row + j), m));
            _mm512_storeu_ps(row + j, e);
            vsum = _mm512_add_ps(vsum, e);
        }
        float sum = _mm512_reduce_add_ps(vsum);
        for (; j < span; j++) {
            const float e = expf(row[j] - maximum);
            row[j] = e;
            sum += e;
        }
        inverse[g] = 1.0f / sum;
#else
        float maximum = -INFINITY;
        for (int j = 0; j < span; j++) maximum = row[j] > maximum ? row[j] : maximum;
        float sum = 0.0f;
        for (int j = 0; j < span; j++) {
            const float e = expf(row[j] - maximum);
            row[j] = e;
            sum += e;
        }
        inverse[g] = 1.0f / sum;
#endif
    }
}

void hk_attention_head(const float *q, const uint16_t *keys, const uint16_t *values, int span, int head_dim,
                       int stride, float scale, float *scores, float *out) {
    for (int j = 0; j < span; j++) scores[j] = dot_f16(keys + (size_t)j * stride, q, head_dim) * scale;
    float inverse;
    softmax_rows(scores, 1, span, &inverse);
    int i = 0;
#if defined(HK_X86)
    if (head_dim == 64) {
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        __m256 a4 = _mm256_setzero_ps(), a5 = _mm256_setzero_ps(), a6 = _mm256_setzero_ps(), a7 = _mm256_setzero_ps();
#define HK_V8(o) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + (o))))
        for (int j = 0; j < span; j++) {
            const uint16_t *v = values + (size_t)j * stride;
            const __m256 w = _mm256_set1_ps(scores[j]);
            a0 = _mm256_fmadd_ps(w, HK_V8(0), a0);
            a1 = _mm256_fmadd_ps(w, HK_V8(8), a1);
            a2 = _mm256_fmadd_ps(w, HK_V8(16), a2);
            a3 = _mm256_fmadd_ps(w, HK_V8(24), a3);
            a4 = _mm256_fmadd_ps(w, HK_V8(32), a4);
            a5 = _mm256_fmadd_ps(w, HK_V8(40), a5);
            a6 = _mm256_fmadd_ps(w, HK_V8(48), a6);
            a7 = _mm256_fmadd_ps(w, HK_V8(56), a7);
        }
#undef HK_V8
        const __m256 s = _mm256_set1_ps(inverse);
        _mm256_storeu_ps(out, _mm256_mul_ps(a0, s));
        _mm256_storeu_ps(out + 8, _mm256_mul_ps(a1, s));
        _mm256_storeu_ps(out + 16, _mm256_mul_ps(a2, s));
        _mm256_storeu_ps(out + 24, _mm256_mul_ps(a3, s));
        _mm256_storeu_ps(out + 32, _mm256_mul_ps(a4, s));
        _mm256_storeu_ps(out + 40, _mm256_mul_ps(a5, s));
        _mm256_storeu_ps(out + 48, _mm256_mul_ps(a6, s));
        _mm256_storeu_ps(out + 56, _mm256_mul_ps(a7, s));
        return;
    }
#endif
    for (i = 0; i < head_dim; i++) out[i] = 0.0f;
    for (int j = 0; j < span; j++) {
        const uint16_t *v = values + (size_t)j * stride;
        const float w = scores[j];
        for (i = 0; i < head_dim; i++) out[i] += w * hk_fp16_to_fp32(v[i]);
    }
    for (i = 0; i < head_dim; i++) out[i] *= inverse;
}

void hk_attention_group(const float *q, int group, const uint16_t *keys, const uint16_t *values, int span, int head_dim,
                        int stride, float scale, float *scores, float *out) {
#if defined(__AVX512F__)
    if (group == 3 && head_dim == 64) {
#define HK_H16(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p)))
        const __m512 q00 = _mm512_loadu_ps(q), q01 = _mm512_loadu_ps(q + 16), q02 = _mm512_loadu_ps(q + 32), q03 = _mm512_loadu_ps(q + 48);
        const __m512 q10 = _mm512_loadu_ps(q + 64), q11 = _mm512_loadu_ps(q + 80), q12 = _mm512_loadu_ps(q + 96), q13 = _mm512_loadu_ps(q + 112);
        const __m512 q20 = _mm512_loadu_ps(q + 128), q21 = _mm512_loadu_ps(q + 144), q22 = _mm512_loadu_ps(q + 160), q23 = _mm512_loadu_ps(q + 176);
        for (int j = 0; j < span; j++) {
            const uint16_t *k = keys + (size_t)j * stride;
            const __m512 k0 = HK_H16(k), k1 = HK_H16(k + 16), k2 = HK_H16(k + 32), k3 = HK_H16(k + 48);
            const __m512 d0 = _mm512_fmadd_ps(q03, k3, _mm512_fmadd_ps(q02, k2, _mm512_fmadd_ps(q01, k1, _mm512_mul_ps(q00, k0))));
            const __m512 d1 = _mm512_fmadd_ps(q13, k3, _mm512_fmadd_ps(q12, k2, _mm512_fmadd_ps(q11, k1, _mm512_mul_ps(q10, k0))));
            const __m512 d2 = _mm512_fmadd_ps(q23, k3, _mm512_fmadd_ps(q22, k2, _mm512_fmadd_ps(q21, k1, _mm512_mul_ps(q20, k0))));
            scores[j] = _mm512_reduce_add_ps(d0) * scale;
            scores[span + j] = _mm512_reduce_add_ps(d1) * scale;
            scores[2 * span + j] = _mm512_reduce_add_ps(d2) * scale;
        }
        float inverse[3];
        softmax_rows(scores, 3, span, inverse);
        __m512 a00 = _mm512_setzero_ps(), a01 = _mm512_setzero_ps(), a02 = _mm512_setzero_ps(), a03 = _mm512_setzero_ps();
        __m512 a10 = _mm512_setzero_ps(), a11 = _mm512_setzero_ps(), a12 = _mm512_setzero_ps(), a13 = _mm512_setzero_ps();
        __m512 a20 = _mm512_setzero_ps(), a21 = _mm512_setzero_ps(), a22 = _mm512_setzero_ps(), a23 = _mm512_setzero_ps();
        for (int j = 0; j < span; j++) {
            const uint16_t *v = values + (size_t)j * stride;
            const __m512 v0 = HK_H16(v), v1 = HK_H16(v + 16), v2 = HK_H16(v + 32), v3 = HK_H16(v + 48);
            const __m512 p0 = _mm512_set1_ps(scores[j]), p1 = _mm512_set1_ps(scores[span + j]), p2 = _mm512_set1_ps(scores[2 * span + j]);
            a00 = _mm512_fmadd_ps(p0, v0, a00); a01 = _mm512_fmadd_ps(p0, v1, a01); a02 = _mm512_fmadd_ps(p0, v2, a02); a03 = _mm512_fmadd_ps(p0, v3, a03);
            a10 = _mm512_fmadd_ps(p1, v0, a10); a11 = _mm512_fmadd_ps(p1, v1, a11); a12 = _mm512_fmadd_ps(p1, v2, a12); a13 = _mm512_fmadd_ps(p1, v3, a13);
            a20 = _mm512_fmadd_ps(p2, v0, a20); a21 = _mm512_fmadd_ps(p2, v1, a21); a22 = _mm512_fmadd_ps(p2, v2, a22); a23 = _mm512_fmadd_ps(p2, v3, a23);
        }
        const __m512 i0 = _mm512_set1_ps(inverse[0]), i1 = _mm512_set1_ps(inverse[1]), i2 = _mm512_set1_ps(inverse[2]);
        _mm512_storeu_ps(out, _mm512_mul_ps(a00, i0)); _mm512_storeu_ps(out + 16, _mm512_mul_ps(a01, i0));
        _mm512_storeu_ps(out + 32, _mm512_mul_ps(a02, i0)); _mm512_storeu_ps(out + 48, _mm512_mul_ps(a03, i0));
        _mm512_storeu_ps(out + 64, _mm512_mul_ps(a10, i1)); _mm512_storeu_ps(out + 80, _mm512_mul_ps(a11, i1));
        _mm512_storeu_ps(out + 96, _mm512_mul_ps(a12, i1)); _mm512_storeu_ps(out + 112, _mm512_mul_ps(a13, i1));
        _mm512_storeu_ps(out + 128, _mm512_mul_ps(a20, i2)); _mm512_storeu_ps(out + 144, _mm512_mul_ps(a21, i2));
        _mm512_storeu_ps(out + 160, _mm512_mul_ps(a22, i2)); _mm512_storeu_ps(out + 176, _mm512_mul_ps(a23, i2));
#undef HK_H16
        return;
    }
#endif
    for (int g = 0; g < group; g++) {
        hk_attention_head(q + (size_t)g * head_dim, keys, values, span, head_dim, stride, scale, scores, out + (size_t)g * head_dim);
    }
}
