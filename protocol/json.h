/*
 * json.h - JSON texts from the wire, files and peers, parsed with yajl's
 * tree API after checks yajl does not make.
 */
#ifndef XMIG_JSON_H
#define XMIG_JSON_H

#include <stddef.h>

#include <yajl/yajl_tree.h>

/*
 * Deepest nesting of arrays and objects accepted.  A libxl domain
 * configuration nests about six deep; yajl frees a tree recursively, so a
 * text nested a few hundred thousand deep would exhaust the stack.
 */
#define JSON_DEPTH_MAX	64

/*
 * Parse the NUL-terminated text: as yajl_tree_parse(), but refuse nesting
 * deeper than JSON_DEPTH_MAX and the escape \u0000 (a decoded string is a
 * C string: it would be cut short there).  Returns the tree, or NULL with
 * a one-line reason in err (when err is not NULL).
 */
yajl_val	json_parse(const char *text, char *err, size_t errlen);

#endif /* XMIG_JSON_H */
