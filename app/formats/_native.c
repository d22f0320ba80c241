/*
 * Validation's two inner loops, in C (the module app.formats._native).
 *
 * Why: validation reads every record of files of many gigabytes and must keep pace with
 * a bare json.loads loop. msgspec decodes a block of chat records in C; what Python did
 * next (a few passes per message to gather roles, lengths and answers, and the reading
 * of every answer's reasoning) cost more than the decoding itself.
 *
 * chat_columns() gathers a block's figures from the decoded records in one pass.
 *
 * scan() decides one thing about many outputs, conservatively: "this text is a plain
 * chain of N distinct, non-empty steps ending on a result line", exactly when
 * reasoning.sort_chains would say so. Every text it is not sure of (not ASCII, any mark
 * of the full reading, a last line that might announce more work, a chain that is not
 * clean) is handed back to Python, which reads it as before; so no finding can differ
 * from the Python reading, only the clean chains are counted here. The vocabulary (step
 * words, ordinal words, dangling words and ends, openers of an announcement) comes from
 * reasoning.py through configure(), so the words live in one place; the marker grammar
 * below mirrors reasoning._FAST_MARKERS and tests/formats/test_native.py holds the two
 * together.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define MAX_STEPS 63 /* reasoning._CLEAN holds readings for up to 63 steps */

typedef struct {
    char *text;
    Py_ssize_t size;
} Word;

typedef struct {
    Word *words;
    Py_ssize_t count;
} WordList;

enum { ORDINALS, STEP_WORDS, JOINERS, DANGLING_WORDS, DANGLING_ENDS, OPENERS, LISTS };
static WordList vocabulary[LISTS];
static int configured = 0;

/* A newline, and the characters that send a text to the Python reading: the marks of
 * the full reading (reasoning._BATCH_SPECIALS) and whitespace other than space and
 * newline (which str.strip and \s treat as blank; keeping them out makes blank mean ' '
 * or '\n'). NUL sends a text to Python too (strcspn stops at it). */
static const char STOPS[] = "\n#*?`\r\t\v\f\x1c\x1d\x1e\x1f";
static unsigned char blank_class[256]; /* regex \s on ASCII */
static unsigned char trim_class[256];  /* reasoning._TRIM on ASCII */
static unsigned char word_class[256];  /* regex \w on ASCII */

static void
init_classes(void)
{
    for (int c = 0x1c; c <= 0x1f; c++) blank_class[c] = 1;
    const char *blanks = " \t\n\r\f\v";
    for (const char *c = blanks; *c; c++) blank_class[(unsigned char)*c] = 1;
    const char *trims = " \t*:.-,";
    for (const char *c = trims; *c; c++) trim_class[(unsigned char)*c] = 1;
    for (int c = 0; c < 256; c++) {
        word_class[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_';
    }
}

static inline unsigned char
lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static inline int
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* True when text[at:] starts with the lower-case word (the text is compared lowered). */
static inline int
starts_with(const unsigned char *text, Py_ssize_t at, Py_ssize_t end, const Word *word)
{
    if (end - at < word->size) return 0;
    for (Py_ssize_t i = 0; i < word->size; i++) {
        if (lower(text[at + i]) != (unsigned char)word->text[i]) return 0;
    }
    return 1;
}

static inline Py_ssize_t
skip_spaces(const unsigned char *text, Py_ssize_t at, Py_ssize_t end)
{
    while (at < end && (text[at] == ' ' || text[at] == '\t')) at++;
    return at;
}

static inline Py_ssize_t
count_digits(const unsigned char *text, Py_ssize_t at, Py_ssize_t end)
{
    Py_ssize_t n = 0;
    while (at + n < end && is_digit(text[at + n])) n++;
    return n;
}

static inline int
closes_step_number(unsigned char c)
{
    return c == ':' || c == '.' || c == ')' || c == '-';
}

/* After a step word: `[ \t]*\d{1,3}(?:[ \t]*(?:of|/|von|de|sur)[ \t]*\d{1,3})?[ \t]*[:.)-]`.
 * A run of four digits never matches (fewer digits leave a digit where none fits). */
static Py_ssize_t
step_number_end(const unsigned char *text, Py_ssize_t at, Py_ssize_t end)
{
    at = skip_spaces(text, at, end);
    Py_ssize_t digits = count_digits(text, at, end);
    if (digits < 1 || digits > 3) return -1;
    at += digits;
    Py_ssize_t joined = skip_spaces(text, at, end);
    const WordList *joiners = &vocabulary[JOINERS];
    for (Py_ssize_t i = 0; i < joiners->count; i++) {
        if (!starts_with(text, joined, end, &joiners->words[i])) continue;
        Py_ssize_t second = skip_spaces(text, joined + joiners->words[i].size, end);
        Py_ssize_t more = count_digits(text, second, end);
        if (more >= 1 && more <= 3) {
            Py_ssize_t close = skip_spaces(text, second + more, end);
            if (close < end && closes_step_number(text[close])) return close + 1;
        }
        break; /* no joiner starts another (check_vocabulary) */
    }
    Py_ssize_t close = skip_spaces(text, at, end);
    return (close < end && closes_step_number(text[close])) ? close + 1 : -1;
}

/* Where the step marker at the start of a line ends, or -1 when the line is no step.
 * `end` is the end of the text (the regex's `$`), not of the line. */
static Py_ssize_t
marker_end(const unsigned char *text, Py_ssize_t at, Py_ssize_t end)
{
    if (at >= end) return -1;
    unsigned char first = text[at];
    if (is_digit(first)) { /* \d{1,2}[ \t]*[.)](?=\s|$) */
        Py_ssize_t digits = count_digits(text, at, end);
        if (digits > 2) return -1;
        Py_ssize_t close = skip_spaces(text, at + digits, end);
        if (close >= end || (text[close] != '.' && text[close] != ')')) return -1;
        close++;
        return (close == end || blank_class[text[close]]) ? close : -1;
    }
    if (first == '-' || first == '+') { /* [-+](?:[ \t]+|$) */
        if (at + 1 == end) return end;
        Py_ssize_t after = skip_spaces(text, at + 1, end);
        return after > at + 1 ? after : -1;
    }
    const WordList *steps = &vocabulary[STEP_WORDS];
    for (Py_ssize_t i = 0; i < steps->count; i++) {
        if (starts_with(text, at, end, &steps->words[i])) {
            Py_ssize_t found = step_number_end(text, at + steps->words[i].size, end);
            if (found >= 0) return found;
            break; /* no step word starts another (check_vocabulary) */
        }
    }
    const WordList *ordinals = &vocabulary[ORDINALS];
    for (Py_ssize_t i = 0; i < ordinals->count; i++) { /* (?:ordinal)\b[,:]? */
        Py_ssize_t after = at + ordinals->words[i].size;
        if (starts_with(text, at, end, &ordinals->words[i]) &&
            (after == end || !word_class[text[after]])) {
            return (after < end && (text[after] == ',' || text[after] == ':')) ? after + 1
                                                                                : after;
        }
    }
    return -1;
}

static int
same_lowered(const unsigned char *text, Py_ssize_t a, Py_ssize_t b, Py_ssize_t size)
{
    for (Py_ssize_t i = 0; i < size; i++) {
        if (lower(text[a + i]) != lower(text[b + i])) return 0;
    }
    return 1;
}

static int
in_list(const unsigned char *text, Py_ssize_t at, Py_ssize_t size, const WordList *list)
{
    for (Py_ssize_t i = 0; i < list->count; i++) {
        if (list->words[i].size == size && starts_with(text, at, at + size, &list->words[i]))
            return 1;
    }
    return 0;
}

/* The step count (2..MAX_STEPS) of a plain finished chain, or 0 when Python must read it. */
static int
clean_steps(PyObject *object)
{
    if (!PyUnicode_IS_ASCII(object)) return 0;
    const unsigned char *text = PyUnicode_1BYTE_DATA(object);
    Py_ssize_t size = PyUnicode_GET_LENGTH(object);
    if (size == 0 || text[0] == ' ') return 0;
    Py_ssize_t end = size;
    while (end > 0 && (text[end - 1] == ' ' || text[end - 1] == '\n')) end--;
    for (Py_ssize_t i = end; i + 1 < size; i++) {
        if (text[i] == '\n' && text[i + 1] == ' ') return 0;
    }
    Py_ssize_t starts[MAX_STEPS], sizes[MAX_STEPS];
    int steps = 0, last_is_step = 0;
    Py_ssize_t line = 0;
    for (;;) {
        /* Compact str data ends with NUL, so strcspn (vectorised in the C library) finds
         * the next newline, refused character or NUL within the text. */
        Py_ssize_t line_end = line + (Py_ssize_t)strcspn((const char *)text + line, STOPS);
        if (line_end < end && text[line_end] != '\n') return 0;
        if (line_end > end) line_end = end;
        if (line_end < end && text[line_end + 1] == ' ') return 0;
        Py_ssize_t marker = marker_end(text, line, end);
        last_is_step = marker >= 0;
        if (last_is_step) {
            if (steps == MAX_STEPS) return 0;
            while (marker < line_end && trim_class[text[marker]]) marker++;
            Py_ssize_t body_end = line_end;
            while (body_end > marker && trim_class[text[body_end - 1]]) body_end--;
            if (body_end == marker) return 0; /* an empty step */
            for (int j = 0; j < steps; j++) {
                if (sizes[j] == body_end - marker &&
                    same_lowered(text, starts[j], marker, sizes[j]))
                    return 0; /* a repeated step */
            }
            starts[steps] = marker;
            sizes[steps] = body_end - marker;
            steps++;
        }
        if (line_end == end) break;
        line = line_end + 1;
    }
    if (steps < 2 || last_is_step) return 0;
    /* The last line (no blank at either end: see STOPS) must state a result. */
    Py_ssize_t last = line, last_size = end - line;
    if (last_size <= 1 || text[last] == '_') return 0;
    const WordList *ends = &vocabulary[DANGLING_ENDS];
    for (Py_ssize_t i = 0; i < ends->count; i++) {
        Py_ssize_t n = ends->words[i].size;
        if (n <= last_size && starts_with(text, end - n, end, &ends->words[i])) return 0;
    }
    Py_ssize_t word = end;
    while (word > last && text[word - 1] != ' ') word--;
    while (word < end && text[word] == '_') word++;
    if (in_list(text, word, end - word, &vocabulary[DANGLING_WORDS])) return 0;
    const WordList *openers = &vocabulary[OPENERS];
    for (Py_ssize_t i = 0; i < openers->count; i++) {
        if (starts_with(text, last, end, &openers->words[i])) return 0;
    }
    return steps;
}

static void
free_vocabulary(void)
{
    for (int list = 0; list < LISTS; list++) {
        for (Py_ssize_t i = 0; i < vocabulary[list].count; i++) {
            PyMem_Free(vocabulary[list].words[i].text);
        }
        PyMem_Free(vocabulary[list].words);
        vocabulary[list].words = NULL;
        vocabulary[list].count = 0;
    }
    configured = 0;
}

static int
load_list(PyObject *sequence, WordList *list)
{
    PyObject *fast = PySequence_Fast(sequence, "each vocabulary must be a sequence of str");
    if (fast == NULL) return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(fast);
    list->words = PyMem_Calloc((size_t)(count ? count : 1), sizeof(Word));
    if (list->words == NULL) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(fast, i);
        if (!PyUnicode_Check(item) || !PyUnicode_IS_ASCII(item) ||
            PyUnicode_GET_LENGTH(item) == 0) {
            Py_DECREF(fast);
            PyErr_SetString(PyExc_ValueError, "vocabulary words must be non-empty ASCII str");
            return -1;
        }
        Py_ssize_t size = PyUnicode_GET_LENGTH(item);
        const char *data = (const char *)PyUnicode_1BYTE_DATA(item);
        for (Py_ssize_t k = 0; k < size; k++) {
            if (lower((unsigned char)data[k]) != (unsigned char)data[k]) {
                Py_DECREF(fast);
                PyErr_SetString(PyExc_ValueError, "vocabulary words must be lower case");
                return -1;
            }
        }
        list->words[i].text = PyMem_Malloc((size_t)size);
        if (list->words[i].text == NULL) {
            Py_DECREF(fast);
            PyErr_NoMemory();
            return -1;
        }
        memcpy(list->words[i].text, data, (size_t)size);
        list->words[i].size = size;
        list->count = i + 1;
    }
    Py_DECREF(fast);
    return 0;
}

/* Refuse vocabularies the one-match-per-position reading above would get wrong: a step
 * word or joiner that starts another, an ordinal word that ends on no word character. */
static int
check_vocabulary(void)
{
    const WordList *lists[2] = {&vocabulary[STEP_WORDS], &vocabulary[JOINERS]};
    for (int l = 0; l < 2; l++) {
        for (Py_ssize_t i = 0; i < lists[l]->count; i++) {
            for (Py_ssize_t j = 0; j < lists[l]->count; j++) {
                const Word *a = &lists[l]->words[i], *b = &lists[l]->words[j];
                if (i != j && a->size <= b->size && memcmp(a->text, b->text, (size_t)a->size) == 0) {
                    PyErr_SetString(PyExc_ValueError,
                                    "no step word or joiner may start another one");
                    return -1;
                }
            }
        }
    }
    const WordList *ordinals = &vocabulary[ORDINALS];
    for (Py_ssize_t i = 0; i < ordinals->count; i++) {
        const Word *word = &ordinals->words[i];
        if (!word_class[(unsigned char)word->text[word->size - 1]]) {
            PyErr_SetString(PyExc_ValueError, "ordinal words must end with a word character");
            return -1;
        }
    }
    return 0;
}

static PyObject *
configure(PyObject *module, PyObject *args, PyObject *kwargs)
{
    (void)module;
    static char *names[] = {"ordinals",       "step_words", "joiners", "dangling_words",
                            "dangling_ends", "openers",    NULL};
    PyObject *given[LISTS];
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "$OOOOOO:configure", names, &given[0],
                                     &given[1], &given[2], &given[3], &given[4], &given[5]))
        return NULL;
    free_vocabulary();
    for (int list = 0; list < LISTS; list++) {
        if (load_list(given[list], &vocabulary[list]) < 0) {
            free_vocabulary();
            return NULL;
        }
    }
    if (check_vocabulary() < 0) {
        free_vocabulary();
        return NULL;
    }
    configured = 1;
    Py_RETURN_NONE;
}

static PyObject *
scan(PyObject *module, PyObject *texts)
{
    (void)module;
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "call configure() before scan()");
        return NULL;
    }
    PyObject *fast = PySequence_Fast(texts, "texts must be a sequence of str");
    if (fast == NULL) return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(fast);
    PyObject *counts = PyList_New(count);
    PyObject *rest = PyList_New(0);
    if (counts == NULL || rest == NULL) goto failed;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *text = PySequence_Fast_GET_ITEM(fast, i);
        if (!PyUnicode_Check(text)) {
            PyErr_SetString(PyExc_TypeError, "texts must be str");
            goto failed;
        }
        if (PyUnicode_READY(text) < 0) goto failed; /* a legacy str (no-op from 3.12) */
        int steps = clean_steps(text);
        PyObject *number = PyLong_FromLong(steps); /* small ints: shared, no allocation */
        if (number == NULL) goto failed;
        PyList_SET_ITEM(counts, i, number);
        if (steps) continue;
        PyObject *index = PyLong_FromSsize_t(i);
        if (index == NULL || PyList_Append(rest, index) < 0) {
            Py_XDECREF(index);
            goto failed;
        }
        Py_DECREF(index);
    }
    Py_DECREF(fast);
    return Py_BuildValue("(NN)", counts, rest);
failed:
    Py_DECREF(fast);
    Py_XDECREF(counts);
    Py_XDECREF(rest);
    return NULL;
}

/* Attribute names, interned once. */
static PyObject *messages_name, *role_name, *content_name;

#define MAX_ROLES 16

typedef struct {
    PyObject *role; /* borrowed: kept alive by a record until the tallies are built */
    Py_ssize_t count;
} RoleTally;

static int
tally_add(PyObject *counter, PyObject *key, Py_ssize_t amount)
{
    PyObject *value = PyLong_FromSsize_t(amount);
    if (value == NULL) return -1;
    int failed = PyDict_SetItem(counter, key, value);
    Py_DECREF(value);
    return failed;
}

static PyObject *
chat_columns(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *items, *answer_role;
    if (!PyArg_ParseTuple(args, "OU:chat_columns", &items, &answer_role)) return NULL;
    PyObject *fast = PySequence_Fast(items, "records must be a sequence");
    if (fast == NULL) return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(fast);
    PyObject *chars = PyList_New(count);
    PyObject *records = PyList_New(0), *positions = PyList_New(0), *texts = PyList_New(0);
    PyObject *message_counts = PyDict_New(), *role_counts = PyDict_New();
    PyObject *result = NULL;
    Py_ssize_t small_counts[64] = {0};
    RoleTally roles[MAX_ROLES];
    int distinct_roles = 0;
    if (!chars || !records || !positions || !texts || !message_counts || !role_counts)
        goto done;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *messages = PyObject_GetAttr(PySequence_Fast_GET_ITEM(fast, i), messages_name);
        if (messages == NULL) goto done;
        if (!PyList_Check(messages) && !PyTuple_Check(messages)) {
            Py_DECREF(messages);
            PyErr_SetString(PyExc_TypeError, "a record's messages must be a list or tuple");
            goto done;
        }
        Py_ssize_t size = PySequence_Fast_GET_SIZE(messages), length = 0;
        int answered = 0;
        for (Py_ssize_t j = 0; j < size; j++) {
            PyObject *message = PySequence_Fast_GET_ITEM(messages, j);
            PyObject *role = PyObject_GetAttr(message, role_name);
            PyObject *content = role ? PyObject_GetAttr(message, content_name) : NULL;
            if (content == NULL || !PyUnicode_Check(role) || !PyUnicode_Check(content) ||
                PyUnicode_READY(content) < 0) {
                if (content != NULL && !PyErr_Occurred())
                    PyErr_SetString(PyExc_TypeError, "roles and contents must be str");
                Py_XDECREF(role);
                Py_XDECREF(content);
                Py_DECREF(messages);
                goto done;
            }
            length += PyUnicode_GET_LENGTH(content);
            int slot = 0;
            while (slot < distinct_roles && roles[slot].role != role &&
                   PyUnicode_Compare(roles[slot].role, role) != 0)
                slot++;
            if (slot == MAX_ROLES) { /* more roles than any chat format has: no columns */
                Py_DECREF(role);
                Py_DECREF(content);
                Py_DECREF(messages);
                result = Py_NewRef(Py_None);
                goto done;
            }
            if (slot == distinct_roles) {
                roles[slot].role = role;
                roles[slot].count = 0;
                distinct_roles++;
            }
            roles[slot].count++;
            int failed = 0;
            if (role == answer_role || PyUnicode_Compare(role, answer_role) == 0) {
                answered = 1;
                PyObject *record = PyLong_FromSsize_t(i), *position = PyLong_FromSsize_t(j);
                failed = !record || !position || PyList_Append(records, record) < 0 ||
                         PyList_Append(positions, position) < 0 ||
                         PyList_Append(texts, content) < 0;
                Py_XDECREF(record);
                Py_XDECREF(position);
            }
            Py_DECREF(role); /* the record holds it (and the tally's borrowed pointer) */
            Py_DECREF(content);
            if (failed) {
                Py_DECREF(messages);
                goto done;
            }
        }
        Py_DECREF(messages);
        if (!answered) { /* a record without an answer: the ordinary check says why */
            result = Py_NewRef(Py_None);
            goto done;
        }
        PyObject *total = PyLong_FromSsize_t(length);
        if (total == NULL) goto done;
        PyList_SET_ITEM(chars, i, total);
        if (size < 64) {
            small_counts[size]++;
        } else {
            PyObject *key = PyLong_FromSsize_t(size);
            PyObject *seen = key ? PyDict_GetItemWithError(message_counts, key) : NULL;
            int failed = key == NULL || (seen == NULL && PyErr_Occurred()) ||
                         tally_add(message_counts, key, seen ? PyLong_AsSsize_t(seen) + 1 : 1);
            Py_XDECREF(key);
            if (failed) goto done;
        }
    }
    for (Py_ssize_t size = 0; size < 64; size++) {
        if (!small_counts[size]) continue;
        PyObject *key = PyLong_FromSsize_t(size);
        int failed = key == NULL || tally_add(message_counts, key, small_counts[size]) < 0;
        Py_XDECREF(key);
        if (failed) goto done;
    }
    for (int slot = 0; slot < distinct_roles; slot++) {
        if (tally_add(role_counts, roles[slot].role, roles[slot].count) < 0) goto done;
    }
    result = PyTuple_Pack(6, message_counts, role_counts, chars, records, positions, texts);
done:
    Py_DECREF(fast);
    Py_XDECREF(chars);
    Py_XDECREF(records);
    Py_XDECREF(positions);
    Py_XDECREF(texts);
    Py_XDECREF(message_counts);
    Py_XDECREF(role_counts);
    return result;
}

static PyMethodDef methods[] = {
    {"configure", (PyCFunction)(void (*)(void))configure, METH_VARARGS | METH_KEYWORDS,
     "configure(*, ordinals, step_words, joiners, dangling_words, dangling_ends, openers)\n"
     "Set the vocabulary (lower-case ASCII words) the scanner reads markers with."},
    {"scan", scan, METH_O,
     "scan(texts) -> (counts, rest)\n"
     "counts[i]: steps of text i when it is a plain finished chain, else 0;\n"
     "rest: indexes of the texts Python must read (those with count 0)."},
    {"chat_columns", chat_columns, METH_VARARGS,
     "chat_columns(records, answer_role) -> (message_counts, role_counts, text_chars,\n"
     "answer_records, answer_positions, answer_texts), or None when a record has no answer\n"
     "(records: objects with .messages, a list or tuple of objects with str .role and\n"
     ".content)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "_native",
    "Validation's inner loops in C (see app/formats/_native.c).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__native(void)
{
    init_classes();
    messages_name = PyUnicode_InternFromString("messages");
    role_name = PyUnicode_InternFromString("role");
    content_name = PyUnicode_InternFromString("content");
    if (!messages_name || !role_name || !content_name) return NULL;
    return PyModule_Create(&module_definition);
}
