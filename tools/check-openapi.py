#!/usr/bin/env python3
"""Checks api-docs/openapi.yaml against the route table in server/router.c.

Every route the server has must be documented with its method, and every
documented path+method must be a route: the spec neither lags nor invents.
The query arguments each route takes (the table's comma-separated list,
all others refused) must be the operation's documented query parameters.
Also checks that each operation documents its success response and its
400 (every operation refuses unknown query arguments), and that every
$ref resolves. Exits 1 listing what is wrong. Run by `make test`.
"""
import re
import sys

import yaml

ROUTER = "server/router.c"
SPEC = "api-docs/openapi.yaml"


ROW = re.compile(r'\{"(GET|POST|PUT|DELETE|PATCH)", "([^"]+)",([^{}]*)\}')


def route_table():
    """{(method, path): set of query argument names} from the route table:
    a row's third string literal, when it has one, lists them."""
    table = {}
    for m, p, rest in ROW.findall(open(ROUTER).read()):
        names = re.findall(r'"([^"]*)"', rest)
        table[(m.lower(), p)] = set(names[0].split(",")) - {""} if names else set()
    return table


def routes():
    return set(route_table())


def documented_query(spec, path, op):
    params = spec["paths"][path].get("parameters", []) + op.get("parameters", [])
    names = set()
    for p in params:
        if "$ref" in p:
            p = spec["components"]["parameters"][p["$ref"].split("/")[-1]]
        if p["in"] == "query":
            names.add(p["name"])
    return names


def documented(spec):
    return {(method, path) for path, ops in spec["paths"].items()
            for method in ops if method in ("get", "post", "put", "delete", "patch")}


def refs(node, found):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                found.append(v)
            else:
                refs(v, found)
    elif isinstance(node, list):
        for v in node:
            refs(v, found)
    return found


def resolve(spec, ref):
    node = spec
    for part in ref.lstrip("#/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def main():
    spec = yaml.safe_load(open(SPEC))
    problems = []
    if not str(spec.get("openapi", "")).startswith("3.1"):
        problems.append("openapi is not 3.1")
    have, doc = routes(), documented(spec)
    problems += [f"route {m.upper()} {p} is not documented" for m, p in sorted(have - doc)]
    problems += [f"documented {m.upper()} {p} is not a route" for m, p in sorted(doc - have)]
    table = route_table()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method == "parameters":
                continue
            codes = [str(c) for c in op.get("responses", {})]
            if not [c for c in codes if c.startswith("2")]:
                problems.append(f"{method.upper()} {path} documents no success response")
            if "400" not in codes:
                problems.append(f"{method.upper()} {path} documents no 400")
            takes, doc_q = table.get((method, path)), documented_query(spec, path, op)
            if takes is not None and takes != doc_q:
                problems.append(f"{method.upper()} {path} takes query {sorted(takes)} "
                                f"but documents {sorted(doc_q)}")
    problems += [f"unresolved $ref {r}" for r in refs(spec, []) if not resolve(spec, r)]
    for p in problems:
        print(f"openapi: {p}")
    print(f"openapi: {len(have)} routes, {len(doc)} documented operations, "
          f"{len(problems)} problems")
    return 1 if problems else 0


sys.exit(main())
