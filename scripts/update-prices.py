#!/usr/bin/env python3
"""Rebuild mlstack's price table (providers/prices/prices.json) from AWS's
public price list: the offer files of SageMaker, EC2, Lambda and S3, one
per region, read as they are published at

  https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/OFFER/current/REGION/index.json

    python3 scripts/update-prices.py                    # download, write the table
    python3 scripts/update-prices.py --offers DIR       # DIR/OFFER/REGION/index.json
    python3 scripts/update-prices.py --regions us-east-1,eu-west-1 --out FILE

Run by hand (docs/cost.md): mlstack never reaches the price list itself.
Only on-demand prices are kept (terms.OnDemand), of the instance families
mlstack prices (FAMILIES below), in the units the cost model uses: an hour
of an instance, a GB-month of storage, a GB-second of Lambda provisioned
concurrency. An offer file is read as a stream, member by member, so
EC2's (gigabytes) needs no more memory than one product.
"""

import argparse
import gzip
import json
import os
import re
import sys
import urllib.request

PRICE_LIST = "https://pricing.us-east-1.amazonaws.com"
OFFERS = ("AmazonSageMaker", "AmazonEC2", "AWSLambda", "AmazonS3")
REGIONS = ("us-east-1", "eu-west-1")
FORMAT_VERSION = "1"

# The instance families kept (a price list holds hundreds of types).
FAMILIES = {
    "sagemaker": ("ml.t3", "ml.m5", "ml.c5", "ml.g4dn", "ml.g5", "ml.p3"),
    "ec2": ("t3", "m5", "g4dn", "g5", "p3"),
}

# A usage type may start with the region's prefix ("EU-", "USE1-").
PREFIX = r"^(?:[A-Z]{2,4}[0-9]?-)?"
SAGEMAKER_USES = {"Notebk": "notebook", "Host": "hosting", "Train": "training"}
SAGEMAKER_INSTANCE = re.compile(
    PREFIX + r"(Notebk|Host|Train):(ml\.[a-z0-9]+\.[a-z0-9]+)$")
SAGEMAKER_STORAGE = re.compile(PREFIX + r"(Notebk|Host|Train):VolumeUsage\.gp2$")
EC2_BOX = re.compile(PREFIX + r"BoxUsage:([a-z0-9]+\.[a-z0-9]+)$")
EBS_VOLUME = re.compile(PREFIX + r"EBS:VolumeUsage(?:\.([a-z0-9]+))?$")
LAMBDA_PC = re.compile(PREFIX + r"Lambda-Provisioned-Concurrency(-ARM)?$")
S3_STORAGE = {
    "TimedStorage-ByteHrs": "STANDARD",
    "TimedStorage-SIA-ByteHrs": "STANDARD_IA",
    "TimedStorage-ZIA-ByteHrs": "ONEZONE_IA",
    "TimedStorage-INT-FA-ByteHrs": "INTELLIGENT_TIERING",
    "TimedStorage-GIR-ByteHrs": "GLACIER_IR",
    "TimedStorage-GlacierByteHrs": "GLACIER",
    "TimedStorage-GDA-ByteHrs": "DEEP_ARCHIVE",
}
S3_USAGE = re.compile(PREFIX + r"(TimedStorage-[A-Za-z-]+)$")

# The units of the price list, as the table writes them.
UNITS = {"Hrs": "hour", "Hours": "hour", "GB-Mo": "GB-month",
         "GB-Month": "GB-month", "Lambda-GB-Second": "GB-second",
         "GB-Second": "GB-second", "GB-Seconds": "GB-second"}


class OfferError(Exception):
    pass


# ---------------------------------------------------------------------------
# Reading an offer file as a stream

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_STRUCTURE = re.compile(r'["{}\[\]]')
_SPACE = re.compile(r"\s*")


class Stream:
    """A JSON text read a chunk at a time: objects are walked member by
    member, values decoded one at a time or skipped without being kept."""

    def __init__(self, f, name, chunk=1 << 20):
        self.f = f
        self.name = name
        self.chunk = chunk
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.decoder = json.JSONDecoder()

    def _more(self):
        if self.eof:
            raise OfferError(f"{self.name}: unexpected end of file")
        data = self.f.read(self.chunk)
        if not data:
            self.eof = True
        self.buf = self.buf[self.pos:] + data
        self.pos = 0

    def _peek(self):
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            self._more()

    def _expect(self, ch):
        if self._peek() != ch:
            raise OfferError(f"{self.name}: expected {ch!r}, found "
                             f"{self.buf[self.pos:self.pos + 20]!r}")
        self.pos += 1

    def value(self):
        """The next value, decoded."""
        self._peek()
        while True:
            try:
                v, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as e:
                if self.eof:
                    raise OfferError(f"{self.name}: invalid or cut short "
                                     f"JSON ({e.msg})")
                self._more()
                continue
            # a number may go on in the next chunk
            if end == len(self.buf) and not self.eof and \
                    not isinstance(v, (dict, list, str)):
                self._more()
                continue
            self.pos = end
            return v

    def skip(self):
        """Pass over the next value without keeping it."""
        if self._peek() not in "{[":
            self.value()
            return
        depth = 0
        while True:
            m = _STRUCTURE.search(self.buf, self.pos)
            if not m:
                self.pos = len(self.buf)
                self._more()
                continue
            if m.group() == '"':
                s = _STRING.match(self.buf, m.start())
                if not s or s.end() == len(self.buf):
                    self.pos = m.start()
                    self._more()
                    continue
                self.pos = s.end()
                continue
            self.pos = m.end()
            depth += 1 if m.group() in "{[" else -1
            if depth == 0:
                return

    def members(self):
        """The keys of the object that comes next; after each, the caller
        reads its value (value(), skip() or members())."""
        self._expect("{")
        if self._peek() == "}":
            self.pos += 1
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                raise OfferError(f"{self.name}: expected a key")
            self._expect(":")
            yield key
            if self._peek() == ",":
                self.pos += 1
                continue
            self._expect("}")
            return


def read_offer(f, name, chunk=1 << 20):
    """An offer file's metadata, products and on-demand terms (the rest
    skipped): {"offerCode", "version", "publicationDate", "products":
    {sku: product}, "terms": {sku: {term code: term}}}. Only products of
    the families kept are held in memory."""
    s = Stream(f, name, chunk)
    offer = {"products": {}, "terms": {}}
    for key in s.members():
        if key == "products":
            for sku in s.members():
                product = s.value()
                if wanted(product):
                    offer["products"][sku] = product
        elif key == "terms":
            for kind in s.members():
                if kind != "OnDemand":
                    s.skip()
                    continue
                for sku in s.members():
                    if sku in offer["products"]:
                        offer["terms"][sku] = s.value()
                    else:
                        s.skip()
        elif key in ("offerCode", "version", "publicationDate",
                     "formatVersion"):
            offer[key] = s.value()
        else:
            s.skip()
    if "offerCode" not in offer:
        raise OfferError(f"{name}: not an offer file (no offerCode)")
    return offer


# ---------------------------------------------------------------------------
# Which products the table keeps

def _family_ok(service, instance_type):
    return any(instance_type.startswith(f + ".") for f in FAMILIES[service])


def classify(product):
    """(product, key) of the table for a price list product, or None."""
    a = product.get("attributes", {})
    usage = a.get("usagetype", "")
    code = a.get("servicecode", "")
    if code == "AmazonSageMaker":
        m = SAGEMAKER_INSTANCE.match(usage)
        if m and _family_ok("sagemaker", m.group(2)):
            return f"sagemaker.{SAGEMAKER_USES[m.group(1)]}", m.group(2)
        m = SAGEMAKER_STORAGE.match(usage)
        if m:
            return "sagemaker.storage", SAGEMAKER_USES[m.group(1)]
        return None
    if code == "AmazonEC2":
        m = EC2_BOX.match(usage)
        if m and _family_ok("ec2", m.group(1)):
            # Linux, shared tenancy, no licensed software: what a plain
            # RunInstances of a Linux image pays
            if (a.get("operatingSystem") == "Linux" and
                    a.get("tenancy") == "Shared" and
                    a.get("preInstalledSw", "NA") == "NA" and
                    a.get("capacitystatus", "Used") == "Used" and
                    a.get("operation", "RunInstances") == "RunInstances"):
                return "ec2.instance", m.group(1)
            return None
        m = EBS_VOLUME.match(usage)
        if m and product.get("productFamily") == "Storage":
            return "ec2.ebs", a.get("volumeApiName") or m.group(1) or \
                "standard"
        return None
    if code == "AWSLambda":
        m = LAMBDA_PC.match(usage)
        if m:
            return ("lambda.provisioned-concurrency",
                    "arm64" if m.group(1) else "x86_64")
        return None
    if code == "AmazonS3":
        m = S3_USAGE.match(usage)
        if m and m.group(1) in S3_STORAGE and \
                product.get("productFamily") == "Storage":
            return "s3.storage", S3_STORAGE[m.group(1)]
    return None


def wanted(product):
    return isinstance(product, dict) and classify(product) is not None


def on_demand_price(terms, what):
    """(USD, unit, effective date) of a product's on-demand term: the
    first tier (beginRange 0) of its one term."""
    if len(terms) != 1:
        raise OfferError(f"{what}: {len(terms)} on-demand terms, expected 1")
    term = next(iter(terms.values()))
    dims = [d for d in term.get("priceDimensions", {}).values()
            if str(d.get("beginRange", "0")) in ("0", "0.0")]
    if len(dims) != 1:
        raise OfferError(f"{what}: {len(dims)} first-tier prices, "
                         "expected 1")
    d = dims[0]
    unit = UNITS.get(d.get("unit"))
    if not unit:
        raise OfferError(f"{what}: unit {d.get('unit')!r} is not one the "
                         "table knows")
    usd = float(d["pricePerUnit"]["USD"])
    return usd, unit, term.get("effectiveDate", "")[:10]


def prices_of(offer, region, source):
    """The table's entries from one offer file of region."""
    entries = {}
    for sku, product in sorted(offer["products"].items()):
        a = product.get("attributes", {})
        if a.get("regionCode", region) != region:
            continue
        what = f"{offer['offerCode']} {region} {sku}"
        if sku not in offer["terms"]:
            continue                    # no on-demand price (reserved only)
        product_name, key = classify(product)
        usd, unit, effective = on_demand_price(offer["terms"][sku], what)
        k = (region, product_name, key)
        if k in entries and entries[k]["usd"] != usd:
            raise OfferError(f"{what}: {product_name} {key} priced twice "
                             f"(${entries[k]['usd']} and ${usd})")
        entries[k] = {"region": region, "product": product_name, "key": key,
                      "usd": usd, "unit": unit, "effective": effective,
                      "source": source}
    return entries


# ---------------------------------------------------------------------------
# The table

def offer_url(offer, region):
    return f"{PRICE_LIST}/offers/v1.0/aws/{offer}/current/{region}/index.json"


def open_offer(offers_dir, offer, region):
    """The offer file: from offers_dir, or downloaded."""
    if offers_dir:
        base = os.path.join(offers_dir, offer, region, "index.json")
        if os.path.exists(base):
            return open(base, encoding="utf-8"), base
        if os.path.exists(base + ".gz"):
            return gzip.open(base + ".gz", "rt", encoding="utf-8"), base + ".gz"
        raise OfferError(f"{base}: no such file")
    url = offer_url(offer, region)
    print(f"reading {url}", file=sys.stderr, flush=True)
    resp = urllib.request.urlopen(url, timeout=60)
    import io
    return io.TextIOWrapper(resp, encoding="utf-8"), url


def build(regions, offers_dir=None, date=None, chunk=1 << 20):
    sources, entries = {}, {}
    for region in regions:
        for offer in OFFERS:
            f, name = open_offer(offers_dir, offer, region)
            with f:
                doc = read_offer(f, name, chunk)
            source = f"{offer}/{region}"
            sources[source] = {
                "offer": doc["offerCode"], "region": region,
                "url": offer_url(offer, region),
                "version": doc.get("version"),
                "published": doc.get("publicationDate"),
            }
            got = prices_of(doc, region, source)
            if not got:
                raise OfferError(f"{name}: no price the table keeps")
            entries.update(got)
    published = sorted(s["published"] or "" for s in sources.values())
    return {
        "format_version": FORMAT_VERSION,
        "currency": "USD",
        "hours_per_month": 730,
        "date": date or (published[-1][:10] if published else ""),
        "made": "scripts/update-prices.py from AWS's price list "
                "(the offer files named in sources)",
        "regions": list(regions),
        "sources": sources,
        "prices": [entries[k] for k in sorted(entries)],
    }


def dumps(table):
    """The table as written: one price a line, for diffs that read well."""
    head = {k: v for k, v in table.items() if k != "prices"}
    text = json.dumps(head, indent=2, sort_keys=True)[:-2]
    lines = [json.dumps(p, sort_keys=True) for p in table["prices"]]
    return (text + ',\n  "prices": [\n    ' + ",\n    ".join(lines) +
            "\n  ]\n}\n")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--regions", default=",".join(REGIONS),
                   help="regions, comma-separated (default %(default)s)")
    p.add_argument("--offers", metavar="DIR",
                   help="read DIR/OFFER/REGION/index.json[.gz] instead of "
                        "downloading")
    p.add_argument("--date", help="the table's date (default: the latest "
                                  "publication date of the offer files)")
    p.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "providers",
        "prices", "prices.json"), help="where to write (default the "
                                       "table in the repository)")
    args = p.parse_args(argv)
    regions = [r for r in args.regions.split(",") if r]
    try:
        table = build(regions, args.offers, args.date)
    except (OfferError, OSError) as e:
        print(f"update-prices: {e}", file=sys.stderr)
        return 1
    text = dumps(table)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, args.out)
    print(f"wrote {len(table['prices'])} prices of {', '.join(regions)} to "
          f"{args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
