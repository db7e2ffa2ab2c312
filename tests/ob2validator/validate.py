"""Run 1EdTech's Open Badges 2.0 validator (``openbadges.verify``) offline on colearn's
hosted assertions; run by tests/integration/test_ob2_validator.py under Python 3.8.

Usage: python validate.py ALLOWED_ORIGIN INPUT...  where INPUT is an assertion URL or
a path to a baked image. Documents are fetched only from ALLOWED_ORIGIN (a colearn
server on the loopback); the OB 2.0 JSON-LD context comes from the validator's own
bundled copy (``OPENBADGES_CONTEXT_V2_DICT``), never the network. Prints one JSON object: input -> the report.
"""
import json
import sys

import requests
from openbadges import verify
from openbadges.verifier.openbadges_context import OPENBADGES_CONTEXT_V2_DICT
from openbadges.verifier.utils import CachableDocumentLoader

CONTEXTS = ("https://w3id.org/openbadges/v2", "https://openbadgespec.org/v2/context.json")


def _context(url):
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(OPENBADGES_CONTEXT_V2_DICT).encode("utf-8")
    response.encoding = "utf-8"
    response.url = url
    response.from_cache = False
    return response


def main():
    origin, inputs = sys.argv[1], sys.argv[2:]
    # every fetch of the validator (documents, images, contexts) goes through requests.Session
    requests.Session.get = _guard(requests.Session.get, origin)
    loader = CachableDocumentLoader(session=requests.Session())
    out = {}
    for item in inputs:
        if item.startswith("http"):
            result = verify(item, use_cache=False, cache_backend=None, jsonld_options={"documentLoader": loader})
        else:
            with open(item, "rb") as fh:
                result = verify(fh, use_cache=False, cache_backend=None, jsonld_options={"documentLoader": loader})
        out[item] = result["report"]
    print(json.dumps(out))


def _guard(get, origin):
    def guarded(self, url, **kwargs):
        if url.rstrip("/") in CONTEXTS:
            return _context(url)
        if url.startswith(origin):
            return get(self, url, **kwargs)
        raise requests.ConnectionError("not fetched (offline): " + url)
    return guarded


if __name__ == "__main__":
    main()
