/* class_table.c — distinct names to first-appearance indexes, with an
 * ascending order for numeric labels (see class_table.h). An open-
 * addressing hash of indexes into the names array, kept at most half
 * full. */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "class_table.h"

struct nd_class_table {
    char **names;    /* count of them, first-appearance order */
    double *values;  /* their numbers, for a table of numbers */
    bool numeric;
    size_t count, max;
    long *slots;     /* index into names, or −1; slot_cap of them */
    size_t slot_cap; /* a power of two ≥ 2 × count */
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

nd_class_table *nd_class_table_new(size_t max)
{
    assert(max >= 1);
    nd_class_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->max = max;
    t->names = malloc(max * sizeof *t->names);
    t->values = malloc(max * sizeof *t->values);
    t->slot_cap = 16;
    t->slots = malloc(t->slot_cap * sizeof *t->slots);
    if (!t->names || !t->values || !t->slots) {
        nd_class_table_free(t);
        return NULL;
    }
    memset(t->slots, 0xff, t->slot_cap * sizeof *t->slots); /* all −1 */
    return t;
}

void nd_class_table_free(nd_class_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->count; i++)
        free(t->names[i]);
    free(t->names);
    free(t->values);
    free(t->slots);
    free(t);
}

/* The slot holding name, or the empty slot where it would go. */
static size_t find_slot(const nd_class_table *t, const char *name)
{
    size_t mask = t->slot_cap - 1, i = fnv1a(name) & mask;
    while (t->slots[i] >= 0 && strcmp(t->names[t->slots[i]], name) != 0)
        i = (i + 1) & mask;
    return i;
}

/* Doubles the hash when it would pass half full; false when out of
 * memory. */
static bool grow(nd_class_table *t)
{
    if (2 * (t->count + 1) <= t->slot_cap)
        return true;
    size_t old_cap = t->slot_cap;
    long *old = t->slots;
    t->slots = malloc(2 * old_cap * sizeof *t->slots);
    if (!t->slots) {
        t->slots = old;
        return false;
    }
    t->slot_cap = 2 * old_cap;
    memset(t->slots, 0xff, t->slot_cap * sizeof *t->slots);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i] >= 0)
            t->slots[find_slot(t, t->names[old[i]])] = old[i];
    free(old);
    return true;
}

/* Looks name up, adding it with value v when new. */
static long lookup(nd_class_table *t, const char *name, double v,
                   bool *added)
{
    if (added)
        *added = false;
    size_t s = find_slot(t, name);
    if (t->slots[s] >= 0)
        return t->slots[s];
    if (t->count == t->max)
        return -1;
    char *copy = strdup(name);
    if (!copy || !grow(t)) {
        free(copy);
        return -2;
    }
    s = find_slot(t, name); /* the hash may have been rebuilt */
    t->names[t->count] = copy;
    t->values[t->count] = v;
    t->slots[s] = (long)t->count;
    if (added)
        *added = true;
    return (long)t->count++;
}

long nd_class_table_index(nd_class_table *t, const char *name, bool *added)
{
    assert(!t->numeric);
    return lookup(t, name, 0, added);
}

long nd_class_table_find(const nd_class_table *t, const char *name)
{
    return t->slots[find_slot(t, name)];
}

long nd_class_table_index_number(nd_class_table *t, double v)
{
    assert(t->numeric || t->count == 0);
    t->numeric = true;
    /* whole numbers in full ("1000000000000001"), others to 15 digits so
     * "0.1" stays "0.1"; no "-0" */
    char name[40];
    if (v == 0)
        v = 0;
    if (v == floor(v) && fabs(v) < 0x1p53)
        snprintf(name, sizeof name, "%.0f", v);
    else
        snprintf(name, sizeof name, "%.15g", v);
    return lookup(t, name, v, NULL);
}

size_t nd_class_table_count(const nd_class_table *t)
{
    return t->count;
}

/* Sorts first-appearance indexes by their value (qsort has no context
 * argument, hence the pairs). */
typedef struct {
    double v;
    size_t first;
} by_value;

static int cmp_by_value(const void *a, const void *b)
{
    const by_value *x = a, *y = b;
    return (x->v > y->v) - (x->v < y->v);
}

size_t *nd_class_table_order(const nd_class_table *t, bool *identity)
{
    *identity = true;
    if (t->count == 0)
        return NULL;
    size_t *order = malloc(t->count * sizeof *order);
    by_value *pairs = malloc(t->count * sizeof *pairs);
    if (!order || !pairs) {
        free(order);
        free(pairs);
        return NULL;
    }
    for (size_t i = 0; i < t->count; i++)
        pairs[i] = (by_value){t->numeric ? t->values[i] : (double)i, i};
    qsort(pairs, t->count, sizeof *pairs, cmp_by_value);
    for (size_t rank = 0; rank < t->count; rank++) {
        order[pairs[rank].first] = rank;
        if (pairs[rank].first != rank)
            *identity = false;
    }
    free(pairs);
    return order;
}

json_t *nd_class_table_json(const nd_class_table *t)
{
    json_t *arr = json_array();
    if (!arr || t->count == 0)
        return arr;
    bool identity, ok = true;
    size_t *order = nd_class_table_order(t, &identity);
    for (size_t i = 0; order && ok && i < t->count; i++)
        ok = json_array_append_new(arr, json_null()) == 0;
    for (size_t i = 0; order && ok && i < t->count; i++)
        ok = json_array_set_new(arr, order[i], json_string(t->names[i])) == 0;
    free(order);
    if (!order || !ok) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}
