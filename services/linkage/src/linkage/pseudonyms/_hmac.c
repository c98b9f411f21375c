/* HMAC-SHA-256 over many values in one call, with the GIL released.
 *
 * hmac_batch(inner, outer, offsets, data, start, count, wide, digest_bytes) -> bytes
 *   inner, outer: the 64-byte key blocks (key XOR ipad, followed by a context tag of at most
 *                 64 bytes, and key XOR opad);
 *   offsets, data: the buffers of an Arrow binary (wide = 0, int32 offsets) or large binary
 *                 (wide = 1, int64 offsets) array, whose values start at index ``start``;
 *   returns count * digest_bytes bytes: each value's HMAC truncated to digest_bytes.
 * The caller checks that offsets and data cover ``start + count`` values.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#ifdef HDH_OPENSSL
/* OpenSSL's block function uses the CPU's SHA extensions where present. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
typedef SHA256_CTX Sha;
static void sha_init(Sha *s) { SHA256_Init(s); }
static void sha_update(Sha *s, const uint8_t *data, size_t size) { SHA256_Update(s, data, size); }
static void sha_final(Sha *s, uint8_t out[32]) { SHA256_Final(out, s); }
#else

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};
static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void compress(uint32_t state[8], const uint8_t block[64]) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++) {
        w[i] = ((uint32_t)block[4 * i] << 24) | ((uint32_t)block[4 * i + 1] << 16) |
               ((uint32_t)block[4 * i + 2] << 8) | (uint32_t)block[4 * i + 3];
    }
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    state[0] += a; state[1] += b; state[2] += c; state[3] += d;
    state[4] += e; state[5] += f; state[6] += g; state[7] += h;
}

typedef struct {
    uint32_t state[8];
    uint8_t buffer[64];
    size_t used;
    uint64_t total;
} Sha;

static void sha_init(Sha *s) {
    memcpy(s->state, H0, sizeof H0);
    s->used = 0;
    s->total = 0;
}

static void sha_update(Sha *s, const uint8_t *data, size_t size) {
    s->total += size;
    while (size > 0) {
        size_t take = 64 - s->used;
        if (take > size) take = size;
        memcpy(s->buffer + s->used, data, take);
        s->used += take;
        data += take;
        size -= take;
        if (s->used == 64) {
            compress(s->state, s->buffer);
            s->used = 0;
        }
    }
}

static void sha_final(Sha *s, uint8_t out[32]) {
    uint64_t bits = s->total * 8;
    s->buffer[s->used++] = 0x80;
    if (s->used > 56) {
        memset(s->buffer + s->used, 0, 64 - s->used);
        compress(s->state, s->buffer);
        s->used = 0;
    }
    memset(s->buffer + s->used, 0, 56 - s->used);
    for (int i = 0; i < 8; i++) s->buffer[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    compress(s->state, s->buffer);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(s->state[i] >> 24);
        out[4 * i + 1] = (uint8_t)(s->state[i] >> 16);
        out[4 * i + 2] = (uint8_t)(s->state[i] >> 8);
        out[4 * i + 3] = (uint8_t)s->state[i];
    }
}

#endif

static PyObject *hmac_batch(PyObject *self, PyObject *args) {
    Py_buffer inner, outer, offsets, data;
    Py_ssize_t start, count, digest_bytes;
    int wide;
    if (!PyArg_ParseTuple(args, "y*y*y*y*nnpn", &inner, &outer, &offsets, &data, &start, &count,
                          &wide, &digest_bytes)) {
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t width = wide ? 8 : 4;
    if (outer.len != 64 || inner.len < 64 || inner.len > 128 || digest_bytes < 1 ||
        digest_bytes > 32 || start < 0 || count < 0 ||
        (start + count + 1) * width > offsets.len) {
        PyErr_SetString(PyExc_ValueError, "hmac_batch: inconsistent arguments");
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, count * digest_bytes);
    if (result == NULL) goto done;
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(result);
    const uint8_t *bytes = (const uint8_t *)data.buf;
    int bad = 0;
    Sha inner_mid, outer_mid;
    sha_init(&inner_mid);
    sha_update(&inner_mid, (const uint8_t *)inner.buf, (size_t)inner.len);
    sha_init(&outer_mid);
    sha_update(&outer_mid, (const uint8_t *)outer.buf, 64);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count; i++) {
        int64_t begin, end;
        if (wide) {
            begin = ((const int64_t *)offsets.buf)[start + i];
            end = ((const int64_t *)offsets.buf)[start + i + 1];
        } else {
            begin = ((const int32_t *)offsets.buf)[start + i];
            end = ((const int32_t *)offsets.buf)[start + i + 1];
        }
        if (begin < 0 || end < begin || end > data.len) {
            bad = 1;
            break;
        }
        uint8_t digest[32];
        Sha s = inner_mid;
        sha_update(&s, bytes + begin, (size_t)(end - begin));
        sha_final(&s, digest);
        Sha o = outer_mid;
        sha_update(&o, digest, 32);
        sha_final(&o, digest);
        memcpy(out + i * digest_bytes, digest, (size_t)digest_bytes);
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        Py_CLEAR(result);
        PyErr_SetString(PyExc_ValueError, "hmac_batch: offsets outside the data");
    }
done:
    PyBuffer_Release(&inner);
    PyBuffer_Release(&outer);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&data);
    return result;
}

static PyMethodDef methods[] = {
    {"hmac_batch", hmac_batch, METH_VARARGS, "HMAC-SHA-256 of many values, truncated."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_hmac", NULL, -1, methods};

PyMODINIT_FUNC PyInit__hmac(void) { return PyModule_Create(&module); }
