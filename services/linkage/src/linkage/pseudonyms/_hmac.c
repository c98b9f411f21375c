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

#include <openssl/evp.h>

/* HMAC-SHA-256 under one key: SHA-256 contexts that have absorbed the inner block (key XOR
 * ipad, then the context tag) and the outer block (key XOR opad); each message starts from a
 * copy of them. OpenSSL's SHA-256 uses the CPU's SHA extensions where present. */
typedef struct {
    EVP_MD_CTX *inner, *outer;
} Key;

/* A thread's working context, reused for every message. */
typedef struct {
    const Key *key;
    EVP_MD_CTX *work;
} Hasher;

enum { FAILED_OFFSETS = 1, FAILED_OPENSSL = 2 };

static void set_failure(const char *function, int failed) {
    if (failed == FAILED_OFFSETS) {
        PyErr_Format(PyExc_ValueError, "%s: offsets outside the data", function);
    } else {
        PyErr_Format(PyExc_RuntimeError, "%s: OpenSSL's SHA-256 failed", function);
    }
}

static void key_free(Key *k) {
    EVP_MD_CTX_free(k->inner);
    EVP_MD_CTX_free(k->outer);
}

/* 0 with an exception set when OpenSSL fails. */
static int key_from(Key *k, const Py_buffer *inner, const Py_buffer *outer) {
    k->inner = EVP_MD_CTX_new();
    k->outer = EVP_MD_CTX_new();
    if (k->inner == NULL || k->outer == NULL ||
        !EVP_DigestInit_ex2(k->inner, EVP_sha256(), NULL) ||
        !EVP_DigestUpdate(k->inner, inner->buf, (size_t)inner->len) ||
        !EVP_DigestInit_ex2(k->outer, EVP_sha256(), NULL) ||
        !EVP_DigestUpdate(k->outer, outer->buf, 64)) {
        key_free(k);
        PyErr_SetString(PyExc_RuntimeError, "OpenSSL could not set up SHA-256");
        return 0;
    }
    return 1;
}

/* HMAC-SHA-256 of the key's tag followed by ``value``; 0 when OpenSSL fails. */
static int hmac(Hasher *h, const uint8_t *value, size_t size, uint8_t digest[32]) {
    return EVP_MD_CTX_copy_ex(h->work, h->key->inner) &&
           EVP_DigestUpdate(h->work, value, size) &&
           EVP_DigestFinal_ex(h->work, digest, NULL) &&
           EVP_MD_CTX_copy_ex(h->work, h->key->outer) &&
           EVP_DigestUpdate(h->work, digest, 32) &&
           EVP_DigestFinal_ex(h->work, digest, NULL);
}

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
    Key key;
    if (!key_from(&key, &inner, &outer)) {
        Py_CLEAR(result);
        goto done;
    }
    Hasher hasher = {&key, EVP_MD_CTX_new()};
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(result);
    const uint8_t *bytes = (const uint8_t *)data.buf;
    int failed = hasher.work == NULL ? FAILED_OPENSSL : 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count && !failed; i++) {
        int64_t begin, end;
        if (wide) {
            begin = ((const int64_t *)offsets.buf)[start + i];
            end = ((const int64_t *)offsets.buf)[start + i + 1];
        } else {
            begin = ((const int32_t *)offsets.buf)[start + i];
            end = ((const int32_t *)offsets.buf)[start + i + 1];
        }
        uint8_t digest[32];
        if (begin < 0 || end < begin || end > data.len) {
            failed = FAILED_OFFSETS;
        } else if (!hmac(&hasher, bytes + begin, (size_t)(end - begin), digest)) {
            failed = FAILED_OPENSSL;
        } else {
            memcpy(out + i * digest_bytes, digest, (size_t)digest_bytes);
        }
    }
    Py_END_ALLOW_THREADS
    EVP_MD_CTX_free(hasher.work);
    key_free(&key);
    if (failed) {
        Py_CLEAR(result);
        set_failure("hmac_batch", failed);
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

typedef struct {
    const Column *column;
    Hasher hasher;
    Py_ssize_t from, to, digest_bytes;
    const int32_t *out_offsets;
    uint8_t *out_data;
    int dedupe;
    Py_ssize_t hashed;
    int failed;
} Slice;

typedef struct {
    uint32_t hash;
    int32_t row; /* row + 1; 0 = empty */
} Slot;

/* 0 when OpenSSL fails. */
static int pseudonym_of(Slice *s, const uint8_t *value, size_t size, uint8_t *out) {
    uint8_t digest[32];
    if (!hmac(&s->hasher, value, size, digest)) return 0;
    base64url(digest, s->digest_bytes, out);
    s->hashed++;
    return 1;
}

static void hash_rows(Slice *s);

static void *hash_slice(void *arg) {
    Slice *s = (Slice *)arg;
    s->hasher.work = EVP_MD_CTX_new();
    if (s->hasher.work == NULL) {
        s->failed = FAILED_OPENSSL;
    } else {
        hash_rows(s);
    }
    EVP_MD_CTX_free(s->hasher.work);
    return NULL;
}

static void hash_rows(Slice *s) {
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
            s->failed = FAILED_OFFSETS;
            break;
        }
        uint8_t *out = s->out_data + s->out_offsets[i];
        if (previous != NULL && size == previous_size && memcmp(value, previous, size) == 0) {
            memcpy(out, previous_out, chars);
            continue;
        }
        previous = value, previous_size = size, previous_out = out;
        if (table == NULL) {
            if (!pseudonym_of(s, value, size, out)) {
                s->failed = FAILED_OPENSSL;
                break;
            }
            continue;
        }
        uint64_t h = value_hash(value, size);
        size_t slot = (size_t)h & mask;
        for (;;) {
            Slot *entry = &table[slot];
            if (entry->row == 0) {
                entry->row = (int32_t)(i - s->from + 1);
                entry->hash = (uint32_t)(h >> 32);
                if (!pseudonym_of(s, value, size, out)) s->failed = FAILED_OPENSSL;
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
        if (s->failed) break;
    }
    free(table);
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
    if (!key_from(&key, &inner, &outer)) goto done;
    if (threads < 1) threads = 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads > count / ROWS_PER_THREAD) threads = count / ROWS_PER_THREAD;
    if (threads < 1) threads = 1;
    Slice slices[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    int failed = 0;
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
        slices[t] = (Slice){&column, {&key, NULL}, count * t / threads,
                            count * (t + 1) / threads, digest_bytes, positions,
                            (uint8_t *)PyBytes_AS_STRING(out_data), dedupe, 0, 0};
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
        if (!failed) failed = slices[t].failed;
        hashed += slices[t].hashed;
    }
    Py_END_ALLOW_THREADS
    key_free(&key);
    if (failed) {
        set_failure("pseudonyms", failed);
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
