/* class_table.h — a table of distinct names, each given an index in the
 * order it first appeared: the class labels of a dataset as its rows
 * stream in, or the column names of a CSV header (to find duplicates).
 * Labels that are numbers also carry their value, so that the final order
 * of classes can be ascending ("0", "1", …, "9") rather than the order of
 * first appearance. Lookups are O(1) on average; the table never holds
 * more than the maximum it was created with. */
#ifndef ND_CLASS_TABLE_H
#define ND_CLASS_TABLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct nd_class_table nd_class_table;

/* A new empty table holding at most max names (max ≥ 1); NULL when out of
 * memory. Free it with nd_class_table_free. */
nd_class_table *nd_class_table_new(size_t max);

void nd_class_table_free(nd_class_table *t);

/* The index of name, adding it (copied) when it is new. *added, if not
 * NULL, tells whether it was. Returns −1 when name is new but the table
 * is full, −2 when out of memory. */
long nd_class_table_index(nd_class_table *t, const char *name, bool *added);

/* The index of name, or −1 when it is not in the table. */
long nd_class_table_find(const nd_class_table *t, const char *name);

/* As nd_class_table_index, for a label that is the number v: its name is
 * v written shortly ("3", "0.5"), so "3" and "3.0" are one class. A table
 * must hold names of one kind only: all numbers or all plain names. */
long nd_class_table_index_number(nd_class_table *t, double v);

/* The number of names in the table. */
size_t nd_class_table_count(const nd_class_table *t);

/* Where each name ends up in the final order: a malloc'd array whose
 * entry i is the final index of the name first seen i-th (ascending value
 * for a table of numbers; the identity otherwise). NULL when out of memory
 * or empty. *identity tells whether any index moves. */
size_t *nd_class_table_order(const nd_class_table *t, bool *identity);

/* The names in their final order as a new JSON array of strings, or NULL
 * when out of memory. */
json_t *nd_class_table_json(const nd_class_table *t);

#endif
