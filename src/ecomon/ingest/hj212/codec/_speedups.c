/* C fast paths of the HJ 212 codec: the CRC of HJ 212-2017 Appendix A.1 (unchanged in HJ 212-2025 App. A.1), the
 * canonical frame every conforming 2017/2025 device sends (HJ 212-2017 Tables 2-3, HJ 212-2025 Tables 2-3), and the
 * typed factor rows of a data packet's CP (cp.data_view, what the writer stores).
 *
 * Why: in pure Python the CRC, the frame match and building the CP strings cost ~10 µs per minute packet, which caps
 * a gateway core below 100,000 packets/s. The pure-Python code in crc.py, packet.py and cp.py stays the REFERENCE:
 * these functions either give exactly its result or hand the frame back to it (None / False below), and property
 * tests in tests/hj212/test_hj212_speedups.py prove equality on valid, malformed and random input. Nothing here
 * raises on bad input; every byte read is bounded by the buffer length.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Table 2: data segment 0..1024 characters; Table 3: CP=&&…&& 0..950 characters (2017 and 2025 alike). */
#define MAX_SEGMENT 1024
#define MAX_CP 950

/* ---- CRC (App. A.1) ------------------------------------------------------------------------------------------
 * The loop `reg = (reg >> 8) ^ byte; 8 reflected shifts with 0xA001` is `reg = T[(reg >> 8) ^ byte]` with T the
 * CRC-16/ARC table. Only the high byte h carries state: h' = H[h ^ byte], H[i] = T[i] >> 8, and H is GF(2)-linear
 * with H^8 = identity. So the value before the last lookup is H^(n-1)(0xFF) XOR the H^d(byte) of every byte at
 * distance d from the end; bytes whose distances agree modulo 8 are XOR-folded 8 at a time first (see crc.py). */
static uint16_t T[256];
static uint8_t POW[8][256]; /* POW[d][b] = H^d(b) */
static uint8_t INIT[8];     /* contribution of the initial 0xFFFF register for n mod 8 */

static void
init_tables(void)
{
    for (int i = 0; i < 256; i++) {
        unsigned reg = (unsigned)i;
        for (int k = 0; k < 8; k++)
            reg = (reg & 1) ? (reg >> 1) ^ 0xA001u : reg >> 1;
        T[i] = (uint16_t)reg;
    }
    for (int b = 0; b < 256; b++)
        POW[0][b] = (uint8_t)b;
    for (int d = 1; d < 8; d++)
        for (int b = 0; b < 256; b++)
            POW[d][b] = (uint8_t)(T[POW[d - 1][b]] >> 8);
    for (int n = 0; n < 8; n++)
        INIT[n] = POW[(n + 7) % 8][0xFF];
}

static unsigned
hj212_crc(const unsigned char *p, Py_ssize_t n)
{
    if (n == 0)
        return 0xFFFF;
    uint64_t acc = 0, word;
    Py_ssize_t r = n & 7;
    if (r) { /* the leading n mod 8 bytes, zero-padded in front so every chunk ends 8k bytes from the end */
        unsigned char head[8] = {0};
        memcpy(head + 8 - r, p, (size_t)r);
        memcpy(&acc, head, 8);
    }
    for (Py_ssize_t i = r; i < n; i += 8) {
        memcpy(&word, p + i, 8);
        acc ^= word;
    }
    unsigned char lane[8]; /* lane j (memory order) holds the bytes at distance 7 - j (mod 8) from the end */
    memcpy(lane, &acc, 8);
    unsigned x = INIT[n & 7];
    for (int j = 0; j < 8; j++)
        x ^= POW[7 - j][lane[j]];
    return T[x];
}

/* ---- shared helpers ------------------------------------------------------------------------------------------ */
enum { HDR_QN, HDR_ST, HDR_CN, HDR_PW, HDR_MN, HDR_FLAG, HDR_PNUM, HDR_PNO, HDR_RF, HDR_COUNT };
static const char *const HEADER_NAMES[HDR_COUNT] = {"QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO", "RF"};
static const Py_ssize_t HEADER_NAME_LEN[HDR_COUNT] = {2, 2, 2, 2, 2, 4, 4, 3, 2};
static PyObject *header_keys[HDR_COUNT]; /* interned */
/* the fields of the Packet dataclass (packet.py checks at import that they still are these) */
#define PKT_COUNT 4
static const char *const PACKET_FIELDS[PKT_COUNT] = {"header", "cp", "version", "warnings"};
static PyObject *packet_fields[PKT_COUNT]; /* interned */
/* the fields of cp.FactorRow (cp.py checks them at import too) */
#define ROW_COUNT 5
static const char *const ROW_FIELDS[ROW_COUNT] = {"code", "kind", "text", "value", "flag"};
static PyObject *row_fields[ROW_COUNT]; /* interned */
static PyObject *flag_key;              /* "Flag" */
static PyObject *no_warnings;           /* () */

/* CP keys whose value is a time: _check_cp in packet.py (§6.3.4 YYYYMMDDhhmmss). */
static const char *const TIME_KEYS[] = {"DataTime", "SystemTime", "BeginTime", "EndTime", "RestartTime"};
static const Py_ssize_t TIME_KEY_LEN[] = {8, 10, 9, 7, 11};
#define N_TIME_KEYS 5

static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int is_upper_hex(unsigned char c) { return is_digit(c) || (c >= 'A' && c <= 'F'); }
static inline int is_st(unsigned char c) { return is_digit(c) || (c >= 'A' && c <= 'Z'); }
static inline int is_alnum(unsigned char c) { return is_st(c) || (c >= 'a' && c <= 'z'); }
/* Bytes that make up the CP fast path's "=;=;…=" skeleton (cp.py _NOT_DELIMITER keeps exactly these). */
static unsigned char CP_DELIMITER[256];
static inline int is_cp_delimiter(unsigned char c) { return CP_DELIMITER[c]; }

static void
init_delimiters(void)
{
    for (const char *d = "=;, /"; *d; d++)
        CP_DELIMITER[(unsigned char)*d] = 1;
}

static int
is_ascii(const unsigned char *s, Py_ssize_t n)
{
    uint64_t any = 0, word;
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&word, s + i, 8);
        any |= word;
    }
    for (; i < n; i++)
        any |= s[i];
    return (any & 0x8080808080808080ull) == 0;
}

static int
all_of(const unsigned char *s, Py_ssize_t n, int (*cls)(unsigned char))
{
    for (Py_ssize_t i = 0; i < n; i++)
        if (!cls(s[i]))
            return 0;
    return 1;
}

static long
decimal(const unsigned char *s, Py_ssize_t n) /* n <= 4 digits, already checked */
{
    long v = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static unsigned
hex4(const unsigned char *s) /* 4 upper-case hex digits, already checked */
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++)
        v = (v << 4) | (unsigned)(is_digit(s[i]) ? s[i] - '0' : s[i] - 'A' + 10);
    return v;
}

static int
is_time_value(const unsigned char *s, Py_ssize_t n)
{
    return n == 14 && all_of(s, n, is_digit);
}

static int
is_time_key(const unsigned char *s, Py_ssize_t n)
{
    if (n < 7 || n > 11 || s[n - 1] != 'e') /* every time key ends in "Time" */
        return 0;
    for (int k = 0; k < N_TIME_KEYS; k++)
        if (n == TIME_KEY_LEN[k] && memcmp(s, TIME_KEYS[k], (size_t)n) == 0)
            return 1;
    return 0;
}

/* Table 3 header rules a regular expression cannot express (packet.py _canonical_fields): Flag version bits 1
 * (2017) or 2 (2025) and equal to the configured version, split bit set exactly when PNUM/PNO are present with
 * 1 <= PNO <= PNUM, RF only in 2025. Returns the version bits, or -1 when the header is not canonical. */
static int
check_fields(long flag, int has_parts, long pnum, long pno, int has_rf, long expected)
{
    int bits = (int)(flag >> 2);
    if ((bits != 1 && bits != 2) || (expected >= 0 && expected != bits))
        return -1;
    if (has_parts) {
        if (!(flag & 2) || pno < 1 || pno > pnum)
            return -1;
    } else if (flag & 2)
        return -1;
    if (has_rf && bits != 2)
        return -1;
    return bits;
}

/* The Flag version bits of `version`: its index in `versions` (packet.py _BY_BITS, indexed by those bits), -1 for
 * None, -2 for anything else. */
static int
version_bits(PyObject *version, PyObject *versions)
{
    if (version == Py_None)
        return -1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(versions); i++)
        if (PyTuple_GET_ITEM(versions, i) == version)
            return (int)i;
    return -2;
}

/* An instance of a frozen slots dataclass (Packet, FactorRow) without running its __init__ in the interpreter: the
 * same slot stores its frozen __init__ makes through object.__setattr__. Borrows the values. */
static PyObject *
new_frozen(PyTypeObject *type, PyObject *const *names, PyObject *const *values, int n)
{
    PyObject *obj = type->tp_alloc(type, 0);
    for (int k = 0; obj != NULL && k < n; k++)
        if (PyObject_GenericSetAttr(obj, names[k], values[k]) < 0)
            Py_CLEAR(obj);
    return obj;
}

/* Packet(header, cp, version). Steals header and cp. */
static PyObject *
new_packet(PyTypeObject *type, PyObject *header, PyObject *cp, PyObject *version)
{
    PyObject *values[PKT_COUNT] = {header, cp, version, no_warnings};
    PyObject *packet = new_frozen(type, packet_fields, values, PKT_COUNT);
    Py_DECREF(header);
    Py_DECREF(cp);
    return packet;
}

/* ---- decode -------------------------------------------------------------------------------------------------- */
typedef struct {
    const unsigned char *p;
    Py_ssize_t pos, end;
} Cursor;

static int
literal(Cursor *c, const char *text, Py_ssize_t n)
{
    if (c->end - c->pos < n || memcmp(c->p + c->pos, text, (size_t)n) != 0)
        return 0;
    c->pos += n;
    return 1;
}

/* `NAME=` + between lo and hi characters of `cls` + `;` (the value's span goes to *start, *len). */
static int
field(Cursor *c, const char *name, Py_ssize_t lo, Py_ssize_t hi, int (*cls)(unsigned char), Py_ssize_t *start,
      Py_ssize_t *len)
{
    if (!literal(c, name, (Py_ssize_t)strlen(name)))
        return 0;
    Py_ssize_t i = c->pos;
    while (i < c->end && i - c->pos <= hi && cls(c->p[i]))
        i++;
    Py_ssize_t n = i - c->pos;
    if (n < lo || n > hi || i >= c->end || c->p[i] != ';')
        return 0;
    *start = c->pos;
    *len = n;
    c->pos = i + 1;
    return 1;
}

static PyObject *
ascii_str(const unsigned char *s, Py_ssize_t n)
{
    PyObject *o = PyUnicode_New(n, 127);
    if (o != NULL && n > 0)
        memcpy(PyUnicode_1BYTE_DATA(o), s, (size_t)n);
    return o;
}

/* CP keys repeat in every packet of a device ("a34004-Avg"…): a small 2-way cache of key strings, whose hash is
 * computed once, saves creating and hashing them per packet. Bounded (KEY_CACHE_SIZE short strings), so random
 * keys only evict. */
#define KEY_CACHE_SIZE 4096
#define KEY_CACHE_MAX_LEN 32
static PyObject *key_cache[KEY_CACHE_SIZE];

static inline int
same_key(PyObject *key, const unsigned char *s, Py_ssize_t n)
{
    return key != NULL && PyUnicode_GET_LENGTH(key) == n && memcmp(PyUnicode_1BYTE_DATA(key), s, (size_t)n) == 0;
}

static PyObject *
cp_key(const unsigned char *s, Py_ssize_t n)
{
    if (n > KEY_CACHE_MAX_LEN || n == 0)
        return ascii_str(s, n);
    /* slots from the length and the first and last 8 bytes (keys of one device differ there), murmur3-mixed */
    uint64_t first = 0, last = 0;
    memcpy(&first, s, (size_t)(n < 8 ? n : 8));
    memcpy(&last, s + (n < 8 ? 0 : n - 8), (size_t)(n < 8 ? n : 8));
    uint64_t h = first ^ (last * 0x9E3779B97F4A7C15ull) ^ (uint64_t)n;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    PyObject **a = &key_cache[h & (KEY_CACHE_SIZE - 1)], **b = &key_cache[(h >> 32) & (KEY_CACHE_SIZE - 1)];
    PyObject *key = same_key(*a, s, n) ? *a : same_key(*b, s, n) ? *b : NULL;
    if (key != NULL) {
        Py_INCREF(key);
        return key;
    }
    if ((key = ascii_str(s, n)) == NULL || PyObject_Hash(key) == -1) {
        Py_XDECREF(key);
        return NULL;
    }
    Py_INCREF(key);
    Py_XSETREF(*(*a == NULL ? a : b), key);
    return key;
}

static PyObject *
cp_value(const unsigned char *s, Py_ssize_t n)
{
    return n == 1 ? PyUnicode_FromOrdinal(s[0]) : ascii_str(s, n); /* 1-character strings are shared singletons */
}

/* A CP dict sized for the previous packet's item count: packets of one device repeat their layout, so this saves
 * the resizes of growing it item by item. _PyDict_NewPresized is CPython's own (what BUILD_MAP uses); it left the
 * exported API in 3.13, where the plain constructor serves. */
static Py_ssize_t cp_size_hint;

static PyObject *
new_cp_dict(void)
{
#if PY_VERSION_HEX < 0x030D0000
    return _PyDict_NewPresized(cp_size_hint);
#else
    return PyDict_New();
#endif
}

/* CP region in the fast-path shape of cp.py parse_cp: the delimiters, with ',' read as ';', alternate "=;=;…=",
 * no key is empty and no key repeats. Returns the dict; None when a time key's value is not 14 digits (packet.py
 * _check_cp rejects the frame from the canonical path); Py_False when the region needs the general parser; NULL
 * on memory error. */
static PyObject *
parse_cp_fast(const unsigned char *p, Py_ssize_t start, Py_ssize_t end)
{
    PyObject *cp = new_cp_dict();
    if (cp == NULL || start == end)
        return cp;
    PyObject *key = NULL;
    Py_ssize_t token = start;
    int key_is_time = 0, bad_time = 0;
    for (;;) {
        Py_ssize_t i = token;
        while (i < end && !is_cp_delimiter(p[i]))
            i++;
        unsigned char ch = i < end ? p[i] : ';'; /* the end closes the last value */
        if (ch == '=') {
            if (key != NULL || i == token)
                goto other_shape;
            if ((key = cp_key(p + token, i - token)) == NULL)
                goto fail;
            key_is_time = is_time_key(p + token, i - token);
        } else if (ch == ';' || ch == ',') {
            if (key == NULL)
                goto other_shape;
            bad_time |= key_is_time && !is_time_value(p + token, i - token);
            PyObject *value = cp_value(p + token, i - token);
            if (value == NULL)
                goto fail;
            Py_ssize_t before = PyDict_GET_SIZE(cp);
            int rc = PyDict_SetItem(cp, key, value);
            Py_DECREF(value);
            Py_CLEAR(key);
            if (rc < 0)
                goto fail;
            if (PyDict_GET_SIZE(cp) == before)
                goto other_shape; /* duplicate key */
        } else
            goto other_shape; /* ' ' or '/': stray whitespace or //free text// */
        if (i == end)
            break;
        token = i + 1;
    }
    if (bad_time) {
        Py_DECREF(cp);
        Py_RETURN_NONE;
    }
    cp_size_hint = PyDict_GET_SIZE(cp);
    return cp;
other_shape:
    Py_XDECREF(key);
    Py_DECREF(cp);
    Py_RETURN_FALSE;
fail:
    Py_XDECREF(key);
    Py_DECREF(cp);
    return NULL;
}

static int
set_header(PyObject *header, int which, const unsigned char *p, Py_ssize_t start, Py_ssize_t len)
{
    PyObject *value = ascii_str(p + start, len);
    if (value == NULL)
        return -1;
    int rc = PyDict_SetItem(header, header_keys[which], value);
    Py_DECREF(value);
    return rc;
}

PyDoc_STRVAR(decode_canonical_doc,
"decode_canonical(frame: bytes, version: Version | None, packet_type: type[Packet], versions: tuple[Version, ...])\n"
"-> Packet | None | False\n\n"
"The canonical-frame path of packet.decode (its _decode_canonical): the Packet when the frame is the canonical\n"
"2017/2025 shape and verifies; None when it is not that shape (the general path decides); False when the frame is\n"
"canonical but CP needs the general CP parser. `versions` is indexed by the Flag version bits.");

static PyObject *
decode_canonical(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyBytes_Check(args[0]) || !PyType_Check(args[2]) || !PyTuple_CheckExact(args[3])) {
        PyErr_SetString(PyExc_TypeError, "decode_canonical(frame: bytes, version, packet_type: type, versions: tuple)");
        return NULL;
    }
    int expected = version_bits(args[1], args[3]);
    if (expected == -2)
        Py_RETURN_NONE;
    const unsigned char *p = (const unsigned char *)PyBytes_AS_STRING(args[0]);
    Py_ssize_t n = PyBytes_GET_SIZE(args[0]);
    /* ## + 4 digits … CP=&& region && + 4 upper-case hex + CR LF, ASCII throughout */
    if (n < 12 + 7 || p[0] != '#' || p[1] != '#' || !all_of(p + 2, 4, is_digit))
        Py_RETURN_NONE;
    if (p[n - 8] != '&' || p[n - 7] != '&' || !all_of(p + n - 6, 4, is_upper_hex) || p[n - 2] != '\r'
        || p[n - 1] != '\n' || decimal(p + 2, 4) != n - 12)
        Py_RETURN_NONE;
    if (!is_ascii(p, n))
        Py_RETURN_NONE;
    Cursor c = {p, 6, n - 8};
    Py_ssize_t at[HDR_COUNT] = {0}, len[HDR_COUNT] = {0};
    if (!field(&c, "QN=", 17, 17, is_digit, &at[HDR_QN], &len[HDR_QN])
        || !field(&c, "ST=", 2, 2, is_st, &at[HDR_ST], &len[HDR_ST])
        || !field(&c, "CN=", 4, 4, is_digit, &at[HDR_CN], &len[HDR_CN])
        || !field(&c, "PW=", 6, 6, is_alnum, &at[HDR_PW], &len[HDR_PW])
        || !field(&c, "MN=", 24, 24, is_upper_hex, &at[HDR_MN], &len[HDR_MN])
        || !field(&c, "Flag=", 1, 3, is_digit, &at[HDR_FLAG], &len[HDR_FLAG]))
        Py_RETURN_NONE;
    int has_parts = 0, has_rf = 0;
    if (c.end - c.pos >= 5 && memcmp(p + c.pos, "PNUM=", 5) == 0) {
        if (!field(&c, "PNUM=", 1, 4, is_digit, &at[HDR_PNUM], &len[HDR_PNUM])
            || !field(&c, "PNO=", 1, 4, is_digit, &at[HDR_PNO], &len[HDR_PNO]))
            Py_RETURN_NONE;
        has_parts = 1;
    }
    if (literal(&c, "RF=1;", 5)) {
        at[HDR_RF] = c.pos - 2;
        len[HDR_RF] = 1;
        has_rf = 1;
    }
    if (!literal(&c, "CP=&&", 5))
        Py_RETURN_NONE;
    Py_ssize_t cp_start = c.pos, cp_end = n - 8;
    if (hj212_crc(p + 6, n - 12) != hex4(p + n - 6))
        Py_RETURN_NONE;
    int bits = check_fields(decimal(p + at[HDR_FLAG], len[HDR_FLAG]), has_parts,
                            decimal(p + at[HDR_PNUM], len[HDR_PNUM]), decimal(p + at[HDR_PNO], len[HDR_PNO]),
                            has_rf, expected);
    if (bits < 0 || bits >= PyTuple_GET_SIZE(args[3]) || n - 12 > MAX_SEGMENT || cp_end - cp_start + 7 > MAX_CP)
        Py_RETURN_NONE;

    PyObject *cp = parse_cp_fast(p, cp_start, cp_end);
    if (cp == NULL || cp == Py_False || cp == Py_None)
        return cp;
    PyObject *header = PyDict_New();
    if (header == NULL)
        goto fail;
    for (int k = 0; k < HDR_COUNT; k++) {
        if ((k == HDR_PNUM || k == HDR_PNO) && !has_parts)
            continue;
        if (k == HDR_RF && !has_rf)
            continue;
        if (set_header(header, k, p, at[k], len[k]) < 0)
            goto fail;
    }
    return new_packet((PyTypeObject *)args[2], header, cp, PyTuple_GET_ITEM(args[3], bits));
fail:
    Py_XDECREF(header);
    Py_DECREF(cp);
    return NULL;
}

/* ---- encode -------------------------------------------------------------------------------------------------- */
/* UTF-8 bytes of an exact str; 0 when the object is not one or cannot be encoded (Python then decides). */
static int
utf8_of(PyObject *o, const unsigned char **s, Py_ssize_t *n)
{
    if (!PyUnicode_CheckExact(o))
        return 0;
    if (PyUnicode_IS_ASCII(o)) {
        *s = PyUnicode_1BYTE_DATA(o);
        *n = PyUnicode_GET_LENGTH(o);
        return 1;
    }
    const char *u = PyUnicode_AsUTF8AndSize(o, n);
    if (u == NULL) {
        PyErr_Clear(); /* lone surrogates: the Python path raises its own error */
        return 0;
    }
    *s = (const unsigned char *)u;
    return 1;
}

static int
no_cp_delimiter(const unsigned char *s, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++)
        if (is_cp_delimiter(s[i]))
            return 0;
    return 1;
}

typedef struct {
    const unsigned char *key, *value;
    Py_ssize_t key_len, value_len;
    char separator; /* written before the item: 0 for the first */
} Item;

PyDoc_STRVAR(encode_canonical_doc,
"encode_canonical(header: dict, cp: dict, version: Version, versions: tuple[Version, ...]) -> bytes | None\n\n"
"The frame packet.encode writes (without a key) when the header is canonical for the version and no CP key or\n"
"value holds a delimiter, space or '/'; None hands the packet to the Python encoder (which validates and raises).\n"
"`versions` is indexed by the Flag version bits.");

static PyObject *
encode_canonical(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyTuple_CheckExact(args[3])) {
        PyErr_SetString(PyExc_TypeError, "encode_canonical(header: dict, cp: dict, version, versions: tuple)");
        return NULL;
    }
    PyObject *header = args[0], *cp = args[1];
    int version = version_bits(args[2], args[3]);
    if (version < 0)
        Py_RETURN_NONE;
    if (!PyDict_CheckExact(header) || !PyDict_CheckExact(cp))
        Py_RETURN_NONE;

    /* header: the Table 3 fields in order, each value of the canonical shape */
    static const struct { Py_ssize_t lo, hi; int (*cls)(unsigned char); } SHAPE[HDR_COUNT] = {
        {17, 17, is_digit}, {2, 2, is_st}, {4, 4, is_digit}, {6, 6, is_alnum}, {24, 24, is_upper_hex},
        {1, 3, is_digit}, {1, 4, is_digit}, {1, 4, is_digit}, {1, 1, is_digit}};
    const unsigned char *hv[HDR_COUNT] = {0};
    Py_ssize_t hl[HDR_COUNT] = {0}, pos = 0, head_len = 0;
    PyObject *k, *v;
    int next = HDR_QN;
    while (PyDict_Next(header, &pos, &k, &v)) {
        int which = next;
        if (next == HDR_PNUM && PyUnicode_Check(k) && PyUnicode_CompareWithASCIIString(k, "RF") == 0)
            which = HDR_RF; /* PNUM/PNO absent */
        if (which >= HDR_COUNT || !PyUnicode_CheckExact(k) || PyUnicode_CompareWithASCIIString(k, HEADER_NAMES[which])
            || !PyUnicode_CheckExact(v) || !PyUnicode_IS_ASCII(v))
            Py_RETURN_NONE;
        hv[which] = PyUnicode_1BYTE_DATA(v);
        hl[which] = PyUnicode_GET_LENGTH(v);
        if (hl[which] < SHAPE[which].lo || hl[which] > SHAPE[which].hi || !all_of(hv[which], hl[which], SHAPE[which].cls)
            || (which == HDR_RF && hv[which][0] != '1'))
            Py_RETURN_NONE;
        head_len += HEADER_NAME_LEN[which] + 2 + hl[which];
        next = which + 1;
    }
    if (next <= HDR_FLAG || next == HDR_PNO)
        Py_RETURN_NONE;
    int has_parts = hv[HDR_PNUM] != NULL, has_rf = hv[HDR_RF] != NULL;
    if (check_fields(decimal(hv[HDR_FLAG], hl[HDR_FLAG]), has_parts, has_parts ? decimal(hv[HDR_PNUM], hl[HDR_PNUM]) : 0,
                     has_parts ? decimal(hv[HDR_PNO], hl[HDR_PNO]) : 0, has_rf, version) != version)
        Py_RETURN_NONE;
    head_len += 5; /* CP=&& */

    /* CP: `;` between factors, `,` between items of the same factor code (cp.py format_cp) */
    Py_ssize_t count = PyDict_GET_SIZE(cp), region_len = 0, i = 0;
    if (count > MAX_CP)
        Py_RETURN_NONE;
    Item *items = PyMem_Malloc(sizeof(Item) * (size_t)(count ? count : 1));
    if (items == NULL)
        return PyErr_NoMemory();
    const unsigned char *previous = NULL;
    Py_ssize_t previous_len = 0;
    pos = 0;
    while (PyDict_Next(cp, &pos, &k, &v)) {
        Item *it = &items[i++];
        if (!utf8_of(k, &it->key, &it->key_len) || !utf8_of(v, &it->value, &it->value_len) || it->key_len == 0
            || !no_cp_delimiter(it->key, it->key_len) || !no_cp_delimiter(it->value, it->value_len)
            || (is_time_key(it->key, it->key_len) && !is_time_value(it->value, it->value_len)))
            goto python;
        const unsigned char *dash = memchr(it->key, '-', (size_t)it->key_len);
        Py_ssize_t code_len = dash ? dash - it->key : 0;
        it->separator = i == 1 ? 0
                        : (dash && previous && code_len == previous_len && memcmp(previous, it->key, (size_t)code_len) == 0)
                            ? ','
                            : ';';
        previous = dash ? it->key : NULL;
        previous_len = code_len;
        region_len += (it->separator != 0) + it->key_len + 1 + it->value_len;
        if (region_len + 7 > MAX_CP)
            goto python;
    }
    Py_ssize_t segment_len = head_len + region_len + 2;
    if (segment_len > MAX_SEGMENT)
        goto python;

    PyObject *frame = PyBytes_FromStringAndSize(NULL, segment_len + 12);
    if (frame == NULL) {
        PyMem_Free(items);
        return NULL;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(frame), *w = out + 6;
    snprintf((char *)out, 7, "##%04d", (int)segment_len);
    for (int h = 0; h < HDR_COUNT; h++) {
        if (hv[h] == NULL)
            continue;
        memcpy(w, HEADER_NAMES[h], (size_t)HEADER_NAME_LEN[h]);
        w += HEADER_NAME_LEN[h];
        *w++ = '=';
        memcpy(w, hv[h], (size_t)hl[h]);
        w += hl[h];
        *w++ = ';';
    }
    memcpy(w, "CP=&&", 5);
    w += 5;
    for (Py_ssize_t j = 0; j < count; j++) {
        if (items[j].separator)
            *w++ = (unsigned char)items[j].separator;
        memcpy(w, items[j].key, (size_t)items[j].key_len);
        w += items[j].key_len;
        *w++ = '=';
        memcpy(w, items[j].value, (size_t)items[j].value_len);
        w += items[j].value_len;
    }
    *w++ = '&';
    *w++ = '&';
    static const char HEX[] = "0123456789ABCDEF";
    unsigned crc = hj212_crc(out + 6, segment_len);
    *w++ = (unsigned char)HEX[(crc >> 12) & 15];
    *w++ = (unsigned char)HEX[(crc >> 8) & 15];
    *w++ = (unsigned char)HEX[(crc >> 4) & 15];
    *w++ = (unsigned char)HEX[crc & 15];
    *w++ = '\r';
    *w = '\n';
    PyMem_Free(items);
    return frame;
python:
    PyMem_Free(items);
    Py_RETURN_NONE;
}

/* ---- data view ----------------------------------------------------------------------------------------------- */
/* cp.parse_number: float of `[+-]?(?:\d+(?:\.\d*)?|\.\d+)`, else None. Non-ASCII text (Unicode digits, which
 * Python's \d and float() accept) goes to the Python function `fallback`. */
static PyObject *
number_of(PyObject *text, PyObject *fallback)
{
    if (!PyUnicode_IS_ASCII(text))
        return PyObject_CallOneArg(fallback, text);
    const unsigned char *s = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0, whole = 0, fraction = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < n && is_digit(s[i]); i++)
        whole++;
    if (i < n && s[i] == '.')
        for (i++; i < n && is_digit(s[i]); i++)
            fraction++;
    if (i != n || (whole == 0 && fraction == 0))
        Py_RETURN_NONE;
    double value = PyOS_string_to_double((const char *)s, NULL, NULL); /* what float(text) computes */
    if (value == -1.0 && PyErr_Occurred())
        return NULL;
    return PyFloat_FromDouble(value);
}

PyDoc_STRVAR(view_parts_doc,
"view_parts(cp: dict, row_type: type[FactorRow], attribute_suffixes: frozenset, parse_number) \n"
"-> tuple[tuple[FactorRow, ...], dict, dict] | None\n\n"
"(rows, attributes, params) of cp.data_view; None when cp is not a dict of str (the Python code decides).");

static PyObject *
view_parts(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyType_Check(args[1]) || !PyAnySet_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "view_parts(cp: dict, row_type: type, attribute_suffixes: frozenset, "
                                         "parse_number)");
        return NULL;
    }
    PyObject *cp = args[0], *suffixes = args[2], *key, *text;
    if (!PyDict_CheckExact(cp))
        Py_RETURN_NONE;
    PyObject *attributes = PyDict_New(), *params = PyDict_New(), *values = PyList_New(0), *rows = NULL;
    PyObject *code = NULL, *kind = NULL, *result = NULL;
    Py_ssize_t pos = 0;
    if (attributes == NULL || params == NULL || values == NULL)
        goto done;
    while (PyDict_Next(cp, &pos, &key, &text)) {
        if (!PyUnicode_CheckExact(key) || !PyUnicode_CheckExact(text)) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        Py_ssize_t len = PyUnicode_GET_LENGTH(key), dash = PyUnicode_FindChar(key, '-', 0, len, 1);
        if (dash == -2)
            goto done;
        if (dash == -1) { /* no factor code: DataTime, RtdInterval, QnRtn … */
            if (PyDict_SetItem(params, key, text) < 0)
                goto done;
            continue;
        }
        if (PyUnicode_IS_ASCII(key)) { /* from the key cache: no allocation, hash already computed */
            const unsigned char *k = PyUnicode_1BYTE_DATA(key);
            code = cp_key(k, dash);
            kind = code == NULL ? NULL : cp_key(k + dash + 1, len - dash - 1);
        } else {
            code = PyUnicode_Substring(key, 0, dash);
            kind = code == NULL ? NULL : PyUnicode_Substring(key, dash + 1, len);
        }
        if (kind == NULL)
            goto done;
        int is_attribute = PySet_Contains(suffixes, kind);
        if (is_attribute < 0)
            goto done;
        if (is_attribute) {
            PyObject *of_code = PyDict_GetItemWithError(attributes, code);
            if (of_code == NULL) {
                if (PyErr_Occurred() || (of_code = PyDict_New()) == NULL)
                    goto done;
                int rc = PyDict_SetItem(attributes, code, of_code);
                Py_DECREF(of_code); /* attributes holds it */
                if (rc < 0)
                    goto done;
            }
            if (PyDict_SetItem(of_code, kind, text) < 0)
                goto done;
        } else {
            PyObject *triple = PyTuple_Pack(3, code, kind, text);
            if (triple == NULL)
                goto done;
            int rc = PyList_Append(values, triple);
            Py_DECREF(triple);
            if (rc < 0)
                goto done;
        }
        Py_CLEAR(code);
        Py_CLEAR(kind);
    }
    if ((rows = PyTuple_New(PyList_GET_SIZE(values))) == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(values); i++) {
        PyObject *triple = PyList_GET_ITEM(values, i), *row_code = PyTuple_GET_ITEM(triple, 0);
        PyObject *of_code = PyDict_GetItemWithError(attributes, row_code), *flag = NULL;
        if (of_code != NULL)
            flag = PyDict_GetItemWithError(of_code, flag_key);
        if (flag == NULL && PyErr_Occurred())
            goto done;
        PyObject *value = number_of(PyTuple_GET_ITEM(triple, 2), args[3]);
        if (value == NULL)
            goto done;
        PyObject *fields[ROW_COUNT] = {row_code, PyTuple_GET_ITEM(triple, 1), PyTuple_GET_ITEM(triple, 2), value,
                                       flag ? flag : Py_None};
        PyObject *row = new_frozen((PyTypeObject *)args[1], row_fields, fields, ROW_COUNT);
        Py_DECREF(value);
        if (row == NULL)
            goto done;
        PyTuple_SET_ITEM(rows, i, row);
    }
    result = PyTuple_Pack(3, rows, attributes, params);
done:
    Py_XDECREF(code);
    Py_XDECREF(kind);
    Py_XDECREF(rows);
    Py_XDECREF(values);
    Py_XDECREF(attributes);
    Py_XDECREF(params);
    return result;
}

/* ---- crc16 --------------------------------------------------------------------------------------------------- */
PyDoc_STRVAR(crc16_doc, "crc16(data: bytes-like) -> int\n\nHJ 212 CRC (HJ 212-2017 App. A.1) of the data segment.");

static PyObject *
crc16(PyObject *module, PyObject *data)
{
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    unsigned crc = hj212_crc((const unsigned char *)view.buf, view.len);
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(crc);
}

static PyMethodDef methods[] = {
    {"crc16", (PyCFunction)crc16, METH_O, crc16_doc},
    {"decode_canonical", (PyCFunction)(void (*)(void))decode_canonical, METH_FASTCALL, decode_canonical_doc},
    {"encode_canonical", (PyCFunction)(void (*)(void))encode_canonical, METH_FASTCALL, encode_canonical_doc},
    {"view_parts", (PyCFunction)(void (*)(void))view_parts, METH_FASTCALL, view_parts_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "ecomon.ingest.hj212.codec._speedups",
    "C fast paths of the HJ 212 codec (CRC, canonical decode/encode); the pure-Python codec is the reference.", -1,
    methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    init_tables();
    init_delimiters();
    for (int k = 0; k < HDR_COUNT; k++)
        if (header_keys[k] == NULL && (header_keys[k] = PyUnicode_InternFromString(HEADER_NAMES[k])) == NULL)
            return NULL;
    for (int k = 0; k < PKT_COUNT; k++)
        if (packet_fields[k] == NULL && (packet_fields[k] = PyUnicode_InternFromString(PACKET_FIELDS[k])) == NULL)
            return NULL;
    for (int k = 0; k < ROW_COUNT; k++)
        if (row_fields[k] == NULL && (row_fields[k] = PyUnicode_InternFromString(ROW_FIELDS[k])) == NULL)
            return NULL;
    if (flag_key == NULL && (flag_key = PyUnicode_InternFromString("Flag")) == NULL)
        return NULL;
    if (no_warnings == NULL && (no_warnings = PyTuple_New(0)) == NULL)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
    if (PyModule_AddIntConstant(m, "MAX_SEGMENT", MAX_SEGMENT) < 0 || PyModule_AddIntConstant(m, "MAX_CP", MAX_CP) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
