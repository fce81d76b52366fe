#!/usr/bin/env python3
"""Checks api-docs/openapi.yaml against the route table in server/router.c.

Every route the server has must be documented with its method, and every
documented path+method must be a route: the spec neither lags nor invents.
Also checks that each operation documents its success response and that
every $ref resolves. Exits 1 listing what is wrong. Run by `make test`.
"""
import re
import sys

import yaml

ROUTER = "server/router.c"
SPEC = "api-docs/openapi.yaml"


def routes():
    text = open(ROUTER).read()
    return {(m.lower(), p) for m, p in re.findall(r'\{"(GET|POST|PUT|DELETE|PATCH)", "([^"]+)"', text)}


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
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method == "parameters":
                continue
            codes = [c for c in op.get("responses", {}) if str(c).startswith("2")]
            if not codes:
                problems.append(f"{method.upper()} {path} documents no success response")
    problems += [f"unresolved $ref {r}" for r in refs(spec, []) if not resolve(spec, r)]
    for p in problems:
        print(f"openapi: {p}")
    print(f"openapi: {len(have)} routes, {len(doc)} documented operations, "
          f"{len(problems)} problems")
    return 1 if problems else 0


sys.exit(main())
