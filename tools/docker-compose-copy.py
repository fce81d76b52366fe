#!/usr/bin/env python3
"""`make docker-test`'s copies of the repo's compose files, with the one
published port on loopback (tools/docker-test.sh says why a copy):

  docker-compose-copy.py copy FILE SERVICE PORT
      prints FILE with SERVICE's "8080:8080" (checked) replaced by
      "127.0.0.1:PORT:8080".

  docker-compose-copy.py check REPO_CONFIG COPY_CONFIG SERVICE PORT
      given `docker-compose config` of the file and of its copy: fails
      unless they differ in that port alone and no other service is
      published; prints "SERVICE IMAGE" for each service of the file.
"""
import sys

import yaml


def copy(path, service, port):
    doc = yaml.safe_load(open(path))
    svc = doc["services"][service]
    assert svc["ports"] == ["8080:8080"], \
        "%s: %s publishes %r, not 8080:8080" % (path, service, svc["ports"])
    svc["ports"] = ["127.0.0.1:%s:8080" % port]
    yaml.safe_dump(doc, sys.stdout, sort_keys=False)


def check(repo_config, copy_config, service, port):
    repo, test = (yaml.safe_load(open(f)) for f in (repo_config, copy_config))
    assert repo["services"][service].pop("ports") == [{"published": 8080, "target": 8080}]
    assert test["services"][service].pop("ports") == ["127.0.0.1:%s:8080/tcp" % port]
    assert repo == test, "the copy differs from the file in more than its port"
    for name, svc in sorted(test["services"].items()):
        assert "ports" not in svc, name + " is published too"
        print(name, svc["image"])


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "copy":
        copy(*sys.argv[2:])
    elif len(sys.argv) == 6 and sys.argv[1] == "check":
        check(*sys.argv[2:])
    else:
        sys.exit(__doc__)
