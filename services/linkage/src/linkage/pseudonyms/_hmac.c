/* HMAC-SHA-256 pseudonyms and NIR checks over Arrow buffers, with the GIL released.
 *
 * hmac_batch(inner, outer, offsets, data, start, count, wide, digest_bytes) -> bytes
 *   inner, outer: the 64-byte key blocks (key XOR ipad, followed by a context tag of at most
 *                 64 bytes, and key XOR opad);
 *   offsets, data: the buffers of an Arrow binary (wide = 0, int32 offsets) or large binary
 *                 (wide = 1, int64 offsets) array, whose values start at index ``start``;
 *   returns count * digest_bytes bytes: each value's HMAC truncated to digest_bytes.
 *
 * pseudonyms(inner, outer, validity, offsets, data, start, count, wide, digest_bytes, threads,
 *            dedupe) -> (validity or None, offsets, data, null_count, hashed)
 *   the buffers of an Arrow string array (int32 offsets, nulls empty) holding each non-null
 *   value's truncated HMAC, base64url-encoded (digest_bytes a multiple of 3); ``validity``
 *   is the input's bitmap or None. A run of one value is hashed once and, with ``dedupe``,
 *   any value repeated within a slice (a hash table); slices are run by ``threads`` threads.
 *   ``hashed`` = HMACs computed.
 *
 * nir_status(validity, offsets, data, start, count, wide) -> bytes
 *   one status per value, for values that normalisation leaves as they are (only ASCII
 *   digits and capital letters; empty ones are missing): NIR_NULL, NIR_LENGTH,
 *   NIR_CHARACTERS, NIR_SEX, NIR_KEY (the first rule broken) or NIR_VALID; NIR_OTHER for
 *   all other values (lower case, separators, spaces, other characters), which the caller
 *   normalises and classifies.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <pthread.h>

static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#ifdef HDH_OPENSSL
/* OpenSSL's block function uses the CPU's SHA extensions where present. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
typedef SHA256_CTX Sha;
static void sha_init(Sha *s) { SHA256_Init(s); }
static void sha_update(Sha *s, const uint8_t *data, size_t size) { SHA256_Update(s, data, size); }
static void sha_final(Sha *s, uint8_t out[32]) { SHA256_Final(out, s); }
/* One compression of ``block`` into ``state`` (no padding, no length). */
static void sha_block(uint32_t state[8], const uint8_t block[64]) {
    SHA256_CTX c;
    memcpy(c.h, state, 32);
    SHA256_Transform(&c, block);
    memcpy(state, c.h, 32);
}
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

static void sha_block(uint32_t state[8], const uint8_t block[64]) { compress(state, block); }

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

/* An Arrow binary or string column (int32 or int64 offsets), seen from index ``start``. */
typedef struct {
    const uint8_t *validity; /* NULL when there are no nulls */
    const uint8_t *offsets;
    const uint8_t *data;
    Py_ssize_t data_len;
    Py_ssize_t start;
    int wide;
} Column;

static inline int column_valid(const Column *c, Py_ssize_t i) {
    if (c->validity == NULL) return 1;
    Py_ssize_t bit = c->start + i;
    return (c->validity[bit >> 3] >> (bit & 7)) & 1;
}

/* The bounds of value i; 0 when they fall outside the data. */
static inline int column_value(const Column *c, Py_ssize_t i, const uint8_t **value,
                               size_t *size) {
    int64_t begin, end;
    Py_ssize_t k = c->start + i;
    if (c->wide) {
        begin = ((const int64_t *)c->offsets)[k];
        end = ((const int64_t *)c->offsets)[k + 1];
    } else {
        begin = ((const int32_t *)c->offsets)[k];
        end = ((const int32_t *)c->offsets)[k + 1];
    }
    if (begin < 0 || end < begin || end > c->data_len) return 0;
    *value = c->data + begin;
    *size = (size_t)(end - begin);
    return 1;
}

/* Parses the buffers shared by pseudonyms() and nir_status(); 0 with an exception set. */
static int column_from(Column *c, Py_buffer *validity, int has_validity, Py_buffer *offsets,
                       Py_buffer *data, Py_ssize_t start, Py_ssize_t count, int wide) {
    Py_ssize_t width = wide ? 8 : 4;
    if (start < 0 || count < 0 || (start + count + 1) * width > offsets->len ||
        (has_validity && (start + count + 7) / 8 > validity->len)) {
        PyErr_SetString(PyExc_ValueError, "inconsistent Arrow buffers");
        return 0;
    }
    c->validity = has_validity ? (const uint8_t *)validity->buf : NULL;
    c->offsets = (const uint8_t *)offsets->buf;
    c->data = (const uint8_t *)data->buf;
    c->data_len = data->len;
    c->start = start;
    c->wide = wide;
    return 1;
}

static const char BASE64URL[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void base64url(const uint8_t *digest, Py_ssize_t size, uint8_t *out) {
    for (Py_ssize_t j = 0; j < size; j += 3) {
        uint32_t v = ((uint32_t)digest[j] << 16) | ((uint32_t)digest[j + 1] << 8) | digest[j + 2];
        *out++ = (uint8_t)BASE64URL[(v >> 18) & 63];
        *out++ = (uint8_t)BASE64URL[(v >> 12) & 63];
        *out++ = (uint8_t)BASE64URL[(v >> 6) & 63];
        *out++ = (uint8_t)BASE64URL[v & 63];
    }
}

static inline uint64_t value_hash(const uint8_t *p, size_t size) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)size;
    while (size >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
        h ^= h >> 32;
        p += 8;
        size -= 8;
    }
    uint64_t tail = 0;
    memcpy(&tail, p, size);
    h = (h ^ tail) * 0xC4CEB9FE1A85EC53ULL;
    return h ^ (h >> 29);
}

/* The HMAC of one key: midstates after the key blocks, and the context tag that follows. */
typedef struct {
    Sha inner_mid, outer_mid;
    uint32_t inner_state[8], outer_state[8];
    const uint8_t *tag;
    size_t tag_size;
} Key;

static void key_from(Key *k, const Py_buffer *inner, const Py_buffer *outer) {
    sha_init(&k->inner_mid);
    sha_update(&k->inner_mid, (const uint8_t *)inner->buf, (size_t)inner->len);
    sha_init(&k->outer_mid);
    sha_update(&k->outer_mid, (const uint8_t *)outer->buf, 64);
    memcpy(k->inner_state, H0, 32);
    sha_block(k->inner_state, (const uint8_t *)inner->buf);
    memcpy(k->outer_state, H0, 32);
    sha_block(k->outer_state, (const uint8_t *)outer->buf);
    k->tag = (const uint8_t *)inner->buf + 64;
    k->tag_size = (size_t)inner->len - 64;
}

static void store_be64(uint8_t *out, uint64_t v) {
    for (int i = 0; i < 8; i++) out[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void state_bytes(const uint32_t state[8], uint8_t out[32]) {
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(state[i] >> 24);
        out[4 * i + 1] = (uint8_t)(state[i] >> 16);
        out[4 * i + 2] = (uint8_t)(state[i] >> 8);
        out[4 * i + 3] = (uint8_t)state[i];
    }
}

/* HMAC-SHA-256 of tag + value: one compression each for the inner and outer hashes when
 * tag and value fit in one padded block, else the general update/final path. */
static void hmac(const Key *k, const uint8_t *value, size_t size, uint8_t digest[32]) {
    uint8_t block[64];
    if (k->tag_size + size + 9 <= 64) {
        uint32_t state[8];
        memcpy(state, k->inner_state, 32);
        memcpy(block, k->tag, k->tag_size);
        memcpy(block + k->tag_size, value, size);
        size_t used = k->tag_size + size;
        block[used] = 0x80;
        memset(block + used + 1, 0, 55 - used);
        store_be64(block + 56, (uint64_t)(64 + used) * 8);
        sha_block(state, block);
        state_bytes(state, digest);
    } else {
        Sha s = k->inner_mid;
        sha_update(&s, value, size);
        sha_final(&s, digest);
    }
    uint32_t state[8];
    memcpy(state, k->outer_state, 32);
    memcpy(block, digest, 32);
    block[32] = 0x80;
    memset(block + 33, 0, 23);
    store_be64(block + 56, (64 + 32) * 8);
    sha_block(state, block);
    state_bytes(state, digest);
}

typedef struct {
    const Column *column;
    const Key *key;
    Py_ssize_t from, to, digest_bytes;
    const int32_t *out_offsets;
    uint8_t *out_data;
    int dedupe;
    Py_ssize_t hashed;
    int bad;
} Slice;

typedef struct {
    uint32_t hash;
    int32_t row; /* row + 1; 0 = empty */
} Slot;

static void pseudonym_of(const Slice *s, const uint8_t *value, size_t size, uint8_t *out) {
    uint8_t digest[32];
    hmac(s->key, value, size, digest);
    base64url(digest, s->digest_bytes, out);
}

static void *hash_slice(void *arg) {
    Slice *s = (Slice *)arg;
    Py_ssize_t rows = s->to - s->from;
    size_t capacity = 16;
    while (capacity < (size_t)rows * 2) capacity <<= 1;
    Slot *table = s->dedupe ? (Slot *)calloc(capacity, sizeof(Slot)) : NULL; /* NULL: none */
    size_t mask = capacity - 1;
    size_t chars = (size_t)(s->digest_bytes / 3 * 4);
    const uint8_t *previous = NULL, *previous_out = NULL; /* a run of one value: no lookup */
    size_t previous_size = 0;
    for (Py_ssize_t i = s->from; i < s->to; i++) {
        const uint8_t *value;
        size_t size;
        if (!column_valid(s->column, i)) continue;
        if (!column_value(s->column, i, &value, &size)) {
            s->bad = 1;
            break;
        }
        uint8_t *out = s->out_data + s->out_offsets[i];
        if (previous != NULL && size == previous_size && memcmp(value, previous, size) == 0) {
            memcpy(out, previous_out, chars);
            continue;
        }
        previous = value, previous_size = size, previous_out = out;
        if (table == NULL) {
            pseudonym_of(s, value, size, out);
            s->hashed++;
            continue;
        }
        uint64_t h = value_hash(value, size);
        size_t slot = (size_t)h & mask;
        for (;;) {
            Slot *entry = &table[slot];
            if (entry->row == 0) {
                entry->row = (int32_t)(i - s->from + 1);
                entry->hash = (uint32_t)(h >> 32);
                pseudonym_of(s, value, size, out);
                s->hashed++;
                break;
            }
            if (entry->hash == (uint32_t)(h >> 32)) {
                Py_ssize_t seen = s->from + entry->row - 1;
                const uint8_t *other = NULL;
                size_t other_size = 0;
                if (column_value(s->column, seen, &other, &other_size) && other_size == size &&
                    memcmp(other, value, size) == 0) {
                    memcpy(out, s->out_data + s->out_offsets[seen], chars);
                    break;
                }
            }
            slot = (slot + 1) & mask;
        }
    }
    free(table);
    return NULL;
}

#define MAX_THREADS 16
#define ROWS_PER_THREAD 16384

static PyObject *pseudonyms(PyObject *self, PyObject *args) {
    Py_buffer inner, outer, offsets, data, validity = {0};
    PyObject *validity_object;
    Py_ssize_t start, count, digest_bytes, threads;
    int wide, dedupe;
    if (!PyArg_ParseTuple(args, "y*y*Oy*y*nnpnnp", &inner, &outer, &validity_object, &offsets,
                          &data, &start, &count, &wide, &digest_bytes, &threads, &dedupe)) {
        return NULL;
    }
    PyObject *result = NULL, *out_validity = NULL, *out_offsets = NULL, *out_data = NULL;
    int has_validity = validity_object != Py_None;
    if (has_validity && PyObject_GetBuffer(validity_object, &validity, PyBUF_SIMPLE) < 0) {
        has_validity = 0;
        goto done;
    }
    Column column;
    if (!column_from(&column, &validity, has_validity, &offsets, &data, start, count, wide)) {
        goto done;
    }
    Py_ssize_t chars = digest_bytes / 3 * 4;
    if (outer.len != 64 || inner.len < 64 || inner.len > 128 || digest_bytes < 3 ||
        digest_bytes > 32 || digest_bytes % 3 != 0 || count > (INT32_MAX - 1) / chars) {
        PyErr_SetString(PyExc_ValueError, "pseudonyms: inconsistent arguments");
        goto done;
    }
    Py_ssize_t nulls = 0;
    if (has_validity) {
        for (Py_ssize_t i = 0; i < count; i++) nulls += !column_valid(&column, i);
    }
    out_offsets = PyBytes_FromStringAndSize(NULL, (count + 1) * 4);
    out_data = PyBytes_FromStringAndSize(NULL, (count - nulls) * chars);
    out_validity = nulls ? PyBytes_FromStringAndSize(NULL, (count + 7) / 8) : Py_NewRef(Py_None);
    if (out_offsets == NULL || out_data == NULL || out_validity == NULL) goto done;
    int32_t *positions = (int32_t *)PyBytes_AS_STRING(out_offsets);
    uint8_t *bits = nulls ? (uint8_t *)PyBytes_AS_STRING(out_validity) : NULL;
    Key key;
    key_from(&key, &inner, &outer);
    if (threads < 1) threads = 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads > count / ROWS_PER_THREAD) threads = count / ROWS_PER_THREAD;
    if (threads < 1) threads = 1;
    Slice slices[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    int bad = 0;
    Py_ssize_t hashed = 0;
    Py_BEGIN_ALLOW_THREADS
    int32_t position = 0;
    if (bits != NULL) memset(bits, 0, (size_t)((count + 7) / 8));
    for (Py_ssize_t i = 0; i < count; i++) {
        positions[i] = position;
        if (column_valid(&column, i)) {
            position += (int32_t)chars;
            if (bits != NULL) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
        }
    }
    positions[count] = position;
    for (Py_ssize_t t = 0; t < threads; t++) {
        slices[t] = (Slice){&column, &key, count * t / threads, count * (t + 1) / threads,
                            digest_bytes, positions, (uint8_t *)PyBytes_AS_STRING(out_data),
                            dedupe, 0, 0};
        if (t > 0) started[t] = pthread_create(&ids[t], NULL, hash_slice, &slices[t]) == 0;
    }
    hash_slice(&slices[0]);
    for (Py_ssize_t t = 1; t < threads; t++) {
        if (started[t]) {
            pthread_join(ids[t], NULL);
        } else {
            hash_slice(&slices[t]);
        }
    }
    for (Py_ssize_t t = 0; t < threads; t++) {
        bad |= slices[t].bad;
        hashed += slices[t].hashed;
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "pseudonyms: offsets outside the data");
        goto done;
    }
    result = Py_BuildValue("OOOnn", out_validity, out_offsets, out_data, nulls, hashed);
done:
    Py_XDECREF(out_validity);
    Py_XDECREF(out_offsets);
    Py_XDECREF(out_data);
    if (has_validity) PyBuffer_Release(&validity);
    PyBuffer_Release(&inner);
    PyBuffer_Release(&outer);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&data);
    return result;
}

enum { NIR_VALID, NIR_NULL, NIR_OTHER, NIR_SEX, NIR_KEY, NIR_LENGTH, NIR_CHARACTERS };

static inline int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* The status of one value (see the top of this file). */
static int nir_one(const uint8_t *v, size_t size) {
    for (size_t i = 0; i < size; i++) {
        if (!is_digit(v[i]) && (v[i] < 'A' || v[i] > 'Z')) return NIR_OTHER;
    }
    if (size == 0) return NIR_NULL;
    if (size != 15) return NIR_LENGTH;
    for (int i = 0; i < 15; i++) {
        if (i != 6 && !is_digit(v[i])) return NIR_CHARACTERS;
    }
    int corsica = v[6] == 'A' ? 1 : v[6] == 'B' ? 2 : 0;
    if (corsica ? v[5] != '2' : !is_digit(v[6])) return NIR_CHARACTERS;
    if (!strchr("123478", v[0])) return NIR_SEX;
    uint64_t number = 0;
    for (int i = 0; i < 13; i++) {
        number = number * 10 + (i == 6 && corsica ? 0 : (uint64_t)(v[i] - '0'));
    }
    number -= (uint64_t)corsica * 1000000; /* 2A reads as 19, 2B as 18 */
    uint64_t key = (uint64_t)(v[13] - '0') * 10 + (uint64_t)(v[14] - '0');
    return key == 97 - number % 97 ? NIR_VALID : NIR_KEY;
}

static PyObject *nir_status(PyObject *self, PyObject *args) {
    Py_buffer offsets, data, validity = {0};
    PyObject *validity_object;
    Py_ssize_t start, count;
    int wide;
    if (!PyArg_ParseTuple(args, "Oy*y*nnp", &validity_object, &offsets, &data, &start, &count,
                          &wide)) {
        return NULL;
    }
    PyObject *result = NULL;
    int has_validity = validity_object != Py_None;
    if (has_validity && PyObject_GetBuffer(validity_object, &validity, PyBUF_SIMPLE) < 0) {
        has_validity = 0;
        goto done;
    }
    Column column;
    if (!column_from(&column, &validity, has_validity, &offsets, &data, start, count, wide)) {
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, count);
    if (result == NULL) goto done;
    uint8_t *status = (uint8_t *)PyBytes_AS_STRING(result);
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count; i++) {
        const uint8_t *value;
        size_t size;
        if (!column_valid(&column, i)) {
            status[i] = NIR_NULL;
        } else if (!column_value(&column, i, &value, &size)) {
            bad = 1;
            break;
        } else {
            status[i] = (uint8_t)nir_one(value, size);
        }
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        Py_CLEAR(result);
        PyErr_SetString(PyExc_ValueError, "nir_status: offsets outside the data");
    }
done:
    if (has_validity) PyBuffer_Release(&validity);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&data);
    return result;
}

static PyMethodDef methods[] = {
    {"hmac_batch", hmac_batch, METH_VARARGS, "HMAC-SHA-256 of many values, truncated."},
    {"pseudonyms", pseudonyms, METH_VARARGS, "Base64url pseudonyms of an Arrow column."},
    {"nir_status", nir_status, METH_VARARGS, "The status of each NIR of an Arrow column."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_hmac", NULL, -1, methods};

PyMODINIT_FUNC PyInit__hmac(void) { return PyModule_Create(&module); }
