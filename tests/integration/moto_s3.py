"""moto_s3 - moto's S3, where it differs from AWS in a way the tests meet
(docs/testing.md, "Emulator extensions"):

  - ListBuckets pages by max-buckets and continuation-token, in the order
    of the buckets' names, with a ContinuationToken while more remain,
    and gives each bucket's BucketRegion when the request has any of its
    parameters; with one but no max-buckets, a page is 10,000 buckets
    (moto cut the list at max-buckets, gave no token and no region).

install() patches moto in this process; call it before the server starts.
"""

import base64

from moto.core.responses import ActionResult
from moto.s3 import responses as s3_responses

R = s3_responses.S3Response
_installed = False
PAGE = 10000
PARAMS = ("prefix", "bucket-region", "max-buckets", "continuation-token")


def all_buckets(self):
    self.data["Action"] = "ListAllMyBuckets"
    self._authenticate_and_authorize_s3_action()
    token = self._get_param("continuation-token")
    after = base64.b64decode(token).decode() if token else ""
    size = int(self._get_param("max-buckets") or PAGE)
    regional = any(self._get_param(p) is not None for p in PARAMS)
    found = sorted(self.backend.list_buckets(
        prefix=self._get_param("prefix"),
        bucket_region=self._get_param("bucket-region"), max_buckets=None),
        key=lambda b: b.name)
    rest = [b for b in found if b.name > after]
    page = rest[:size] if regional else rest
    buckets = []
    for b in page:
        entry = {"Name": b.name, "CreationDate": b.creation_date_ISO8601}
        if regional:
            entry["BucketRegion"] = b.region_name
        buckets.append(entry)
    result = {"Owner": {"ID": "bcaf1ffd86f41161ca5fb16fd081034f",
                        "DisplayName": "webfile"},
              "Buckets": buckets}
    if len(rest) > len(page):
        result["ContinuationToken"] = base64.b64encode(
            page[-1].name.encode()).decode()
    self.data["Action"] = "ListBuckets"
    return self.serialized(ActionResult(result))


def install():
    global _installed
    if _installed:
        return
    _installed = True
    R.all_buckets = all_buckets
